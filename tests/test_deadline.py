"""Host-side waits end before the test's ceiling (harness/deadline.py).

pytest-timeout ends a whole process on Windows; a wait that is not the module's
(a turn on an attached server, an ssh agent's answer, a busy module) must end
first, with its own message.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import deadline
from harness.servers.agent_link import AgentError, AgentLink
from harness.servers.turns import ServerTurns, TurnTimeout
from tests.test_server_turns import WORKERS, first_line, other_worker


@pytest.fixture
def ceiling_in_half_a_second() -> Iterator[None]:
    deadline.set_hard(time.monotonic() + 0.5)
    yield
    deadline.set_hard(None)


def test_a_timeout_is_cut_to_the_deadline_and_kept_without_one() -> None:
    assert deadline.bounded(30.0) == 30.0  # no ceiling: as asked
    deadline.set_hard(time.monotonic() + 2.0)
    try:
        assert 1.5 < deadline.bounded(30.0) <= 2.0
        assert deadline.bounded(0.5) == 0.5
        assert deadline.bounded(0.0) == 0.0  # "do not wait" stays so
        deadline.set_hard(time.monotonic() - 1.0)  # already past: a moment to say so
        assert deadline.bounded(30.0) == deadline.MOMENT
    finally:
        deadline.set_hard(None)


def test_a_turn_on_an_attached_server_ends_at_the_deadline(tmp_path: Path,
                                                          ceiling_in_half_a_second) -> None:
    me = ServerTurns(tmp_path, "gw0", WORKERS, timeout=60.0)
    with other_worker(tmp_path, "alone") as other:
        assert first_line(other) == "in"
        started = time.monotonic()
        with pytest.raises(TurnTimeout, match="gw0 waited 0 s"), me.shared():
            pass
        assert time.monotonic() - started < 5.0  # not the 60 s it was given


def test_an_agent_that_never_answers_is_given_up_at_the_deadline(
        ceiling_in_half_a_second) -> None:
    silent = [sys.executable, "-c", "import time; time.sleep(60)"]
    link = AgentLink(silent, "ssh://qa@bench-vm", timeout=60.0)
    started = time.monotonic()
    with pytest.raises(AgentError, match="waited 0 s for the agent's hello in vain"):
        link.open()
    assert time.monotonic() - started < 5.0
