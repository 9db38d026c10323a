"""The whole suite N times in a row, optionally with a CPU hog on every core.

    python benchmarks/stability.py [--runs 20] [--hog] [--stop-on-failure] [-- PYTEST ARGS]

Each run is the README's `pytest` (plus PYTEST ARGS) in a subprocess, its reports in a
folder of its own under reports/stability/ (kept, so a failure's report can be read).
With --hog, one busy process per CPU core spins for the whole series, so every wait in
the suite is tested on a machine with no spare CPU. Prints each run's wall time and
pytest's last line, then the figures: runs green, best/median/worst wall time, and every
test that failed with the run it failed in.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_CEILING_S = 1800  # one run of the whole suite; a hang must not stall the series


def spin() -> None:
    while True:  # the hog: one core's worth of work, until terminated
        pass


def failed_tests(junit: Path) -> list[str]:
    try:
        tree = ET.parse(junit)
    except (OSError, ET.ParseError) as exc:
        return ["(no junit.xml: %s)" % exc]
    return ["%s::%s" % (case.get("classname"), case.get("name"))
            for case in tree.iter("testcase")
            if case.find("failure") is not None or case.find("error") is not None]


def run_once(number: int, folder: Path, extra: list[str]) -> tuple[float, int, str, list[str]]:
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
           "--html", str(folder / "report.html"), "--self-contained-html",
           "--junitxml", str(folder / "junit.xml"),
           "--summary-json", str(folder / "summary.json"), *extra]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                              timeout=RUN_CEILING_S)
        code, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = -1, "run %d hung past %d s: %s" % (number, RUN_CEILING_S, exc)
    seconds = time.perf_counter() - started
    (folder / "output.txt").write_text(output, encoding="utf-8")
    lines = [line for line in output.splitlines() if re.search(r" in [\d.]+s", line)]
    last = lines[-1].strip("= ") if lines else (output.strip().splitlines() or [""])[-1]
    return seconds, code, last, failed_tests(folder / "junit.xml") if code else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--hog", action="store_true", help="one busy process per CPU core")
    parser.add_argument("--stop-on-failure", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "stability")
    parser.add_argument("pytest_args", nargs="*", help="after --: added to each pytest run")
    args = parser.parse_args()
    hogs = [multiprocessing.Process(target=spin, daemon=True)
            for _ in range(os.cpu_count() or 1)] if args.hog else []
    for hog in hogs:
        hog.start()
    times: list[float] = []
    failures: list[tuple[int, str]] = []
    green = 0
    try:
        for number in range(1, args.runs + 1):
            seconds, code, last, failed = run_once(number, args.out / ("run-%02d" % number),
                                                   args.pytest_args)
            times.append(seconds)
            green += code == 0
            failures += [(number, name) for name in failed]
            print("run %2d: %6.1f s  exit %d  %s" % (number, seconds, code, last), flush=True)
            for name in failed:
                print("        failed: %s" % name, flush=True)
            if code and args.stop_on_failure:
                break
    finally:
        for hog in hogs:
            hog.terminate()
    print("\n%d of %d runs green%s; wall time best %.1f s, median %.1f s, worst %.1f s"
          % (green, len(times), " with %d busy processes" % len(hogs) if hogs else "",
             min(times), statistics.median(times), max(times)))
    for number, name in failures:
        print("run %d failed %s" % (number, name))
    sys.exit(0 if green == len(times) else 1)


if __name__ == "__main__":
    main()
