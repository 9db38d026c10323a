"""The smallest heap at which the micropython engine passes an upload and a download.

    python benchmarks/engine_heap.py [--low 48K] [--high 1M] [--step 4K] [--size 65536]

Each probe runs the upload and download scenarios (bundled ftplib, one payload
size) on a virtual module whose device code runs in MicroPython with
`-X heapsize=N` (ModuleConfig(engine="micropython", heap=N)), in a pytest child
process; a bisection finds the smallest N that passes. N is the heap device programs
get, as on the firmware whose modules are C code: the engine's own MicroPython
stand-ins get their share on top. The heap is the unix port's on x86-64: its
objects are about twice the size of a 32-bit module's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.options.values import parse_size

ROOT = Path(__file__).resolve().parents[1]


def upload_download_passes(heap: int, size: int = 65536) -> bool:
    """Do test_upload_binary and test_download_binary pass with this heap (bytes)?"""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "pytest", "scenarios/test_upload.py",
               "scenarios/test_download.py", "-k", "upload_binary or download_binary",
               "-p", "no:xdist", "-p", "no:randomly", "-q", "--ftplib=bundled",
               "--payload-sizes=%d" % size, "--emulator-engine=micropython",
               "--emulator-heap=%d" % heap, "--summary-json=%s/s.json" % out,
               "--html=%s/r.html" % out, "--junitxml=%s/j.xml" % out]
        return subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=600).returncode == 0


def smallest_heap(low: int, high: int, step: int, size: int = 65536) -> int | None:
    """Bisect [low, high] in `step` bytes; None if even `high` fails."""
    if not upload_download_passes(high, size):
        return None
    lo, hi = low // step, high // step  # hi passes
    while lo < hi:
        mid = (lo + hi) // 2
        if upload_download_passes(mid * step, size):
            hi = mid
        else:
            lo = mid + 1
    return hi * step


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--low", default="48K")
    parser.add_argument("--high", default="1M")
    parser.add_argument("--step", default="4K")
    parser.add_argument("--size", type=int, default=65536, help="payload bytes")
    args = parser.parse_args()
    started = time.monotonic()
    found = smallest_heap(parse_size("--low", args.low), parse_size("--high", args.high),
                          parse_size("--step", args.step),
                          args.size)
    took = time.monotonic() - started
    if found is None:
        print("upload+download fail even with a %s heap" % args.high)
        return 1
    print("smallest micropython heap for upload+download of %d B: %d KiB (%d bytes; "
          "searched in %.0f s)" % (args.size, found // 1024, found, took))
    return 0


if __name__ == "__main__":
    sys.exit(main())
