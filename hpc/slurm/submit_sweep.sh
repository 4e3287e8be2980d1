#!/usr/bin/env bash
# Expands a sweep case, submits its tasks as a job array and the gather as a job that runs when
# every task has succeeded. Prints the two job ids. Usage:
#   hpc/slurm/submit_sweep.sh CASE SWEEP_DIR RUNS_DIR [sbatch options for the array]
# e.g. hpc/slurm/submit_sweep.sh cases/sweep/ns2d_seeds.toml sweeps/ns2d runs/ns2d --time=1:00:00
# The gathered file is RUNS_DIR/<sweep folder name>.h5. TWINSIM and TWINSIM_SLURM_DIR are
# passed on to the jobs (sbatch exports the environment).
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,7p' "$0" >&2
  exit 2
fi
case_file=$1
sweep_dir=$2
runs_dir=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
export TWINSIM=${TWINSIM:-twinsim}
export TWINSIM_SLURM_DIR=${TWINSIM_SLURM_DIR:-$here}
"$TWINSIM" sweep "$case_file" --out "$sweep_dir" --overwrite >&2
count=$("$TWINSIM" sweep "$case_file" --count)
mkdir -p "$runs_dir"
array=$(sbatch --parsable --array=0-$((count - 1)) "$@" "$here/sweep_array.sbatch" \
  "$sweep_dir" "$runs_dir")
gather=$(sbatch --parsable --dependency=afterok:"$array" "$here/gather.sbatch" \
  "$sweep_dir" "$runs_dir" "$runs_dir/$(basename "$sweep_dir").h5")
echo "$array $gather"
