"""A real Slurm on this machine runs one case across 2 MPI ranks started by srun.

Run by CTest (label slurm) as: /usr/bin/python3 slurm_mpi_test.py <twinsim> <repo root>
Needs what slurm_array_test.py needs (root; Debian 12's munge, slurmctld, slurmd, slurm-client)
and uses its one-node cluster. Then:
1. hpc/slurm/run_mpi.sbatch is submitted for a spectral ensemble (7 samples in batches of 2: the
   kind that splits across ranks) on one node with 2 tasks; its launcher is the template's
   `srun --mpi=pmix --cpu-bind=cores` (the cluster's task/none plugin binds nothing; Debian's Open MPI 4.1 talks to Slurm only through PMIx: it has no PMI-1/2
   components, so --mpi=pmi2 cannot start it; Slurm's mpi_pmix plugin is Debian's
   slurm-wlm-basic-plugins);
2. the job completes, twinsim's log says 2 ranks, summary.json has mpi.ranks = 2, and the run's
   HDF5 file equals, bit for bit, the same case run as one process outside Slurm;
3. a batch job `srun --mpi=pmix twinsim train` on 2 tasks trains an FNO on that file data
   parallel: model.h5 equals one process's training to round-off.
"""
import json
import os
import subprocess
import sys

import h5py
import numpy as np

from slurm_array_test import Failure, check_equal, datasets, log, run_on_a_cluster

TWINSIM = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(sys.argv[2])
RANKS = 2

CASE = """
[run]
name = "ens"
solver = "spectral"
device = "cpu"

[spectral]
nx = 32
ny = 32
nu = 1e-3
dt = 1e-3
t_end = 0.2
snapshot_interval = 0.05
scheme = "cn_euler"
precision = "float64"
forcing = "fno"
forcing_amplitude = 0.1
initial = "random"
alpha = 2.5
tau = 7.0
sigma = 26.191601707417593
seed = 3
samples = 7
batch = 2
stored_nx = 16
stored_ny = 16
"""


# Data-parallel training on the ensemble's trajectories (6 train, 1 test; 12 windows).
TRAIN = """
[run]
name = "fno"
device = "cpu"

[data]
files = ["{data}"]
train_samples = 6
test_samples = 1
in_frames = 3

[model]
kind = "fno2d"
width = 6
modes = 4
layers = 2
projection = 12

[optimizer]
kind = "adam"
lr = 1e-2

[train]
epochs = 2
batch = 4
loss = "mse"
precision = "float64"
seed = 1
"""


def parameters(model):
    with h5py.File(model, "r") as m:
        return {k: m["parameters"][k][()] for k in m["parameters"]}


def train_test(cluster, work, env, data):
    """srun -n 2 twinsim train in a batch job: the model of one process to round-off (float64;
    tests/mpi/test_mpi_train.py explains the tolerance)."""
    case = os.path.join(work, "fno.toml")
    with open(case, "w") as f:
        f.write(TRAIN.format(data=data))
    one = os.path.join(work, "fno_one")
    r = subprocess.run([TWINSIM, "train", case, "--out", one], env=env, capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        raise Failure(f"the one-process training failed: {r.stderr}")
    two = os.path.join(work, "fno_two")
    script = os.path.join(work, "train.sbatch")
    with open(script, "w") as f:
        f.write(f"#!/bin/sh\nexec srun --mpi=pmix {TWINSIM} train {case} --out {two}\n")
    job = cluster.command(["sbatch", "--parsable", "--nodes=1", f"--ntasks={RANKS}",
                           "--cpus-per-task=1", "--time=10", "--output=train-%j.out", script],
                          cwd=work, env=env).strip().split(";")[0]
    cluster.wait_for(lambda: cluster.job_state(job) in ("COMPLETED", "FAILED", "CANCELLED",
                                                         "TIMEOUT", "NODE_FAIL"),
                     240, f"job {job} to end")
    output = open(os.path.join(work, f"train-{job}.out")).read()
    print(f"----- train-{job}.out -----\n{output}", end="")
    if cluster.job_state(job) != "COMPLETED" or "data parallel over 2 ranks" not in output:
        raise Failure(f"training job {job} ended {cluster.job_state(job)}, not 2 ranks")
    a, b = parameters(os.path.join(one, "model.h5")), parameters(os.path.join(two, "model.h5"))
    for name in a:
        scale = max(np.max(np.abs(a[name])), 1e-300)
        if sorted(a) != sorted(b) or np.max(np.abs(a[name] - b[name])) / scale > 1e-11:
            raise Failure(f"srun -n {RANKS} twinsim train: {name} differs from one process")
    log(f"srun -n {RANKS} twinsim train: model.h5 equals one process's to round-off")


def run_test(cluster, work):
    case = os.path.join(work, "ens.toml")
    with open(case, "w") as f:
        f.write(CASE)
    env = dict(cluster.env, TWINSIM=TWINSIM, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="passive",
               TWINSIM_SLURM_DIR=os.path.join(ROOT, "hpc", "slurm"))
    reference = os.path.join(work, "reference")
    r = subprocess.run([TWINSIM, "run", case, "--out", reference], env=env, capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        raise Failure(f"the one-process run failed: {r.stderr}")
    # The template asks for 2 nodes of 4 GPUs; this cluster is one node with 3 stand-in GPUs.
    sbatch = ["sbatch", "--parsable", "--nodes=1", f"--ntasks-per-node={RANKS}",
              "--gpus-per-node=0", "--cpus-per-task=1", "--time=10",
              os.path.join(ROOT, "hpc", "slurm", "run_mpi.sbatch"), case,
              os.path.join(work, "mpi")]
    job = cluster.command(sbatch, cwd=work, env=env).strip().split(";")[0]
    log(f"submitted {job}: run_mpi.sbatch, {RANKS} tasks, its own launcher (srun --mpi=pmix)")
    cluster.wait_for(lambda: cluster.job_state(job) in ("COMPLETED", "FAILED", "CANCELLED",
                                                         "TIMEOUT", "NODE_FAIL"),
                     240, f"job {job} to end")
    output = open(os.path.join(work, f"twinsim-mpi-{job}.out")).read()
    print(f"----- twinsim-mpi-{job}.out -----\n{output}", end="")
    if cluster.job_state(job) != "COMPLETED":
        raise Failure(f"job {job} ended {cluster.job_state(job)}")
    if f"MPI: {RANKS} ranks on 1 node" not in output:
        raise Failure(f"twinsim did not run as {RANKS} ranks (no 'MPI: {RANKS} ranks' line)")
    with open(os.path.join(work, "mpi", "summary.json")) as f:
        summary = json.load(f)
    if summary.get("status") != "ok" or summary.get("mpi", {}).get("ranks") != RANKS:
        raise Failure(f"summary.json: status {summary.get('status')}, mpi {summary.get('mpi')}")
    check_equal(datasets(os.path.join(reference, "ens.h5")),
                datasets(os.path.join(work, "mpi", "ens.h5")), f"the {RANKS}-rank run")
    log(f"{RANKS} ranks under srun: ens.h5 equals the one-process run bit for bit")
    train_test(cluster, work, env, os.path.join(reference, "ens.h5"))


def main():
    return run_on_a_cluster(run_test, "twinsim-slurm-mpi-", ("sbatch", "srun", "scontrol", "sinfo"))


if __name__ == "__main__":
    sys.exit(main())
