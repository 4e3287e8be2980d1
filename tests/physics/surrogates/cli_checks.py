"""What the surrogate CLI tests share: the program under test (argv[1]), a check that records a
failure and goes on, a run of twinsim that must end with the expected exit status, and the
closing verdict."""
import subprocess
import sys

TWINSIM = sys.argv[1]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def twinsim(*args, expect=0):
    r = subprocess.run([TWINSIM, "-q", *args], capture_output=True, text=True)
    if r.returncode != expect:
        print(r.stdout, r.stderr)
        raise SystemExit(f"twinsim {' '.join(args)}: exit {r.returncode}, expected {expect}")
    return r


def verdict():
    if failures:
        raise SystemExit(f"{len(failures)} check(s) failed: {failures}")
    print("all passed")
