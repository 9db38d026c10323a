"""A pytest run in a subprocess, watched line by line, so a test can act (unplug the
module, press Ctrl-C) at the moment a demo test prints a marker, not after a sleep.

    demo = write_demo(tmp_path, DEMO_SOURCE)
    run = DrivenRun(pytest_args(tmp_path, "--device", module.port, str(demo)))
    run.wait_for("DEMO-STEP-RUNNING")         # the demo says where it is
    module.stop()                             # the unplug
    code = run.finish()

A demo test prints its marker with say(capsys, "MARKER"): past pytest's capture,
straight to the run's output.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# the demo's way to print a marker, for the demo sources to include
SAY = '''
def say(capsys, text):
    with capsys.disabled():
        print(text, flush=True)
'''


def pytest_args(reports: Path, *args: str, root: Path = ROOT) -> list[str]:
    """A single-process pytest run of the project in `root`, every report under `reports`.

    Give a demo file and `-k demo scenarios/test_550.py`: a path inside the project
    loads its conftest, -k keeps only the demo's tests."""
    return [sys.executable, "-m", "pytest", "-c", str(root / "pyproject.toml"),
            "--rootdir", str(root), "-p", "no:cacheprovider", "-p", "no:xdist",
            "-o", "addopts=", "--ftplib=bundled",
            "--html", str(reports / "report.html"), "--self-contained-html",
            "--junitxml", str(reports / "junit.xml"),
            "--summary-json", str(reports / "summary.json"), *args]


def write_demo(folder: Path, source: str, name: str = "test_demo_run.py") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source) + SAY)
    return path


def clean_env() -> dict[str, str]:
    """This process's environment without the outer pytest's own variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


@contextlib.contextmanager
def sigint_as_a_terminal_leaves_it() -> Iterator[None]:
    """A process started meanwhile gets SIGINT at its default, as a shell at a terminal
    starts a job. A process that ignores SIGINT passes the ignore on to what it starts,
    and Python then leaves it ignored: the suite started in the background (`pytest &`,
    nohup, a CI runner) would have driven runs deaf to Ctrl-C (the stability series
    found this). signal.signal works in the main thread only, where tests run."""
    ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    if ignored:
        signal.signal(signal.SIGINT, signal.default_int_handler)  # reset to SIG_DFL by exec
    try:
        yield
    finally:
        if ignored:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


class DrivenRun:
    """A subprocess whose output lines are read as they come, each with its time."""

    def __init__(self, args: list[str], cwd: Path = ROOT,
                 env: dict[str, str] | None = None) -> None:
        self.started = time.monotonic()
        # a process group of its own: a Ctrl-C reaches it alone, as from its terminal
        with sigint_as_a_terminal_leaves_it():
            self.proc = subprocess.Popen(args, cwd=cwd, env={**clean_env(), **(env or {})},
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         text=True, bufsize=1, start_new_session=True)
        self.lines: list[tuple[float, str]] = []
        self._seen = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.ended: float | None = None

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._seen:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    @property
    def output(self) -> str:
        with self._seen:
            return "\n".join(line for _, line in self.lines)

    def wait_for(self, marker: str, timeout: float = 120.0) -> float:
        """When the line holding `marker` came; AssertionError (with the output so far)
        if the run ends or `timeout` passes first."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for when, line in self.lines:
                    if marker in line:
                        return when
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    break
                self._seen.wait(left)
        self.kill()
        raise AssertionError("no %r in the run's output within %.0f s:\n%s"
                             % (marker, timeout, self.output))

    def ctrl_c(self) -> None:
        """What a terminal does on Ctrl-C: SIGINT to every process of the run (POSIX)."""
        os.killpg(self.proc.pid, signal.SIGINT)

    def finish(self, timeout: float = 120.0) -> int:
        """Wait for the run to end; its return code (the time it ended: self.ended)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.dump_stacks()
            self.kill()
            raise AssertionError("the run did not end within %.0f s (its threads' stacks "
                                 "at the end):\n%s" % (timeout, self.output)) from None
        self.ended = time.monotonic()
        self._reader.join(10)
        return code

    def dump_stacks(self) -> None:
        """A hung run's threads, each where it waits, into its output: pytest enables
        faulthandler, which writes them on SIGABRT and ends the process (POSIX)."""
        if self.proc.poll() is None and hasattr(signal, "SIGABRT"):
            self.proc.send_signal(signal.SIGABRT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                return
            self._reader.join(10)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
