"""A progress line for a long push: bytes, rate and time left.

The host library only calls a writer (a function taking one line); who shows
the line (a terminal reporter, stderr) is the caller's business.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SHOW_AFTER = 2.0  # seconds: a push shorter than this shows nothing
EVERY = 1.0  # seconds between two lines


class PushProgress:
    """Called with (bytes sent, bytes in all) as a push goes; writes a line now and then."""

    def __init__(self, write: Callable[[str], None], label: str,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.write = write
        self.label = label
        self.clock = clock
        self.started = clock()
        self.last_shown: float | None = None

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        elapsed = now - self.started
        if elapsed < SHOW_AFTER or (self.last_shown is not None
                                    and now - self.last_shown < EVERY and done < total):
            return
        self.last_shown = now
        self.write(progress_line(self.label, done, total, elapsed))


def progress_line(label: str, done: int, total: int, elapsed: float) -> str:
    rate = done / elapsed if elapsed > 0 else 0.0
    left = (total - done) / rate if rate > 0 else float("inf")
    return "pushing %s: %d / %d KiB, %.1f KiB/s, %s left" % (
        label, done // 1024, total // 1024, rate / 1024,
        "%.0f s" % left if left != float("inf") else "? s")
