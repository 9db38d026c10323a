"""The quick catalogue's wall time on each link preset of the virtual module.

    python benchmarks/link_presets.py [--presets none,lte-cat1,lte-m1,nb-iot]
                                      [--workers 2] [--engine cpython] [-- PYTEST_ARGS]

Runs `pytest scenarios -m "not slow" --emulator-link=NAME` in a subprocess per preset
(every report in a temporary folder), and prints, per preset, its figures, the wall
time and pytest's verdict. The figures and their sources: harness/link_profiles.py.
Slow presets take long by design (NB-IoT: tens of minutes); a run per preset is
limited to --limit seconds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.link_profiles import PRESETS, link_profile  # noqa: E402

QUICK = ["scenarios", "-q", "-m", "not slow"]


def run_preset(name: str, workers: int, engine: str, extra: list[str],
               limit: float) -> tuple[float, str]:
    """(seconds, pytest's verdict line) of the quick catalogue on one preset."""
    with tempfile.TemporaryDirectory(prefix="qpy-link-") as tmp:
        folder = Path(tmp)
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
               "-n", str(workers), "--basetemp", str(folder / "tmp"),
               "--html", str(folder / "report.html"), "--self-contained-html",
               "--junitxml", str(folder / "junit.xml"),
               "--summary-json", str(folder / "summary.json"),
               "--emulator-link=%s" % name, "--emulator-engine=%s" % engine, *QUICK, *extra]
        started = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            return time.perf_counter() - started, "did not finish within %.0f s" % limit
        seconds = time.perf_counter() - started
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    said = lines[-1].strip("= ") if lines else "exit %d" % proc.returncode
    if proc.returncode not in (0, 1):
        said = "pytest ended with %d: %s" % (proc.returncode, said)
    return seconds, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default=",".join(PRESETS),
                        help="comma-separated preset names (default: all)")
    parser.add_argument("--workers", type=int, default=2, help="pytest -n (default 2)")
    parser.add_argument("--engine", default="cpython", help="--emulator-engine")
    parser.add_argument("--limit", type=float, default=4 * 3600,
                        help="seconds one preset's run may take (default 4 h)")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments, after --")
    args = parser.parse_args()
    names = [name.strip() for name in args.presets.split(",") if name.strip()]
    for name in names:
        link_profile(name)  # a typo ends here, naming the presets
    print("quick catalogue (pytest %s), -n %d, %s engine"
          % (" ".join(QUICK + args.pytest_args), args.workers, args.engine))
    print("%-9s %9s  %-s" % ("preset", "wall s", "pytest said / the link"), flush=True)
    for name in names:
        seconds, said = run_preset(name, args.workers, args.engine, args.pytest_args,
                                   args.limit)
        print("%-9s %9.1f  %s\n%-9s %9s  %s" % (name, seconds, said, "", "",
                                                link_profile(name).describe()), flush=True)


if __name__ == "__main__":
    main()
