#!/usr/bin/env bash
# One twinsim run inside a Slurm batch job, made to survive wall-time limits and pre-emption.
# Usage: twinsim_job.sh CASE RUN_DIR [more `twinsim run` arguments]
# Shared by run.sbatch, run_mpi.sbatch and sweep_array.sbatch (see hpc/README.md):
# - RUN_DIR holds a finished run: nothing is done (exit 0);
# - RUN_DIR holds checkpoints (an earlier start of this job was stopped): --restart latest;
#   a folder without them (killed before its first checkpoint) is started afresh (--overwrite);
# - USR1, TERM, INT sent to this script (sbatch --signal=B:USR1@120, scancel --batch) are
#   forwarded to twinsim, which writes a checkpoint at its next step boundary and exits 3;
# - exit status 3: the job requeues itself (scontrol requeue) and continues from there.
# The exit status is twinsim's: 0 ok, 1 failed, 2 bad input, 3 interrupted after a checkpoint,
# 128+n killed by a second signal n.
set -uo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 CASE RUN_DIR [twinsim run arguments]" >&2
  exit 2
fi
case_file=$1
run_dir=$2
shift 2
twinsim=${TWINSIM:-twinsim}
if [ -z "${OMP_NUM_THREADS:-}" ] && [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
  export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK  # the CPU backend's threads, and FFTW's
fi
job=${SLURM_JOB_ID:-none}

# TWINSIM_COMMAND=train runs `twinsim train` the same way (checkpoints, signals, requeue).
args=("${TWINSIM_COMMAND:-run}" "$case_file" --out "$run_dir" "$@")
if grep -qs '^  "status": "ok"' "$run_dir/summary.json"; then
  # Requeued after it finished (e.g. a node failed in the epilog): nothing to do.
  echo "twinsim_job: job $job: $run_dir has already finished"
  exit 0
elif compgen -G "$run_dir/checkpoints/*.h5" >/dev/null; then
  args+=(--restart latest)
  echo "twinsim_job: job $job (start $((${SLURM_RESTART_COUNT:-0} + 1))): restarting from the newest checkpoint in $run_dir"
elif [ -e "$run_dir/case.toml" ]; then
  args+=(--overwrite)
  echo "twinsim_job: job $job: $run_dir holds no checkpoint: starting afresh"
else
  echo "twinsim_job: job $job: starting $case_file in $run_dir"
fi

# TWINSIM_LAUNCH: the MPI launcher for runs across ranks (run_mpi.sbatch: srun ...); srun
# passes the forwarded signals on to every rank, and one rank's is enough: all checkpoint.
read -r -a launch <<<"${TWINSIM_LAUNCH:-}"
"${launch[@]}" "$twinsim" "${args[@]}" &
pid=$!
forward() {
  echo "twinsim_job: $1 received: forwarded to twinsim (pid $pid)"
  kill -s "$1" "$pid" 2>/dev/null
}
for signal in USR1 TERM INT; do
  trap "forward $signal" "$signal"
done

# A trapped signal ends `wait` early (status > 128) while twinsim goes on: wait again. Once
# twinsim has exited, a further `wait` gives its status if the last one did not (else 127).
while :; do
  wait "$pid"
  status=$?
  kill -0 "$pid" 2>/dev/null && continue
  if [ "$status" -gt 128 ]; then
    wait "$pid"
    again=$?
    [ "$again" -ne 127 ] && status=$again
  fi
  break
done

case $status in
  0) echo "twinsim_job: job $job: $run_dir finished" ;;
  3)
    echo "twinsim_job: job $job: interrupted after a checkpoint: requeued"
    if [ -n "${SLURM_JOB_ID:-}" ]; then
      scontrol requeue "$SLURM_JOB_ID"
    fi
    ;;
  *) echo "twinsim_job: job $job: twinsim exited with status $status" ;;
esac
exit "$status"
