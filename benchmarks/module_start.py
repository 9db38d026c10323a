"""What one virtual module's start and stop costs: forked by the launcher, or fresh.

    python benchmarks/module_start.py [--count 20]

Starts and stops --count virtual modules (a pseudo-terminal each, the CPython engine)
both ways, in a process of its own each: forked from the warm launcher
(harness/emulator/launcher.py, what POSIX gets), and as fresh interpreters (what Windows
gets; here by hiding os.fork). Prints wall seconds per module and the CPU seconds of the
whole process tree per module, read from /proc/stat (every core's busy time: run it on
an otherwise idle machine). Say PYTHONDONTWRITEBYTECODE=1 to see it without cached bytecode.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import os, sys, time
if sys.argv[1] == "fresh":
    del os.fork  # the Windows way: a fresh interpreter per module
from harness.emulator import VirtualModule
started = time.perf_counter()
for _ in range(int(sys.argv[2])):
    module = VirtualModule().start()
    assert module.running
    module.stop()
print(time.perf_counter() - started)
"""


def busy_seconds() -> float:
    """Every core's busy time so far (user, nice, system, irq, softirq, steal)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    ticks = [int(value) for value in fields]
    busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]
    return busy / os.sysconf("SC_CLK_TCK")


def measure(way: str, count: int) -> tuple[float, float]:
    """(wall s, CPU s) per module, the launcher's own start included."""
    before = busy_seconds()
    done = subprocess.run([sys.executable, "-c", CHILD, way, str(count)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    cpu = busy_seconds() - before
    if done.returncode != 0:
        sys.exit("the %s run failed:\n%s" % (way, done.stderr[-3000:]))
    return float(done.stdout.split()[-1]) / count, cpu / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    if not Path("/proc/stat").exists():
        sys.exit("reads the CPU time from /proc/stat (Linux)")
    print("%d virtual modules started and stopped, per module (PYTHONDONTWRITEBYTECODE=%s)"
          % (args.count, os.environ.get("PYTHONDONTWRITEBYTECODE", "")))
    print("%-28s %8s %8s" % ("how", "wall s", "CPU s"), flush=True)
    for way, label in (("forked", "forked by the launcher"), ("fresh", "fresh interpreter")):
        wall, cpu = measure(way, args.count)
        print("%-28s %8.3f %8.3f" % (label, wall, cpu), flush=True)


if __name__ == "__main__":
    main()
