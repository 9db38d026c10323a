"""Removing a file that Windows still holds open.

On Windows a file that any handle still has open cannot be deleted: os.remove
raises PermissionError with winerror 32 (ERROR_SHARING_VIOLATION, "being used by
another process"). A stalled data channel keeps its file open until its
connection closes, which may be a moment after the client gave up, so the host's
cleanup of that file, or the server's discarding of a failed upload, would fail.
They are retried until a deadline instead; any other error is raised at once.
POSIX removes an open file at once, so there this is a plain remove.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from harness import link_budget
from harness.errors import HarnessError

ERROR_SHARING_VIOLATION = 32  # winerror of a file another handle holds open
REMOVE_DEADLINE = 10.0  # s on the loopback: a stalled data channel closes within its timeouts
RETRY_EVERY = 0.05  # seconds between tries


class FileStillHeld(HarnessError):
    """A file the server should remove was still held open at the deadline."""


def held_open(err: OSError) -> bool:
    """True for Windows' "being used by another process" (WinError 32)."""
    return getattr(err, "winerror", None) == ERROR_SHARING_VIOLATION


def _still_held(what: str, deadline: float) -> FileStillHeld:
    return FileStillHeld(
        "%s is still open in another handle after %.0f s (WinError 32): a data connection "
        "of the FTP server has not closed; stop the client holding it, or remove the file "
        "by hand" % (what, deadline))


def removal_deadline() -> float:
    """REMOVE_DEADLINE, stretched by the link: the module's end of a data connection
    closes across it (harness/link_budget.py)."""
    return link_budget.current().stretch(REMOVE_DEADLINE, round_trips=2)


def remove_when_released(remove: Callable[[], object], what: str,
                         deadline: float | None = None,
                         clock: Callable[[], float] = time.monotonic,
                         pause: Callable[[float], object] = time.sleep) -> None:
    """Run `remove` (e.g. path.unlink) until it succeeds or the file is gone; retried
    while the file is held open, FileStillHeld (one line) at the deadline. Blocks:
    for the host's side, never for the server's loop thread (see remove_in_loop)."""
    deadline = removal_deadline() if deadline is None else deadline
    end = clock() + deadline
    while True:
        try:
            remove()
            return
        except FileNotFoundError:
            return
        except PermissionError as err:
            if not held_open(err):
                raise
            if clock() >= end:
                raise _still_held(what, deadline) from None
        pause(RETRY_EVERY)  # the holder is another thread or process: it closes meanwhile


def remove_in_loop(ioloop: Any, remove: Callable[[], object], what: str,
                   report: Callable[[str], object], deadline: float | None = None,
                   clock: Callable[[], float] = time.monotonic) -> None:
    """remove_when_released for the server's own IOLoop thread: a held file is tried
    again by the loop (call_later) so the holder, served by the same loop, can close;
    `report` hears the one line if it is still held at the deadline."""
    deadline = removal_deadline() if deadline is None else deadline
    end = clock() + deadline

    def attempt() -> None:
        try:
            remove()
        except FileNotFoundError:
            pass
        except PermissionError as err:
            if not held_open(err):
                report("could not remove %s: %s" % (what, err))
            elif clock() >= end:
                report(str(_still_held(what, deadline)))
            else:
                ioloop.call_later(RETRY_EVERY, attempt)
        except OSError as err:
            report("could not remove %s: %s" % (what, err))

    attempt()
