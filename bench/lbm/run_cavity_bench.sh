#!/usr/bin/env bash
# MLUPS of the D2Q9 cavity for FP32 and FP64 storage at a few sizes (or, with d3q19 before the
# sizes, of the D3Q19 FP32 periodic box), on 1 thread and on all cores, then on the GPU when one
# is present. Usage:
#   bench/lbm/run_cavity_bench.sh [BUILD_DIR] [repeats] [d3q19] [n ...]
# (builds the bench_lbm target in BUILD_DIR, default ./build, if it is missing).
set -euo pipefail
build=${1:-build}
repeats=${2:-5}
shift $(( $# > 2 ? 2 : $# )) || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(128 512 2048)
exe="$build/bench/lbm/bench_lbm"
[ -x "$exe" ] || cmake --build "$build" --target bench_lbm
echo "# $(date -u +%FT%TZ) $(uname -n), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
export OMP_WAIT_POLICY=passive OMP_PROC_BIND=close
for t in 1 $(nproc); do
  OMP_NUM_THREADS=$t "$exe" cpu "$repeats" "${sizes[@]}"
done
if command -v nvidia-smi > /dev/null && nvidia-smi -L > /dev/null 2>&1; then
  if [ "${sizes[0]}" = d3q19 ]; then
    "$exe" gpu "$repeats" d3q19 128 256 384 512
  else
    "$exe" gpu "$repeats" "${sizes[@]}" 4096 8192
  fi
fi
