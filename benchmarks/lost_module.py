"""Seconds from the unplug of a module to the end of the run, at three moments.

    python benchmarks/lost_module.py [--reconnect-timeout 30] [--engine micropython]
                                     [--baud 115200] [--tree PATH] [--cases step,teardown,between]

For each moment (during a step, during a test's teardown, between tests) it
starts a virtual module the way a user does (`python -m harness emulator`, a
pseudo-terminal), runs the demo tests of tests/lost_module_demo.py against it
with --device, kills the emulator where the demo says (its marker) and prints
how long the run took from then to its end, its exit code and its last line.
--tree runs another checkout of the harness (e.g. `git archive wings`) with the
same demo, for a before/after figure.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.driven_run import DrivenRun, pytest_args, write_demo  # noqa: E402
from tests.lost_module_demo import CASES, DEMO  # noqa: E402

START_TIMEOUT = 30.0  # s for the emulator to say its port


def start_emulator(tree: Path, engine: str, baud: int) -> tuple[subprocess.Popen[str], str]:
    """`python -m harness emulator` in `tree`, and the port it says it serves."""
    cmd = [sys.executable, "-m", "harness", "emulator", "--engine", engine, "--baud", str(baud)]
    proc = subprocess.Popen(cmd, cwd=tree, stdout=subprocess.PIPE, text=True)
    stdout = proc.stdout
    assert stdout is not None
    said: list[str] = []  # its first line names the port, or it failed
    reader = threading.Thread(target=lambda: said.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT)
    found = re.search(r" on (\S+) \(", said[0]) if said else None
    if found is None:
        proc.kill()
        sys.exit("the emulator did not start within %.0f s: %r" % (START_TIMEOUT, said))
    return proc, found.group(1)


def measure(tree: Path, case: str, window: float, engine: str, baud: int) -> str:
    chosen = CASES[case]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        flag = folder / "unplugged"
        demo = write_demo(folder, DEMO)
        emulator, port = start_emulator(tree, engine, baud)
        # the bench's stable name for it (a /dev/serial/by-id/ link), which goes with
        # the module: the pty's number may go to another program's terminal meanwhile
        link = folder / "ttyHIL"
        link.symlink_to(port)
        try:
            run = DrivenRun(pytest_args(folder, "--device", str(link), "--reconnect-timeout=%g"
                                        % window, "-k", chosen.keyword, str(demo),
                                        "scenarios/test_550.py", root=tree),
                            cwd=tree, env={"DEMO_UNPLUGGED": str(flag)})
            run.wait_for(chosen.marker)
            emulator.kill()  # the module's own process ends with it: its pty goes away
            link.unlink()
            unplugged = time.monotonic()
            flag.touch()
            code = run.finish(timeout=10 * window + 120)
        finally:
            emulator.kill()
            emulator.wait(30)
    assert run.ended is not None
    last = [line for line in run.output.splitlines() if line.strip()][-1]
    return "%-9s %6.1f s from the unplug to the end, exit %d: %s" % (
        case, run.ended - unplugged, code, last[:160])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reconnect-timeout", type=float, default=30.0)
    parser.add_argument("--engine", default="micropython", choices=("cpython", "micropython"))
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    print("reconnect window %g s, %s engine at %d baud, harness in %s"
          % (args.reconnect_timeout, args.engine, args.baud, args.tree))
    for case in args.cases.split(","):
        print(measure(args.tree.resolve(), case, args.reconnect_timeout, args.engine,
                      args.baud), flush=True)


if __name__ == "__main__":
    main()
