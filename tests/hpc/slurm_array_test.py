"""A real Slurm on this machine runs a sweep as a job array; one task is pre-empted and resumes.

Run by CTest (label slurm) as: /usr/bin/python3 slurm_array_test.py <twinsim> <repo root>
Needs root and Debian 12's munge, slurmctld, slurmd and slurm-client (./dev.sh slurm installs
them). It configures a one-node cluster in a temporary folder (munged, slurmctld and slurmd
started here in the foreground, no systemd; proctrack/linuxproc, task/none, no cgroups, three
stand-in GPUs (empty files for device files) so the templates' --gres=gpu:1 is honoured), then:
1. hpc/slurm/submit_sweep.sh expands cases/sweep/cavity_reynolds.toml into three tasks, submits
   them as an array (sweep_array.sbatch) and the gather as an afterok job (gather.sbatch);
2. task 1 is sent USR1 mid-run (scancel --batch): it writes a checkpoint, exits 3 and requeues
   itself; its second start continues with --restart latest;
3. every task finishes, the gather job writes one file with the three runs, whole;
4. task 1's output equals, bit for bit, the same case run without interruption outside Slurm.
The daemons are stopped, and processes of the cluster's jobs ended, whatever happens.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

TWINSIM = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(sys.argv[2])
CASE = os.path.join(ROOT, "cases", "sweep", "cavity_reynolds.toml")
NODE = "twinsim0"
TASKS = 3
FRAMES = 37  # lbm.steps / lbm.output_every + 1
SIGNALLED = 1


class Failure(Exception):
    pass


def log(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """munged + slurmctld + slurmd for one node, everything under one temporary folder."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.conf = os.path.join(tmp, "slurm.conf")
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.daemons = []

    def configure(self):
        t = self.tmp
        for d in ("munge", "state", "spool", "log"):
            os.makedirs(os.path.join(t, d), mode=0o700)
        with open(os.path.join(t, "munge", "munge.key"), "wb") as f:
            f.write(os.urandom(1024))
        os.chmod(os.path.join(t, "munge", "munge.key"), 0o400)
        host = socket.gethostname()
        with open(self.conf, "w") as f:
            f.write(f"""ClusterName=twinsimtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={t}/munge/munge.sock
StateSaveLocation={t}/state
SlurmdSpoolDir={t}/spool
SlurmctldPidFile={t}/slurmctld.pid
SlurmdPidFile={t}/slurmd.pid
SlurmctldLogFile={t}/log/slurmctld.log
SlurmdLogFile={t}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=5,bf_interval=5
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
JobRequeue=1
MinJobAge=600
GresTypes=gpu
NodeName={NODE} NodeHostname={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory=1000 Gres=gpu:3 State=UNKNOWN
PartitionName=test Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
""")
        # Slurm ignores a GPU without a device file; with task/none nothing opens these.
        for i in range(3):
            open(os.path.join(t, f"gpu{i}"), "w").close()
        with open(os.path.join(t, "gres.conf"), "w") as f:
            f.write(f"NodeName={NODE} Name=gpu File={t}/gpu[0-2]\n")

    def start(self):
        t = self.tmp
        self.daemon("munged", ["/usr/sbin/munged", "--foreground", "--force",
                               f"--key-file={t}/munge/munge.key", f"--socket={t}/munge/munge.sock",
                               f"--pid-file={t}/munge/munged.pid", f"--log-file={t}/log/munged.log",
                               f"--seed-file={t}/munge/munge.seed"])
        self.wait_for(lambda: os.path.exists(f"{t}/munge/munge.sock"), 20, "munged's socket")
        self.daemon("slurmctld", ["/usr/sbin/slurmctld", "-D", "-i", "-f", self.conf])
        self.wait_for(lambda: self.command(["scontrol", "ping"], check=False).count("UP") > 0,
                      60, "slurmctld to answer scontrol ping")
        self.daemon("slurmd", ["/usr/sbin/slurmd", "-D", "-N", NODE, "-f", self.conf])
        self.wait_for(lambda: self.command(["sinfo", "-h", "-n", NODE, "-o", "%T"],
                                           check=False).strip() == "idle",
                      60, f"node {NODE} idle")

    def daemon(self, name, argv):
        out = open(os.path.join(self.tmp, "log", f"{name}.stdout"), "w")
        self.daemons.append((name, subprocess.Popen(argv, env=self.env, stdout=out,
                                                    stderr=subprocess.STDOUT)))
        log(f"started {name} (pid {self.daemons[-1][1].pid})")

    def wait_for(self, condition, seconds, what):
        end = time.time() + seconds
        while time.time() < end:
            for name, p in self.daemons:
                if p.poll() is not None:
                    raise Failure(f"{name} exited with status {p.returncode} while waiting for "
                                  f"{what}")
            if condition():
                return
            time.sleep(0.5)
        raise Failure(f"timed out after {seconds} s waiting for {what}")

    def command(self, argv, check=True, cwd=None, env=None):
        r = subprocess.run(argv, env=env or self.env, cwd=cwd, capture_output=True, text=True,
                           timeout=60)
        if check and r.returncode != 0:
            raise Failure(f"{' '.join(argv)}: status {r.returncode}: {r.stdout}{r.stderr}")
        return r.stdout

    def job_state(self, job):
        out = self.command(["scontrol", "-o", "show", "job", job], check=False)
        m = re.search(r"JobState=(\S+)", out)
        return m.group(1) if m else "UNKNOWN"

    def stop(self):
        """Cancels the jobs, stops the daemons and ends what the jobs left running."""
        if any(p.poll() is None for name, p in self.daemons if name == "slurmctld"):
            self.command(["scancel", "--full", "--partition=test"], check=False)
            time.sleep(2)
        for name, p in reversed(self.daemons):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            log(f"stopped {name} (status {p.returncode})")
        # Job processes (slurmstepd, the batch shells, twinsim) carry this cluster's SLURM_CONF.
        mark = f"SLURM_CONF={self.conf}".encode()
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    if mark in f.read().split(b"\0") and int(pid) != os.getpid():
                        os.kill(int(pid), signal.SIGKILL)
                        log(f"ended leftover job process {pid}")
            except (OSError, ProcessLookupError):
                pass

    def print_logs(self):
        for name in sorted(os.listdir(os.path.join(self.tmp, "log"))):
            with open(os.path.join(self.tmp, "log", name), errors="replace") as f:
                lines = f.readlines()
            print(f"----- {name} (last 40 lines) -----")
            print("".join(lines[-40:]), end="")


def datasets(path):
    """Every dataset of an HDF5 file as a numpy array, by path (virtual frame views included)."""
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return out


def check_equal(a, b, what):
    if sorted(a) != sorted(b):
        raise Failure(f"{what}: datasets differ: {sorted(set(a) ^ set(b))}")
    for name in a:
        if not np.array_equal(a[name], b[name]):
            raise Failure(f"{what}: {name} differs")


def run_test(cluster, work):
    env = dict(cluster.env, TWINSIM=TWINSIM, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="passive")
    submit = [os.path.join(ROOT, "hpc", "slurm", "submit_sweep.sh"), CASE, "sweep", "runs",
              "--cpus-per-task=1", "--time=20"]
    array, gather = cluster.command(submit, cwd=work, env=env).split()
    log(f"submitted array {array} and gather {gather}")
    with open(os.path.join(work, "sweep", "tasks.csv")) as f:
        names = [line.split(",")[1] for line in f.read().splitlines()[1:]]
    if len(names) != TASKS:
        raise Failure(f"the sweep has {len(names)} tasks, expected {TASKS}")

    # Pre-empt task 1 a second after its run has written output (the whole run takes about
    # 6 s on a quiet 2-core machine since the LBM collision got faster: a later signal can find
    # the task already done).
    task = f"{array}_{SIGNALLED}"
    h5 = os.path.join(work, "runs", names[SIGNALLED], names[SIGNALLED] + ".h5")
    cluster.wait_for(lambda: cluster.job_state(task) == "RUNNING" and os.path.exists(h5), 120,
                     f"task {task} running with output")
    time.sleep(1)
    cluster.command(["scancel", "--signal=USR1", "--batch", task])
    log(f"sent USR1 to the batch shell of {task}")
    # Slurm 22.05 holds a requeued batch job for about two minutes (Reason=BeginTime).
    cluster.wait_for(lambda: cluster.job_state(task) == "PENDING", 120, f"{task} requeued")
    pending = cluster.command(["scontrol", "-o", "show", "job", task])
    log(f"{task} requeued: " + " ".join(re.findall(r"(?:Reason|EligibleTime|Restarts)=\S+", pending)))
    # That hold is Slurm's policy, not the template's: make the task eligible now, as an
    # administrator may (two minutes of CI's time otherwise).
    cluster.command(["scontrol", "update", f"JobId={task}", "StartTime=now"])

    def ended():  # the gather ran, or never will (a task failed: afterok cannot be met)
        out = cluster.command(["scontrol", "-o", "show", "job", gather], check=False)
        return "DependencyNeverSatisfied" in out or cluster.job_state(gather) in (
            "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT")

    start = time.time()
    cluster.wait_for(ended, 300, f"gather job {gather} to end")
    log(f"all jobs ended {time.time() - start:.0f} s after the signal")
    states = {i: cluster.job_state(f"{array}_{i}") for i in range(TASKS)}
    outputs = {i: open(os.path.join(work, f"twinsim-sweep-{array}_{i}.out")).read()
               for i in range(TASKS)}
    for i in range(TASKS):
        print(f"----- twinsim-sweep-{array}_{i}.out -----\n{outputs[i]}", end="")
    if any(s != "COMPLETED" for s in states.values()) or cluster.job_state(gather) != "COMPLETED":
        raise Failure(f"task states {states}, gather {cluster.job_state(gather)}")

    # The signalled task: checkpoint, exit 3, requeued, restarted from the checkpoint.
    out = outputs[SIGNALLED]
    for expected in ("USR1 received: forwarded to twinsim", "stopped by SIGUSR1",
                     "interrupted after a checkpoint: requeued",
                     "restarting from the newest checkpoint", "restart from", "finished"):
        if expected not in out:
            raise Failure(f"task {SIGNALLED}'s log lacks '{expected}'")
    for i in set(range(TASKS)) - {SIGNALLED}:
        if "restart" in outputs[i] or outputs[i].count("starting ") != 1:
            raise Failure(f"task {i} was not run exactly once from the start")
    restart = cluster.command(["scontrol", "-o", "show", "job", task])
    if not re.search(r"Restarts=1\b", restart):
        raise Failure(f"task {task} should show Restarts=1: {restart}")

    # The gathered file: three whole runs, FRAMES frames each.
    gathered = os.path.join(work, "runs", "sweep.h5")
    with h5py.File(gathered, "r") as f:
        if list(f["members"].attrs["names"]) != names:
            raise Failure(f"gathered members {list(f['members'].attrs['names'])}")
        if list(f["members"].attrs["statuses"]) != ["ok"] * TASKS:
            raise Failure(f"gathered statuses {list(f['members'].attrs['statuses'])}")
        if list(f["members"].attrs["lbm.domain.viscosity"]) != [0.01, 0.005, 0.0025]:
            raise Failure("gathered swept values differ from the sweep's")
        for name in names:
            fields = f[f"members/{name}/fields"]
            for field, g in fields.items():
                if g.attrs["complete_frames"] != FRAMES or g["value"].shape[0] != FRAMES:
                    raise Failure(f"{name}: /fields/{field} has {g['value'].shape[0]} frames, "
                                  f"expected {FRAMES}")
            log(f"{name}: {len(fields)} fields of {FRAMES} frames")

    # The interrupted run equals an uninterrupted one, bit for bit.
    reference = os.path.join(work, "reference")
    r = subprocess.run([TWINSIM, "-q", "run", os.path.join(work, "sweep", f"task_{SIGNALLED}.toml"),
                        "--out", reference], env=env, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise Failure(f"the uninterrupted run failed: {r.stderr}")
    name = names[SIGNALLED]
    ref = datasets(os.path.join(reference, name + ".h5"))
    check_equal(datasets(h5), ref, "the signalled task's file against the uninterrupted run")
    with h5py.File(gathered, "r") as f:
        member = {}
        f[f"members/{name}"].visititems(
            lambda n, o: member.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    check_equal(member, {n: v for n, v in ref.items() if not n.startswith("xdmf/")},
                "the gathered copy against the uninterrupted run")
    for sidecar in (name + ".xmf",):
        if open(os.path.join(reference, sidecar)).read() != open(
                os.path.join(work, "runs", name, sidecar)).read():
            raise Failure(f"{sidecar} differs from the uninterrupted run's")
    log(f"task {SIGNALLED}: {len(ref)} datasets equal, bit for bit, to the uninterrupted run")


def run_on_a_cluster(test, prefix, commands):
    """Starts a one-node cluster in a scratch folder, runs test(cluster, work) on it, stops it;
    0 when the test passed. Shared by the Slurm tests."""
    if os.geteuid() != 0:
        print("error: the Slurm test starts munged, slurmctld and slurmd: run it as root "
              "(./dev.sh slurm)", file=sys.stderr)
        return 1
    missing = [p for p in ("/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd")
               if not os.path.exists(p)] + [c for c in commands
                                            if not shutil.which(c)]
    if missing:
        print(f"error: missing {' '.join(missing)} (apt-get install munge slurmctld slurmd "
              "slurm-client, or ./dev.sh slurm)", file=sys.stderr)
        return 1

    def terminated(signum, frame):  # so that the daemons are stopped (finally) on kill/Ctrl-C
        raise Failure(f"terminated by signal {signum}")

    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGINT, terminated)
    start = time.time()
    tmp = tempfile.mkdtemp(prefix=prefix)
    cluster = Cluster(tmp)
    ok = False
    try:
        cluster.configure()
        cluster.start()
        log(f"cluster up in {time.time() - start:.0f} s ({tmp})")
        work = os.path.join(tmp, "work")
        os.makedirs(work)
        test(cluster, work)
        ok = True
    except Failure as e:
        print(f"FAILED: {e}", file=sys.stderr)
    finally:
        if not ok:
            cluster.print_logs()
        cluster.stop()
        if not os.environ.get("TWINSIM_KEEP_SLURM_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)
    log(f"{'passed' if ok else 'failed'} in {time.time() - start:.0f} s")
    return 0 if ok else 1


def main():
    return run_on_a_cluster(run_test, "twinsim-slurm-", ("sbatch", "scontrol", "scancel", "sinfo"))


if __name__ == "__main__":
    sys.exit(main())
