"""Where a scenario's time goes: putting payloads in place, the device steps, the checks.

The report shows the three per test (and the staging share of a whole run), so a
slow serial link or a slow server is seen for what it is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

# staging: payloads to the module over the link, or onto the server; transfer: the
# device steps; checks: reading the server's digests
PHASES = ("staging", "transfer", "checks")


class PhaseClock:
    """Seconds per phase for one test."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self._running = False

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Count the block's time towards `name`; a phase inside another (the `gen`
        step while staging) is the outer one's time, counted once."""
        if self._running:
            yield
            return
        self._running = True
        started = time.perf_counter()
        try:
            yield
        finally:
            self._running = False
            self.seconds[name] += time.perf_counter() - started
