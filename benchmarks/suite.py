"""Wall time of the quick emulated suite, without xdist and with xdist workers.

    python benchmarks/suite.py [--workers 0,2] [--repeat 3]

Runs `pytest -q -m "not slow" scenarios` in a subprocess for each worker
count (0 = no xdist: one process; N = `-n N`: N workers, one virtual module
each), with the cache off and every report in a temporary folder, and prints
the best and the median wall time of --repeat runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ["-q", "-m", "not slow", "scenarios"]


def run_once(workers: int, folder: Path) -> tuple[float, str]:
    """(seconds, pytest's last line) of one run; exits with its output if pytest broke."""
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
           "-n", str(workers), "--basetemp", str(folder / "tmp"),
           "--html", str(folder / "report.html"), "--self-contained-html",
           "--junitxml", str(folder / "junit.xml"), *SUITE]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    output = proc.stdout + proc.stderr
    if proc.returncode not in (0, 1):  # 1: some tests failed, the time still counts
        sys.exit("pytest -n %d ended with %d:\n%s" % (workers, proc.returncode, output[-3000:]))
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return seconds, lines[-1].strip("= ") if lines else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="0,2", help="comma-separated -n values")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("pytest %s, wall time of %d runs each" % (" ".join(SUITE), args.repeat))
    print("%-20s %7s %9s  %s" % ("workers", "best s", "median s", "pytest said (last run)"),
          flush=True)
    for workers in [int(w) for w in args.workers.split(",")]:
        with tempfile.TemporaryDirectory(prefix="qpy-suite-") as tmp:
            runs = [run_once(workers, Path(tmp, str(i))) for i in range(args.repeat)]
        times = [seconds for seconds, _said in runs]
        label = "1 process (-n 0)" if workers == 0 else "%d worker%s (-n %d)" % (
            workers, "s"[:workers != 1], workers)
        print("%-20s %7.2f %9.2f  %s" % (label, min(times), statistics.median(times),
                                         runs[-1][1]), flush=True)


if __name__ == "__main__":
    main()
