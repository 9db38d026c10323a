"""Virtual modules forked from one warm launcher (harness/emulator/launcher.py): each is a
module of its own on a real pseudo-terminal, gone is gone, and nothing outlives the
process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.emulator import VirtualModule, launcher
from tests.conftest import read_until

ROOT = Path(__file__).resolve().parents[1]
fork_only = pytest.mark.skipif(not hasattr(os, "fork"), reason="the launcher forks (POSIX)")
linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="reads a process's parent and state from /proc")


def parent_and_state(pid: int) -> tuple[int, str]:
    """(parent pid, state letter) of a process, from /proc; (0, "gone") once it has gone."""
    try:
        fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0, "gone"
    return int(fields[1]), fields[0]


def gone(pid: int) -> bool:
    return parent_and_state(pid)[1] in ("gone", "Z", "X")


def wait_until_gone(pids: list[int], timeout: float = 10.0) -> list[int]:
    """The pids still there after timeout seconds (each checked as it goes)."""
    deadline = time.monotonic() + timeout
    left = list(pids)
    while left and time.monotonic() < deadline:
        left = [pid for pid in left if not gone(pid)]
        if left:
            time.sleep(0.05)  # a process the kernel ends: nothing to wait on but /proc
    return left


def answers(module: VirtualModule, raw_port) -> bytes:
    port = raw_port(module.port)
    port.write(b"\r\x03\x01")
    read_until(port, b"raw REPL; CTRL-B to exit\r\n>")
    port.write(b"import uos\nprint(uos.listdir('/usr'))\x04")
    return read_until(port, b"\x04>")


@fork_only
@linux_only
def test_modules_are_forks_of_one_launcher_each_a_module_of_its_own(start_module,
                                                                     raw_port) -> None:
    first, second = start_module(), start_module()
    assert first.pid != second.pid and os.getpid() not in (first.pid, second.pid)
    parent = parent_and_state(first.pid)[0]
    assert parent == parent_and_state(second.pid)[0] != os.getpid()
    assert parent_and_state(parent)[0] == os.getpid()  # the launcher: this process's child
    first.usr_path("mine.txt").write_text("first's")
    assert b"['mine.txt']" in answers(first, raw_port)
    assert b"[]" in answers(second, raw_port)  # its own /usr


@fork_only
def test_a_killed_module_is_gone_and_stop_does_not_wait_for_it(start_module) -> None:
    module = start_module()
    assert module.running
    os.kill(module.pid, signal.SIGKILL)
    assert module._proc is not None
    module._proc.wait(timeout=10)
    assert not module.running
    started = time.monotonic()
    module.stop()
    assert time.monotonic() - started < 2


@fork_only
def test_a_dead_launcher_costs_one_fresh_start_then_a_new_launcher(start_module,
                                                                   raw_port) -> None:
    start_module()  # this process has a launcher now
    assert launcher._launcher is not None
    old = launcher._launcher.proc
    old.kill()
    old.wait(timeout=10)
    module = start_module()  # the request fails: this one starts as a fresh interpreter
    assert isinstance(module._proc, subprocess.Popen)
    assert b"[]" in answers(module, raw_port)
    again = start_module()
    assert not isinstance(again._proc, subprocess.Popen)  # forked by a new launcher
    assert launcher._launcher is not None and launcher._launcher.proc.pid != old.pid


def test_without_fork_a_module_is_a_fresh_interpreter(monkeypatch: pytest.MonkeyPatch,
                                                      start_module, raw_port) -> None:
    monkeypatch.delattr(os, "fork", raising=False)  # as on Windows
    module = start_module()
    assert isinstance(module._proc, subprocess.Popen)
    assert b"[]" in answers(module, raw_port)


@fork_only
@linux_only
def test_nothing_outlives_the_process_that_started_the_modules() -> None:
    # a process that starts two modules, says their pids and its launcher's, and dies
    # without stopping anything (a SIGKILL, a crash)
    code = ("import os\nfrom harness.emulator import VirtualModule, launcher\n"
            "a = VirtualModule().start(); b = VirtualModule().start()\n"
            "print(a.pid, b.pid, launcher._launcher.proc.pid, flush=True)\nos._exit(0)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    pids = [int(word) for word in done.stdout.split()]
    assert len(pids) == 3, done.stdout
    assert wait_until_gone(pids) == [], "still running: %s" % pids


@fork_only
def test_a_module_that_cannot_start_says_why(start_module, tmp_path: Path) -> None:
    from harness.emulator import EmulatorStartError

    with pytest.raises(EmulatorStartError, match="heap"):
        start_module(engine="micropython", heap=1)
