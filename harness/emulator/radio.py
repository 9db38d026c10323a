"""The module's radio: when bytes sent now reach the far side of the link.

One Radio per virtual module, shared by all its connections, as the air is: each
direction carries one byte at a time at its rate, then every chunk spends half the
round trip (plus up to `jitter`) in flight, and the first bytes after `idle` seconds
of silence wait `stall` more (the radio coming back from idle). Pure arithmetic over
a clock: pipe.py moves the bytes, tests drive it with their own clock.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from harness.link_profiles import LinkProfile

UP, DOWN = "up", "down"  # from the module, toward the module


class Radio:
    def __init__(self, profile: LinkProfile, clock: Callable[[], float],
                 seed: int = 23) -> None:
        self.profile = profile
        self.clock = clock
        self._lock = threading.Lock()
        self._free = {UP: 0.0, DOWN: 0.0}  # when each direction has sent what it was given
        self._last = float("-inf")  # when the link last carried a byte
        self._random = random.Random(seed)  # the same run, the same jitter
        self.stalls = 0  # how many times the radio came back from idle

    def rate(self, direction: str) -> float | None:
        return self.profile.up if direction == UP else self.profile.down

    def chunk(self, direction: str) -> int:
        """Bytes read at a time: a twentieth of a second of the rate (smooth, not chatty)."""
        rate = self.rate(direction)
        return 65536 if rate is None else max(256, min(16384, int(rate / 20)))

    def window(self, direction: str) -> int:
        """Bytes one connection may have in flight: what the link holds over a round
        trip, plus a little (the sender then waits, as TCP's window makes it)."""
        rate = self.rate(direction)
        return 262144 if rate is None else 8192 + int(rate * self.profile.rtt)

    def arrival(self, direction: str, size: int) -> float:
        """When `size` bytes handed over now reach the far side (clock time)."""
        p = self.profile
        now = self.clock()
        with self._lock:
            start = now
            if p.stall and now - self._last > p.idle:
                start += p.stall  # the radio reconnects first
                self.stalls += 1
            start = max(start, self._free[direction])
            rate = self.rate(direction)
            sent = start + (size / rate if rate else 0.0)
            self._free[direction] = sent
            late = self._random.uniform(0.0, p.jitter) if p.jitter else 0.0
            arrive = sent + p.one_way + late
            self._last = max(self._last, arrive)
            return arrive
