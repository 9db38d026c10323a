"""Turns on an attached server: workers share it, an active-mode scenario has it alone.

The other worker is a real second process holding real lock files.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.servers.turns import ServerTurns, TurnTimeout

pytestmark = pytest.mark.timeout(60)

WORKERS = ["gw0", "gw1"]
ROOT = Path(__file__).resolve().parents[1]

OTHER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from harness.servers.turns import ServerTurns, TurnTimeout
    folder, mode = sys.argv[1:3]
    turns = ServerTurns(Path(folder), "gw1", ["gw0", "gw1"], timeout=0.5, what="ftp://qa@x/hil")
    try:
        with (turns.exclusive() if mode == "alone" else turns.shared()):
            print("in", flush=True)
            sys.stdin.readline()  # until the test says so
    except TurnTimeout as exc:
        print("timeout:", exc, flush=True)
""")


@contextmanager
def other_worker(folder: Path, mode: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-c", OTHER, str(folder), mode], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(10)


def first_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


def test_workers_share_the_server(tmp_path: Path) -> None:
    me = ServerTurns(tmp_path, "gw0", WORKERS, timeout=0.5)
    with other_worker(tmp_path, "share") as other:
        assert first_line(other) == "in"
        with me.shared():  # both at once
            pass


def test_an_active_mode_turn_waits_for_the_other_workers_scenario(tmp_path: Path) -> None:
    me = ServerTurns(tmp_path, "gw0", WORKERS, timeout=0.5, what="ftp://qa@x/hil")
    with other_worker(tmp_path, "share") as other:
        assert first_line(other) == "in"
        with pytest.raises(TurnTimeout) as caught:
            with me.exclusive():
                pass
        message = str(caught.value)
        assert "gw0 waited" in message and "ftp://qa@x/hil" in message
        assert "\n" not in message
    with me.exclusive():  # the other worker's scenario ended: the turn comes
        pass


def test_nobody_shares_during_an_active_mode_turn(tmp_path: Path) -> None:
    me = ServerTurns(tmp_path, "gw0", WORKERS, timeout=0.5)
    with me.exclusive():
        with other_worker(tmp_path, "share") as other:
            line = first_line(other)
    assert line.startswith("timeout: gw1 waited"), line
    with other_worker(tmp_path, "share") as other:  # after the turn: shared again
        assert first_line(other) == "in"


def test_two_active_mode_turns_take_one_after_the_other(tmp_path: Path) -> None:
    me = ServerTurns(tmp_path, "gw0", WORKERS, timeout=0.5)
    with other_worker(tmp_path, "alone") as other:
        assert first_line(other) == "in"
        with pytest.raises(TurnTimeout):
            with me.shared():
                pass
        with pytest.raises(TurnTimeout):
            with me.exclusive():
                pass
