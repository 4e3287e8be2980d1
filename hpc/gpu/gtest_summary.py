"""One line per GoogleTest executable from its --gtest_output XML.

Usage: python3 gtest_summary.py XML NAME EXIT_CODE SECONDS
Prints e.g.
  PASS test_exec           41 passed  0 failed 12 skipped | gpu cases: 12 ran, 0 skipped | 3.1 s
GPU cases are the typed suites' <Suite>/gpu... cases and the CPU-vs-GPU agreement tests
(*CpuAndGpuAgree, BackendsAgree.*): on the GPU machine "gpu cases: N skipped" must be 0.
With TWINSIM_REQUIRE_GPU=1 in the environment (run_suite.sh sets it where nvidia-smi sees a GPU)
a skipped GPU case makes the verdict FAIL: a driver too old for the runtime, or a library the
loader cannot find, shows as "no CUDA device" and would otherwise pass with nothing checked.
Standard library only (runs with any python3).
"""
import os
import sys
import xml.etree.ElementTree as ET


def is_gpu_case(suite, name):
    # The filter run_suite.sh and `ctest -L gpu` use: '*/gpu*:*CpuAndGpuAgree*:BackendsAgree.*'.
    return "/gpu" in suite or "CpuAndGpuAgree" in name or suite == "BackendsAgree"


def main():
    path, exe, rc, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    if not os.path.exists(path):
        why = "timed out" if rc in (124, 137) else f"exit {rc}, no XML: crashed or did not start"
        print(f"CRASH {exe:<26} {why} | {seconds:.1f} s")
        return
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print(f"CRASH {exe:<26} exit {rc}, unreadable XML ({e}) | {seconds:.1f} s")
        return
    passed = failed = skipped = gpu_ran = gpu_skipped = 0
    failures = []
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            sname, cname = suite.get("name", ""), case.get("name", "")
            if case.find("failure") is not None:
                failed += 1
                failures.append(f"{sname}.{cname}")
                state = "ran"
            elif case.find("skipped") is not None or case.get("result") == "skipped" \
                    or case.get("status") == "notrun":
                skipped += 1
                state = "skipped"
            else:
                passed += 1
                state = "ran"
            if is_gpu_case(sname, cname):
                if state == "ran":
                    gpu_ran += 1
                else:
                    gpu_skipped += 1
    verdict = "PASS" if failed == 0 and rc == 0 else "FAIL"
    require_gpu = os.environ.get("TWINSIM_REQUIRE_GPU") == "1"
    if require_gpu and gpu_skipped > 0:
        verdict = "FAIL"
    if rc in (124, 137):
        verdict = "TIMEOUT"
    line = (f"{verdict:<5} {exe:<26} {passed:4d} passed {failed:3d} failed {skipped:3d} skipped"
            f" | gpu cases: {gpu_ran} ran, {gpu_skipped} skipped | {seconds:.1f} s")
    if rc != 0 and failed == 0:
        line += f" | exit {rc}"
    if require_gpu and gpu_skipped > 0:
        line += " | GPU cases skipped on a machine with a GPU (see the log's skip messages)"
    print(line)
    for f in failures[:20]:
        print(f"      failed: {f}")


if __name__ == "__main__":
    main()
