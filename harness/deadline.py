"""The moment by which every host-side wait of the current test must be over.

A test runner with a hard ceiling per test (pytest-timeout: on Windows it ends
the whole process) sets it here, a margin before that ceiling; the waits that
are not the module's (an ssh agent's answer, a turn on an attached server, a
claim on a busy module, the server going idle) cut their own timeout to it, so
they end with their own message, not with the runner's kill. The module's waits
have their own, finer deadlines (Device.set_deadlines). None: no ceiling.
"""

from __future__ import annotations

import time

MOMENT = 0.05  # s: a wait past the deadline still gets this long, to say it timed out

_hard: float | None = None


def set_hard(deadline: float | None) -> None:
    """The monotonic time by which every wait must end (None: no ceiling)."""
    global _hard
    _hard = deadline


def hard() -> float | None:
    return _hard


def bounded(timeout: float) -> float:
    """`timeout`, cut to what is left before the deadline (to no less than a MOMENT)."""
    if _hard is None:
        return timeout
    return min(timeout, max(MOMENT, _hard - time.monotonic()))
