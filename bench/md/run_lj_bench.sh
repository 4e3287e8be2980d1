#!/usr/bin/env bash
# Runs Twinsim's cases/md/lj_bench.toml and LAMMPS' bench/in.lj (Debian's `lmp`, package
# `lammps`) on the same input, thread count and step count, REPEATS times each, alternating
# (so both see the same machine load), and prints every rate, the medians in atom-steps/s and
# their ratio. Debian's LAMMPS has no OPENMP package, so its threads are MPI ranks. LAMMPS runs
# with its OPT package's styles (`-sf opt`: lj/cut/opt, its fastest CPU pair style in Debian's
# build); LAMMPS_SUFFIX=none runs the plain styles.
#
#   bench/md/run_lj_bench.sh [THREADS] [TWINSIM_BINARY] [CASE] [REPEATS]   (from the repo root)
set -euo pipefail
threads=${1:-2}
twinsim=${2:-build/apps/twinsim}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
case_file=${3:-$root/cases/md/lj_bench.toml}
repeats=${4:-5}
suffix=${LAMMPS_SUFFIX:-opt}
suffix_args=()
[ "$suffix" = none ] || suffix_args=(-sf "$suffix")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v lmp > /dev/null || { echo "lmp not found: apt-get install lammps" >&2; exit 2; }

ours=()
theirs=()
for k in $(seq "$repeats"); do
  OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=passive "$twinsim" run "$case_file" --device cpu \
    --out "$work/twinsim" --overwrite > "$work/twinsim.log" 2>&1
  ours+=("$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['timing']['atom_steps_per_s'])" \
    "$work/twinsim/summary.json")")
  # Ranks that yield while they wait: on a shared machine busy-polling ranks stall each other
  # (measured: 2 ranks at 0.6-1.2e6 atom-steps/s polling, 1.9-2.1e6 yielding, load average 6).
  (cd "$work" && mpirun --allow-run-as-root --oversubscribe --mca mpi_yield_when_idle 1 \
    -np "$threads" lmp "${suffix_args[@]}" -in "$here/in.lj" \
    -log "$work/lammps.log" > /dev/null 2>&1)
  # "Loop time of 1.234 on 2 procs for 100 steps with 32000 atoms"
  theirs+=("$(awk '/^Loop time of/ {print $12 * $9 / $4}' "$work/lammps.log")")
done

median() { printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
m_ours=$(median "${ours[@]}")
m_theirs=$(median "${theirs[@]}")

echo "LJ in.lj, 32,000 atoms, 100 steps, $threads threads (LAMMPS: $threads MPI ranks, suffix $suffix), $repeats runs each"
echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E "^[^ ]* *info: +(0|100) " "$work/twinsim.log" | sed 's/^/  twinsim /' || true
grep -E "^ +(0|100) " "$work/lammps.log" | sed 's/^/  lammps  /' || true
echo "  twinsim runs: ${ours[*]}"
echo "  lammps runs:  ${theirs[*]}"
printf "  twinsim  %.4g atom-steps/s (median)\n  lammps   %.4g atom-steps/s (median)\n  ratio    %.3f (twinsim / lammps)\n" \
  "$m_ours" "$m_theirs" "$(python3 -c "print($m_ours / $m_theirs)")"
