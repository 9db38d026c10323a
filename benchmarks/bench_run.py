"""A bench run at serial speed: the quick catalogue against virtual modules behind 115200 baud.

    python benchmarks/bench_run.py [--baud 115200] [--skip parallel,heap]
    python benchmarks/bench_run.py --device COM5,COM7,COM8,COM9 --skip engine,heap

Every figure comes from a fresh set of virtual modules (harness.emulator,
ModuleConfig.baud: the module sends and receives at most baud/10 bytes a
second), driven as a bench drives real ones: `pytest --device=<their ports>`.
It prints:

  catalogue   wall time of `pytest scenarios -m "not slow and not reboot"
              --ftplib=bundled` on one module, and the share of it spent
              staging payloads on the module; then the same run again, as a
              bench's every later run: the scripts are on the module
  engine      the same catalogue on the real-MicroPython engine with a 128 KiB
              heap (a bench module's; where this checkout has the engine)
  upload      the 1 MiB upload scenario (test_upload_binary, 1048576 B) alone
  session     session start per module (claim, start-up check, script sync)
  parallel    the catalogue on four modules with -n 4, and the parallel
              efficiency: one-module time / (4 x four-module time); first
              run and again; then on two modules with -n 2 (where the workers
              are no more than the cores of a 2-core machine)
  whole       the whole catalogue (`-m "not reboot"`: the 1 MiB payloads and the
              long fault scenarios too) on one module and on four, each run
              once before (scripts on the modules), and the efficiency
  heap        on the real-MicroPython engine with a heap limit (where this
              checkout has one: ModuleConfig.engine / .heap), the smallest heap
              at which the upload and download scenarios pass, by bisection. The
              heap is the device programs' own, as on the firmware (whose
              modules are C code); the engine's MicroPython stand-ins get their
              share on top (harness/emulator/mpy_engine.py ENGINE_SHARE)

With --device, the same runs go to real modules (the first N of the ports
given; the parallel figures need four): the bench's own baud rate, and the
"fresh" runs are fresh only if the modules hold no scripts of this checkout.
The engine and heap figures need the virtual module and are skipped.

Times come from benchmarks/bench_timing.py, a plugin loaded into each run; the
staging time from summary.json's time by phase where the checkout writes it
(else from timing the FtpRun methods that stage payloads).
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.emulator import ModuleConfig, VirtualModule  # noqa: E402

CATALOGUE = ["scenarios", "-m", "not slow and not reboot", "--ftplib=bundled"]
WHOLE = ["scenarios", "-m", "not reboot", "--ftplib=bundled"]
UPLOAD_1MIB = ["scenarios/test_upload.py", "-k", "test_upload_binary and 1048576",
               "--ftplib=bundled"]
HEAP_CHECK = ["scenarios/test_upload.py::test_upload_binary",
              "scenarios/test_download.py::test_download_binary", "-k", "65536B",
              "--ftplib=bundled"]
KIB = 1024
REAL_PORTS: list[str] = []  # --device: real modules, in place of virtual ones


@dataclasses.dataclass
class Run:
    seconds: float
    said: str  # pytest's last line
    returncode: int
    timing: list[dict[str, Any]]  # one per process (bench_timing.py)
    phases: dict[str, float]  # summary.json's time by phase, where this checkout writes it

    @property
    def staging(self) -> float:
        if "staging" in self.phases:
            return self.phases["staging"]
        return sum(t["staging"] for t in self.timing)

    @property
    def session_starts(self) -> list[float]:
        return [t["session_start"] for t in self.timing if t["session_start"] is not None]

    @property
    def test_span(self) -> float | None:
        """From the first test's start in any process to the last one's end: the run
        without pytest's own start-up (workers spawned, plugins loaded) and ending."""
        began = [t["tests_began"] for t in self.timing if t.get("tests_began")]
        ended = [t["tests_ended"] for t in self.timing if t.get("tests_ended")]
        return max(ended) - min(began) if began and ended else None

    def call_time(self, contains: str) -> float | None:
        found = [s for t in self.timing for node, s in t["calls"].items() if contains in node]
        return sum(found) if found else None


def engine_available() -> bool:
    """Does this checkout's virtual module offer the real-MicroPython engine with a heap?"""
    names = {f.name for f in dataclasses.fields(ModuleConfig)}
    return {"engine", "heap"} <= names


@contextmanager
def modules(count: int, **config: Any) -> Iterator[list[str]]:
    """`count` fresh virtual modules; their ports. Or the first `count` of --device."""
    if REAL_PORTS:  # main() skips the figures that need more modules than these
        yield REAL_PORTS[:count]
        return
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            module = VirtualModule(ModuleConfig(**config), start_timeout=60)
            stack.enter_context(module)
            ports.append(module.port)
        yield ports


def run_pytest(ports: list[str], args: list[str], workers: int = 0,
               also_ok: tuple[int, ...] = ()) -> Run:
    with tempfile.TemporaryDirectory(prefix="qpy-bench-") as tmp:
        folder = Path(tmp)
        timing = folder / "timing"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
               "-p", "benchmarks.bench_timing", "--basetemp", str(folder / "tmp"),
               "--html", str(folder / "report.html"), "--self-contained-html",
               "--junitxml", str(folder / "junit.xml"),
               "--summary-json", str(folder / "summary.json"),
               "--device", ",".join(ports), *args]
        cmd += ["-n", str(workers)] if workers else ["-p", "no:xdist"]
        env = dict(os.environ, QPY_BENCH_TIMING=str(timing))
        # a bench PC's Python caches compiled modules (and pytest its rewritten test
        # files); a machine that turns that off charges every xdist worker ~0.2 s of
        # compiling per run, which is not the bench's cost
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600,
                              env=env)
        seconds = time.perf_counter() - started
        # 1: some scenarios failed (the time still counts); 3: no module could serve
        # (a heap too small to start the session: heap_passes says no)
        if proc.returncode not in (0, 1, 3, *also_ok):
            sys.exit("pytest ended with %d:\n%s" % (proc.returncode,
                                                    (proc.stdout + proc.stderr)[-3000:]))
        lines = [line for line in proc.stdout.splitlines() if line.strip()]
        found = [json.loads(Path(p).read_text()) for p in sorted(glob.glob(str(timing) + ".*"))]
        # under xdist the controller holds no module: only the workers' files count
        found = [t for t in found if t["session_start"] is not None] or found
        summary = folder / "summary.json"
        phases = json.loads(summary.read_text()).get("phases_s") or {} \
            if summary.is_file() else {}
        return Run(seconds, lines[-1].strip("= ") if lines else "", proc.returncode, found,
                   phases)


def warm_run(count: int, baud: int, args: list[str], workers: int) -> Run:
    """A run on `count` modules that already hold the scripts: a first run puts them there."""
    with modules(count, baud=baud) as ports:
        run_pytest(ports, args, workers=workers)
        return run_pytest(ports, args, workers=workers)


def line(label: str, value: str, note: str = "") -> None:
    print("%-34s %-16s %s" % (label, value, note), flush=True)


def bench_catalogue(baud: int) -> tuple[Run, Run]:
    """The first run on a fresh module (scripts pushed), then a second run (they are there)."""
    with modules(1, baud=baud) as ports:
        run = run_pytest(ports, CATALOGUE)
        again = run_pytest(ports, CATALOGUE)
    line("quick catalogue, 1 module", "%.1f s" % run.seconds, run.said)
    line("  staging share", "%.0f %%" % (100 * run.staging / run.seconds),
         "%.1f s staging payloads on the module" % run.staging)
    if run.session_starts:
        line("  session start", "%.1f s" % run.session_starts[0],
             "claim, start-up check, script sync")
    line("  again, scripts on the module", "%.1f s" % again.seconds,
         "session start %.1f s" % again.session_starts[0] if again.session_starts else "")
    return run, again


def bench_engine(baud: int, heap: int = 128 * KIB) -> None:
    label = "quick catalogue, micropython %d KiB" % (heap // KIB)
    if not engine_available():
        line(label, "not available", "(no real-MicroPython engine in this checkout)")
        return
    with modules(1, baud=baud, engine="micropython", heap=heap) as ports:
        run = run_pytest(ports, CATALOGUE)
    line(label, "%.1f s" % run.seconds, run.said)
    line("  staging share", "%.0f %%" % (100 * run.staging / run.seconds),
         "%.1f s staging payloads on the module" % run.staging)
    if run.session_starts:
        line("  session start", "%.1f s" % run.session_starts[0], "scripts as .mpy")


def bench_upload(baud: int) -> None:
    with modules(1, baud=baud) as ports:
        run = run_pytest(ports, UPLOAD_1MIB)
    scenario = run.call_time("1048576")
    line("1 MiB upload scenario", "%.1f s" % scenario if scenario is not None else "n/a",
         "(pytest wall %.1f s; %s)" % (run.seconds, run.said))
    line("  staging in it", "%.1f s" % run.staging)


def bench_parallel(baud: int, one: tuple[Run, Run]) -> None:
    with modules(4, baud=baud) as ports:
        run = run_pytest(ports, CATALOGUE, workers=4)
        again = run_pytest(ports, CATALOGUE, workers=4)
    line("quick catalogue, 4 modules -n 4", "%.1f s" % run.seconds, run.said)
    line("  parallel efficiency", "%.0f %%" % (100 * one[0].seconds / (4 * run.seconds)),
         "1-module %.1f s / (4 x %.1f s)" % (one[0].seconds, run.seconds))
    starts = run.session_starts
    if starts:
        line("  session start per module", "%.1f s" % statistics.mean(starts),
             "max %.1f s over %d workers" % (max(starts), len(starts)))
    line("  again, scripts on the modules", "%.1f s" % again.seconds, again.said)
    line("  parallel efficiency again", "%.0f %%" % (100 * one[1].seconds / (4 * again.seconds)),
         "1-module %.1f s / (4 x %.1f s)" % (one[1].seconds, again.seconds))
    two = warm_run(2, baud, CATALOGUE, workers=2)
    line("  2 modules -n 2, scripts on them", "%.1f s" % two.seconds,
         "efficiency %.0f %% (1-module %.1f s / (2 x %.1f s)); %s CPU cores here"
         % (100 * one[1].seconds / (2 * two.seconds), one[1].seconds, two.seconds,
            os.cpu_count()))
    spans = one[1].test_span, again.test_span
    if spans[0] and spans[1]:  # where the rest goes: pytest-xdist starting its workers
        line("  ... from first test to last", "%.0f %%" % (100 * spans[0] / (4 * spans[1])),
             "1-module %.1f s / (4 x %.1f s); pytest start-up and end left out"
             % (spans[0], spans[1]))


def bench_whole(baud: int) -> None:
    runs = []
    for count in (1, 4):
        workers = count if count > 1 else 0
        runs.append(warm_run(count, baud, WHOLE, workers=workers))
        line("whole catalogue, %d module%s" % (count, "s -n 4" if count > 1 else ""),
             "%.1f s" % runs[-1].seconds, runs[-1].said)
    line("  parallel efficiency", "%.0f %%" % (100 * runs[0].seconds / (4 * runs[1].seconds)),
         "1-module %.1f s / (4 x %.1f s)" % (runs[0].seconds, runs[1].seconds))


def heap_passes(heap: int) -> bool:
    with modules(1, engine="micropython", heap=heap) as ports:
        # 4: the session stopped at its start, the steps not importable in this heap
        run = run_pytest(ports, HEAP_CHECK, also_ok=(4,))
    return run.returncode == 0 and "passed" in run.said and "failed" not in run.said


def bench_heap(low: int, high: int, step: int) -> None:
    if not engine_available():
        line("smallest heap, upload + download", "not available",
             "(no real-MicroPython engine in this checkout: ModuleConfig has no engine/heap)")
        return
    if not heap_passes(high):
        line("smallest heap, upload + download", "> %d KiB" % (high // KIB),
             "(fails even at the top of the range)")
        return
    # invariant: `high` passes, `low` fails (or is the floor)
    while high - low > step:
        mid = (low + high) // 2 // step * step
        if heap_passes(mid):
            high = mid
        else:
            low = mid
    line("smallest heap, upload + download", "%d KiB" % (high // KIB),
         "(fails at %d KiB; 64 KiB payloads, bundled ftplib; a 64-bit heap)" % (low // KIB))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--device", default="",
                        help="comma-separated ports of real modules, in place of virtual ones")
    parser.add_argument("--skip", default="",
                        help="comma-separated: catalogue, engine, upload, parallel, whole, "
                             "heap")
    parser.add_argument("--heap-range", default="32,512",
                        help="KiB, the bisection's floor and ceiling")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if args.device:
        REAL_PORTS.extend(filter(None, args.device.split(",")))
        print("real modules %s; git %s" % (", ".join(REAL_PORTS), _revision()), flush=True)
        skip |= {"engine", "heap"}  # the virtual module's engine and heap limit
        if len(REAL_PORTS) < 4:
            print("fewer than four modules: no parallel or whole-catalogue figures", flush=True)
            skip |= {"parallel", "whole"}
    else:
        print("virtual modules at %d baud; git %s" % (args.baud, _revision()), flush=True)
    one = None
    if "catalogue" not in skip:
        print("$ pytest %s --device=<1 module>" % " ".join(CATALOGUE), flush=True)
        one = bench_catalogue(args.baud)
    if "engine" not in skip:
        print("$ pytest %s --device=<1 module, engine=micropython, heap=128K>"
              % " ".join(CATALOGUE), flush=True)
        bench_engine(args.baud)
    if "upload" not in skip:
        print("$ pytest %s --device=<1 module>" % " ".join(UPLOAD_1MIB), flush=True)
        bench_upload(args.baud)
    if "parallel" not in skip and one is not None:
        print("$ pytest %s --device=<4 modules> -n 4" % " ".join(CATALOGUE), flush=True)
        bench_parallel(args.baud, one)
    if "whole" not in skip:
        print("$ pytest %s --device=<1 module, then 4 modules with -n 4>" % " ".join(WHOLE),
              flush=True)
        bench_whole(args.baud)
    if "heap" not in skip:
        low, high = (int(k) * KIB for k in args.heap_range.split(","))
        print("$ pytest %s --device=<1 module, engine=micropython, heap=H>"
              % " ".join(HEAP_CHECK), flush=True)
        bench_heap(low, high, 8 * KIB)


def _revision() -> str:
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                              capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


if __name__ == "__main__":
    main()
