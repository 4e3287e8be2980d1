#!/usr/bin/env bash
# One MD run through twinsim on the GPU, then its speed from summary.json (timing.atom_steps_per_s:
# the time steps only, not set-up or output). Used by run_suite.sh bench.
#   hpc/gpu/md_bench.sh TWINSIM OUT_DIR CASE [--set KEY=VALUE ...] [--device cpu|gpu]
set -euo pipefail
twinsim=$1 out=$2 case_file=$3
shift 3
device=gpu
args=()
while [ $# -gt 0 ]; do
  if [ "$1" = --device ]; then device=$2; shift 2; else args+=("$1"); shift; fi
done
"$twinsim" run "$case_file" "${args[@]}" --device "$device" --out "$out" --overwrite
python3 - "$out/summary.json" << 'PY'
import json, sys
t = json.load(open(sys.argv[1]))["timing"]
print(f"atom_steps_per_s {t['atom_steps_per_s']:.4g}")
print("timing", json.dumps(t))
PY
