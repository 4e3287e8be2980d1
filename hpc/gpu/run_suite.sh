#!/usr/bin/env bash
# Runs one suite of the bundled CUDA build (.gpu/, made by hpc/gpu/bundle.sh) on the GPU machine,
# from the repo root, writing few files into $OUT (at most 8 come back from the machine):
#
#   hpc/gpu/run_suite.sh tests      every default-suite test executable (CPU and GPU cases) with
#                                   --gtest_output=xml, then the python tests that drive twinsim
#                                   -> summary.txt, tests.tar.gz (XML and logs)
#   hpc/gpu/run_suite.sh gpu        the GPU cases alone ('*/gpu*:*CpuAndGpuAgree*:BackendsAgree.*') of every default
#                                   executable, never cut by the budget -> summary.txt
#   hpc/gpu/run_suite.sh sanitize   compute-sanitizer memcheck, then initcheck, on the GPU cases
#                                   (--gtest_filter='*/gpu*:*CpuAndGpuAgree*:BackendsAgree.*') -> sanitize.txt,
#                                   sanitize.tar.gz (full reports)
#   hpc/gpu/run_suite.sh memcheck   (or initcheck, racecheck) one tool only, with the whole budget
#   hpc/gpu/run_suite.sh bench      GPU benchmarks: spectral 3D/2D, LBM, MD (HOOMD LJ 64k, 1M),
#                                   FNO-2D vs PyTorch -> bench.txt, bench.tar.gz (raw output)
#   hpc/gpu/run_suite.sh slow       the GPU cases of the `slow` test executables -> summary.txt
#   hpc/gpu/run_suite.sh profile    Nsight Compute on the bench programs' kernels -> profile.txt
#   hpc/gpu/run_suite.sh all        tests, sanitize, bench in turn (more than 10 minutes: see
#                                   hpc/README.md; each suite alone fits one 10-minute command)
#
# Every suite starts with nvidia-smi and the bundle's library check, and stops starting new work
# when its time budget is spent (BUDGET_S, default 540 s: a 600 s command with room for the
# tar and the transfer), marking what it left out. Without a GPU (here) the GPU cases skip and
# the suite still runs: `OUT=/tmp/out hpc/gpu/run_suite.sh tests`.
set -uo pipefail
suite=${1:-}
case $suite in tests | gpu | sanitize | memcheck | initcheck | racecheck | bench | slow | profile | all) ;; *)
  echo "usage: hpc/gpu/run_suite.sh tests|gpu|sanitize|memcheck|initcheck|racecheck|bench|slow|profile|all   (OUT=folder; BUDGET_S=seconds)" >&2
  exit 2 ;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
here=$root/hpc/gpu
OUT=${OUT:-$root/out/gpu}
mkdir -p "$OUT"
budget=${BUDGET_S:-540}
t0=$SECONDS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=${PYTHON:-$(command -v python3 || echo /usr/bin/python3)}
left() { echo $((budget - (SECONDS - t0))); }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "$*" | tee -a "$OUT/summary.txt"; }

# --- Machine, GPU and libraries ---------------------------------------------------------------
echo "# run_suite.sh $suite, $(date -u +%FT%TZ), $(uname -n), $(nproc) cores" >> "$OUT/summary.txt"
if command -v nvidia-smi > /dev/null && nvidia-smi > "$work/nvidia-smi.txt" 2>&1; then
  have_gpu=1
  # A GPU case that skips here checked nothing: gtest_summary.py counts it as a failure.
  export TWINSIM_REQUIRE_GPU=1
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem \
    --format=csv,noheader | sed 's/^/# gpu /' | tee -a "$OUT/summary.txt"
  cat "$work/nvidia-smi.txt"
else
  have_gpu=0
  log "# gpu NONE: nvidia-smi missing or failing on $(uname -n); GPU cases will skip, GPU benches are left out"
fi
# The bundle: .gpu/bundle.tar.xz unpacked once per bundle into /tmp/twinsim-gpu (GPU_BUNDLE=DIR
# uses an unpacked one instead, e.g. build-gpu/bundle here).
if [ -n "${GPU_BUNDLE:-}" ]; then
  g=$(cd "$GPU_BUNDLE" && pwd)
else
  arc=$root/.gpu/bundle.tar.xz
  [ -f "$arc" ] || { log "# $arc missing: run hpc/gpu/bundle.sh on the build machine and carry .gpu"; exit 2; }
  g=/tmp/twinsim-gpu
  if ! cmp -s "$root/.gpu/BUILD" "$g/.unpacked"; then
    rm -rf "$g" && mkdir -p "$g"
    tar -C "$g" -xJf "$arc" 2> /dev/null \
      || "$py" -c 'import sys, tarfile
t = tarfile.open(sys.argv[1])
t.extractall(sys.argv[2], **({"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}))' "$arc" "$g" \
      || { log "# cannot unpack $arc (no xz, no python3 lzma)"; exit 2; }
    cp "$root/.gpu/BUILD" "$g/.unpacked"   # only once everything is out
  fi
fi
[ -x "$g/bin/twinsim" ] || { log "# $g/bin/twinsim missing: the bundle is incomplete; rerun hpc/gpu/bundle.sh"; exit 2; }
sed 's/^/# bundle /' "$g/BUILD" >> "$OUT/summary.txt"
# A bundle older than the code (hpc/ and Markdown aside) measures the wrong program.
built=$(sed -n 's/^commit \([0-9a-f]*\).*/\1/p' "$g/BUILD")
if git -C "$root" rev-parse HEAD > /dev/null 2>&1 \
  && ! git -C "$root" diff --quiet "$built" -- . ':(exclude)hpc' ':(exclude)*.md' 2> /dev/null; then
  log "# WARNING: this tree differs from the bundle's commit $built outside hpc/ and *.md: rerun hpc/gpu/bundle.sh"
fi
# CUDA's own libraries are not bundled: find them where the machine keeps them if the loader
# does not (toolkit folders, then PyTorch's pip wheels). cuFFT and cuBLAS are opened when the
# GPU backend first uses them, so ldd does not list them: twinsim info says whether it finds them.
if ldd "$g/bin/twinsim" | grep -q 'not found' \
  || "$g/bin/twinsim" info 2> /dev/null | grep -q 'the GPU backend needs'; then
  extra=
  wheels=$("$py" -c 'import nvidia; print(" ".join(nvidia.__path__))' 2> /dev/null)
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/nvidia/lib64 \
    $( [ -n "$wheels" ] && find $wheels -maxdepth 4 \( -name 'libcudart.so*' -o -name 'libcufft.so*' -o -name 'libcublas*.so*' \) -printf '%h\n' | sort -u); do
    [ -d "$d" ] && extra=${extra:+$extra:}$d
  done
  export LD_LIBRARY_PATH=$extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
"$g/bin/twinsim" info 2> /dev/null | grep -E '^  (cuFFT|cuBLAS) ' | sed 's/^  /# /' | tee -a "$OUT/summary.txt"
missing=$(for f in "$g"/bin/*; do ldd "$f" | grep 'not found' | sed "s|^|$(basename "$f"): |"; done | sort -u)
if [ -n "$missing" ]; then
  log "# libraries NOT FOUND (these executables cannot start):"
  echo "$missing" | sed 's/^/#   /' | tee -a "$OUT/summary.txt"
else
  log "# libraries: all resolved${LD_LIBRARY_PATH:+ (LD_LIBRARY_PATH=$LD_LIBRARY_PATH)}"
fi
# The tests read case files and data from the source folder compiled into them: point that path
# at the bundle's snapshot where the machine has no such folder.
src=$(sed -n 's/^source_dir //p' "$g/BUILD")
if [ ! -e "$src" ]; then
  if mkdir -p "$(dirname "$src")" 2> /dev/null && ln -sfn "$g/src" "$src" 2> /dev/null; then
    log "# source_dir $src -> $g/src (link made for the tests' compiled-in paths)"
  else
    log "# source_dir $src missing and cannot be made: test_case and tests reading tests/data fail"
  fi
fi
# CUDA tools that may sit outside PATH: the toolkit's folders, Nsight Compute's own.
find_tool() {
  local c
  for c in "$(command -v "$1")" /usr/local/cuda/bin/"$1" /usr/local/cuda/"$1"/"$1" \
    /usr/local/cuda/compute-sanitizer/"$1" /opt/nvidia/nsight-compute/*/"$1"; do
    [ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return; }
  done
}
sanitizer=$(find_tool compute-sanitizer)
ncu=$(find_tool ncu)
export OMP_WAIT_POLICY=passive
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}

# --- Helpers ----------------------------------------------------------------------------------
# run_capped SECONDS LOGFILE CMD...: runs CMD under timeout, output to LOGFILE; returns its rc.
run_capped() {
  local cap=$1 logf=$2
  shift 2
  timeout -k 5 "$cap" "$@" > "$logf" 2>&1
}
# cap_for MAX: seconds a step may take: MAX, or what is left of the budget.
cap_for() { local l; l=$(left); echo $((l < $1 ? l : $1)); }

gpu_filter='*/gpu*:*CpuAndGpuAgree*:BackendsAgree.*'
# gtests CLASS [FILTER] [TAG] [uncut]: GoogleTest executables of one class (default|slow) with an
# optional filter, XML as NAME[.TAG].xml; `uncut`: every executable runs whatever the budget
# (each still capped at 300 s).
gtests() {
  local class=$1 filter=${2:-} tag=${3:+.$3} uncut=${4:-} name cls envs cap rc t
  mkdir -p "$work/tests"
  while IFS=$'\t' read -r name cls envs; do
    [ "$cls" = "$class" ] || continue
    if [ -z "$uncut" ] && [ "$(left)" -lt 10 ]; then log "LEFT  $name: time budget spent"; continue; fi
    local args=(--gtest_output="xml:$work/tests/$name$tag.xml")
    [ -n "$filter" ] && args+=(--gtest_filter="$filter")
    if [ -n "$filter" ] && [ "$("$g/bin/$name" --gtest_list_tests --gtest_filter="$filter" 2> /dev/null | grep -c '^  ')" = 0 ]; then
      continue
    fi
    [ "$envs" = "-" ] && envs=
    if [ -n "$uncut" ]; then cap=300; else cap=$(cap_for 300); fi
    t=$EPOCHREALTIME
    # shellcheck disable=SC2086  # envs is a list of NAME=VALUE words
    run_capped "$cap" "$work/tests/$name$tag.log" env $envs "$g/bin/$name" "${args[@]}"
    rc=$?
    "$py" "$here/gtest_summary.py" "$work/tests/$name$tag.xml" "$name$tag" "$rc" "$(since "$t")" \
      | tee -a "$OUT/summary.txt"
  done < "$g/tests.tsv"
}

pytests() {
  local name cls script envs rc t cap
  mkdir -p "$work/tests"
  while IFS=$'\t' read -r name cls script envs; do
    [ "$cls" = default ] || continue
    if [ "$(left)" -lt 30 ]; then log "LEFT  $name: time budget spent"; continue; fi
    [ "$envs" = "-" ] && envs=
    cap=$(cap_for 300)
    t=$EPOCHREALTIME
    # shellcheck disable=SC2086
    (cd "$work" && run_capped "$cap" "$work/tests/$name.log" env $envs PYTHONUNBUFFERED=1 \
      "$py" "$g/src/$script" "$g/bin/twinsim" "$g/src")
    rc=$?
    case $rc in
      0) v=PASS ;; 77) v=SKIP ;; 124 | 137) v=TIMEOUT ;; *) v=FAIL ;;
    esac
    printf "%-5s %-26s python3 %s | exit %d | %s s\n" "$v" "$name" "$script" "$rc" "$(since "$t")" \
      | tee -a "$OUT/summary.txt"
    [ "$v" = FAIL ] && tail -5 "$work/tests/$name.log" | sed 's/^/      /' | tee -a "$OUT/summary.txt"
  done < "$g/pytests.tsv"
}

# The verdict of the summary lines since line FIRST: 1 when any failed or (with a GPU) skipped a
# GPU case.
failed_since() {
  tail -n +$(($1 + 1)) "$OUT/summary.txt" | grep -qE '^(FAIL|CRASH|TIMEOUT)' && status=1
  return 0
}

suite_gpu() {
  log "## gpu: the GPU cases ('$gpu_filter') of every default executable, not cut by the budget"
  local first
  first=$(wc -l < "$OUT/summary.txt")
  gtests default "$gpu_filter" gpu uncut
  failed_since "$first"
}

suite_tests() {
  log "## tests: default-suite executables, GPU cases first (never cut by the budget), then the rest (OMP_NUM_THREADS=$OMP_NUM_THREADS)"
  local first
  first=$(wc -l < "$OUT/summary.txt")
  gtests default "$gpu_filter" gpu uncut
  gtests default "-$gpu_filter" cpu
  log "## tests: python tests through twinsim (python3 = $py)"
  pytests
  tar -czf "$OUT/tests.tar.gz" -C "$work" tests
  local mine
  mine=$(tail -n +$((first + 1)) "$OUT/summary.txt")
  failed_since "$first"
  log "## tests: $(grep -c '^PASS' <<< "$mine") PASS, $(grep -cE '^(FAIL|CRASH|TIMEOUT)' <<< "$mine") FAIL/CRASH/TIMEOUT, $(grep -c '^SKIP' <<< "$mine") SKIP, $(grep -c '^LEFT' <<< "$mine") LEFT; GPU cases skipped: $(grep -o 'gpu cases: [0-9]* ran, [0-9]* skipped' <<< "$mine" | awk '{s += $5} END {print s + 0}'); XML and logs in tests.tar.gz"
}

suite_slow() {
  log "## slow: GPU cases of the slow-labelled executables"
  gtests slow '*/gpu*:*CpuAndGpuAgree*:BackendsAgree.*'
  tar -czf "$OUT/slow.tar.gz" -C "$work" tests
}

# One compute-sanitizer tool over the GPU cases of every default executable, within CAP seconds.
sanitize_tool() {
  local tool=$1 stop_at=$2 filter='*/gpu*:*CpuAndGpuAgree*:BackendsAgree.*' name cls envs n cap rc t errs ran
  mkdir -p "$work/sanitize"
  while IFS=$'\t' read -r name cls envs; do
    [ "$cls" = default ] || continue
    n=$("$g/bin/$name" --gtest_list_tests --gtest_filter="$filter" 2> /dev/null | grep -c '^  ')
    [ "$n" = 0 ] && continue
    cap=$((stop_at - (SECONDS - t0)))
    [ "$cap" -gt 240 ] && cap=240
    if [ "$cap" -lt 10 ]; then
      echo "LEFT  $tool $name: time budget spent" | tee -a "$OUT/sanitize.txt"
      continue
    fi
    [ "$envs" = "-" ] && envs=
    t=$EPOCHREALTIME
    # shellcheck disable=SC2086
    run_capped "$cap" "$work/sanitize/$tool.$name.log" env $envs "$sanitizer" --tool "$tool" \
      --error-exitcode 99 --print-limit 20 "$g/bin/$name" --gtest_filter="$filter" --gtest_brief=1 \
      --gtest_output="xml:$work/sanitize/$tool.$name.xml"
    rc=$?
    # How many GPU cases ran under the tool (a skipped case checks nothing).
    ran=$("$py" "$here/gtest_summary.py" "$work/sanitize/$tool.$name.xml" "$name" "$rc" 0 \
      | grep -o 'gpu cases: [0-9]* ran, [0-9]* skipped' | sed 's/gpu cases: //')
    errs=$(grep -hoE '(ERROR|RACECHECK) SUMMARY: .*' "$work/sanitize/$tool.$name.log" | tail -1)
    case $rc in
      0) v=CLEAN ;; 99) v=ERRORS ;; 124 | 137) v=TIMEOUT ;; *) v=FAIL ;;
    esac
    printf "%-7s %-9s %-26s %3d cases (%s) | %s | exit %d | %s s\n" "$v" "$tool" "$name" "$n" \
      "${ran:-no XML}" "${errs:-no summary line}" "$rc" "$(since "$t")" | tee -a "$OUT/sanitize.txt"
    [ "$v" = ERRORS ] || [ "$v" = FAIL ] \
      && grep -m 8 -E '=========  (Invalid|Race|Error|Program hit|Saved host)|FAILED' "$work/sanitize/$tool.$name.log" \
        | sed 's/^/      /' | tee -a "$OUT/sanitize.txt"
  done < "$g/tests.tsv"
}

# suite_sanitize [TOOL]: memcheck then initcheck (55 / 45 % of the budget), or TOOL alone. No
# kernel uses shared memory, so initcheck (reads of uninitialised device memory) is worth more
# than racecheck.
suite_sanitize() {
  local only=${1:-}
  log "## sanitize: compute-sanitizer ${only:-memcheck then initcheck} on '*/gpu*:*CpuAndGpuAgree*:BackendsAgree.*' (details in sanitize.txt)"
  if [ -z "$sanitizer" ]; then
    log "# compute-sanitizer not found on $(uname -n): sanitize left out"
    return
  fi
  [ "$have_gpu" = 1 ] || log "# no GPU: the cases skip, so this checks only that the tool runs"
  echo "# $sanitizer: $("$sanitizer" --version | tail -1)" >> "$OUT/sanitize.txt"
  local start=$((SECONDS - t0)) share=$(( ($(left) - 20) * 55 / 100 ))
  if [ -n "$only" ]; then
    sanitize_tool "$only" $((budget - 20))
  else
    sanitize_tool memcheck $((start + share))
    sanitize_tool initcheck $((budget - 20))
  fi
  tar -czf "$OUT/sanitize.tar.gz" -C "$work" sanitize
  grep -qE '^(ERRORS|FAIL|TIMEOUT)' "$OUT/sanitize.txt" && status=1
  log "## sanitize: $(grep -c '^CLEAN' "$OUT/sanitize.txt") CLEAN, $(grep -cE '^(ERRORS|FAIL|TIMEOUT)' "$OUT/sanitize.txt") ERRORS/FAIL/TIMEOUT, $(grep -c '^LEFT' "$OUT/sanitize.txt") LEFT"
}

# bench_step TITLE MAX_SECONDS CMD...: runs one bench, its output appended to bench.txt.
bench_step() {
  local title=$1 max=$2 cap rc t
  shift 2
  cap=$(cap_for "$max")
  {
    echo
    echo "### $title"
    echo "\$ $*"
  } >> "$OUT/bench.txt"
  if [ "$cap" -lt 15 ]; then
    echo "LEFT: time budget spent" >> "$OUT/bench.txt"
    log "LEFT  bench $title"
    return
  fi
  t=$SECONDS
  run_capped "$cap" "$work/bench/step.log" "$@"
  rc=$?
  cat "$work/bench/step.log" >> "$OUT/bench.txt"
  cat "$work/bench/step.log" >> "$work/bench/all.log"
  echo "(exit $rc, $((SECONDS - t)) s)" >> "$OUT/bench.txt"
  log "$([ $rc = 0 ] && echo "DONE " || echo "FAIL ") bench $title (exit $rc, $((SECONDS - t)) s)"
}

suite_bench() {
  log "## bench: figures in bench.txt"
  mkdir -p "$work/bench"
  if [ "$have_gpu" != 1 ]; then
    log "# no GPU: GPU benchmarks left out"
    return
  fi
  nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv >> "$OUT/bench.txt"
  local b=$g/bin
  [ -x "$b/bench_spectral_3d" ] && bench_step "spectral 3D RK4-IF, goal 256^3 FP32 < 5 ms/step" 120 \
    "$b/bench_spectral_3d" gpu 128 256 --steps 20 --repeats 5
  [ -x "$b/bench_spectral_2d" ] && bench_step "spectral 2D batched (dataset throughput), 100 x 256^2" 120 \
    "$b/bench_spectral_2d" gpu 256 100 1 100 --repeats 5
  if [ -x "$b/bench_lbm" ]; then
    bench_step "LBM D3Q19 TRT FP32 periodic box MLUPS and share of copy bandwidth, goal 18,000 MLUPS" 120 \
      "$b/bench_lbm" gpu 5 d3q19 128 256 384 512
    bench_step "LBM D2Q9 MLUPS and share of copy bandwidth" 90 \
      "$b/bench_lbm" gpu 5 512 2048 4096 8192
  else
    echo -e "\n### LBM: bench_lbm not in the bundle" >> "$OUT/bench.txt"
    log "LEFT  bench LBM: bench_lbm not built"
  fi
  bench_step "MD HOOMD LJ benchmark, 64,000 atoms, 2000 steps, goal 5e8 atom-steps/s" 90 \
    "$here/md_bench.sh" "$b/twinsim" "$work/md64k" "$g/src/cases/md/lj_hoomd_bench.toml"
  bench_step "MD LJ 1,000,000 atoms (100^3 sc), 500 steps" 120 \
    "$here/md_bench.sh" "$b/twinsim" "$work/md1m" "$g/src/cases/md/lj_hoomd_bench.toml" --set 'md.cells=[100,100,100]' --set md.steps=500
  bench_step "FNO-2D training, twinsim vs PyTorch on the same GPU, goal 1.5x" 240 \
    env PYTHONUNBUFFERED=1 "$py" "$g/src/bench/surrogates/fno_vs_pytorch.py" "$b/twinsim" --device gpu --samples 400
  tar -czf "$OUT/bench.tar.gz" -C "$work" bench
}

# Nsight Compute: per-kernel summary (duration, throughput) of short bench runs.
suite_profile() {
  log "## profile: ncu --section SpeedOfLight on short bench runs, in profile.txt"
  if [ "$have_gpu" != 1 ] || [ -z "$ncu" ]; then
    log "# no GPU or no ncu: profile left out"
    return
  fi
  local b=$g/bin ncu_args=("$ncu" --section SpeedOfLight --launch-skip 20 --launch-count 40 --print-summary per-kernel)
  profile_step() {
    local title=$1
    shift
    echo -e "\n### $title\n\$ $*" >> "$OUT/profile.txt"
    local cap
    cap=$(cap_for 150)
    [ "$cap" -lt 20 ] && { echo "LEFT: time budget spent" >> "$OUT/profile.txt"; return; }
    run_capped "$cap" "$work/profile.log" "$@"
    echo "(exit $?)" >> "$OUT/profile.txt"
    cat "$work/profile.log" >> "$OUT/profile.txt"
  }
  [ -x "$b/bench_lbm" ] && profile_step "LBM 2048^2 FP32/FP64" "${ncu_args[@]}" "$b/bench_lbm" gpu 1 2048
  [ -x "$b/bench_spectral_3d" ] && profile_step "spectral 3D 256^3" "${ncu_args[@]}" "$b/bench_spectral_3d" gpu 256 --steps 2 --repeats 1
  profile_step "MD LJ 64,000 atoms, 200 steps" "${ncu_args[@]}" "$b/twinsim" -q run \
    "$g/src/cases/md/lj_hoomd_bench.toml" --set md.steps=200 --device gpu --out "$work/mdprof" --overwrite
  log "DONE  profile ($(grep -c '^###' "$OUT/profile.txt") programs)"
}

status=0  # 1 once a test fails, a GPU case skips on a GPU machine, or a sanitizer finds errors
case $suite in
  tests) suite_tests ;;
  gpu) suite_gpu ;;
  sanitize) suite_sanitize ;;
  memcheck | initcheck | racecheck) suite_sanitize "$suite" ;;
  bench) suite_bench ;;
  slow) suite_slow ;;
  profile) suite_profile ;;
  all)
    # Three suites in one command (longer than one 10-minute `run`): 40 / 30 / 30 % of BUDGET_S.
    whole=${BUDGET_S:-1700}
    budget=$((whole * 40 / 100))
    suite_tests
    budget=$((SECONDS - t0 + whole * 30 / 100))
    suite_sanitize
    budget=$whole
    suite_bench
    ;;
esac
log "# run_suite.sh $suite done in $((SECONDS - t0)) s, $([ $status = 0 ] && echo OK || echo FAILED); files in $OUT: $(cd "$OUT" && ls | tr '\n' ' ')"
exit $status
