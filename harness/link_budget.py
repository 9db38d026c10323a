"""How much longer the network between module and server makes each harness wait.

Every wait the network stretches (a device step, the module's FTP timeout, the
stall timer, the server going idle, a file the server removes once the module lets
go of it, a request to an ssh:// agent or an ftp:// server) is its base (an option,
or a constant that holds on the host's loopback) plus a share that follows from the
link and the payload: round trips times the round trip, bytes over the rate, and
one stall. The share is doubled: it is a ceiling, not an estimate.

The budget comes from the virtual module's link profile (--emulator-link), from
--link-rtt, or from a round trip the harness measures at session start on a bench.
Like deadline.py, the run's budget is process-wide: the fixtures set it once per
session (set_current) and the waits read it (current()).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MARGIN = 2.0  # the share is a ceiling: twice what the link should take
# round trips of an FTP session before its first operation and after its last:
# TCP handshake, welcome, USER, PASS, CWD, QUIT
SESSION_ROUND_TRIPS = 6
# round trips of one operation at most: TYPE, SIZE, PASV, the data connection,
# the command and its 1xx, the final reply, XSHA256
OPERATION_ROUND_TRIPS = 8


class LinkFigures(Protocol):
    """What a budget takes from a link profile (harness/link_profiles.py LinkProfile)."""

    @property
    def name(self) -> str: ...

    @property
    def rtt(self) -> float: ...

    @property
    def jitter(self) -> float: ...

    @property
    def stall(self) -> float: ...

    @property
    def up(self) -> float | None: ...

    @property
    def down(self) -> float | None: ...


@dataclass(frozen=True)
class LinkBudget:
    """The link as the waits see it. Rates in bytes/s; None where not known (a bench)."""

    rtt: float = 0.0
    jitter: float = 0.0
    stall: float = 0.0
    up: float | None = None
    down: float | None = None
    origin: str = "none"  # where the figures come from, for the report

    @classmethod
    def of(cls, profile: LinkFigures) -> LinkBudget:
        return cls(profile.rtt, profile.jitter, profile.stall, profile.up, profile.down,
                   "link profile %s" % profile.name)

    @property
    def is_none(self) -> bool:
        return not (self.rtt or self.stall or self.up or self.down)

    def share(self, round_trips: int = 0, up_bytes: int = 0, down_bytes: int = 0) -> float:
        """Seconds the link may add to a wait of that many round trips and bytes."""
        if self.is_none or not (round_trips or up_bytes or down_bytes):
            return 0.0
        seconds = round_trips * (self.rtt + self.jitter) + self.stall
        if self.up:
            seconds += up_bytes / self.up
        if self.down:
            seconds += down_bytes / self.down
        return MARGIN * seconds

    def stretch(self, base: float, round_trips: int = 0, up_bytes: int = 0,
                down_bytes: int = 0) -> float:
        """`base` (what the wait is on the host's loopback) plus the link's share."""
        return base + self.share(round_trips, up_bytes, down_bytes)

    def session(self, base: float, operations: int, up_bytes: int = 0,
                down_bytes: int = 0) -> float:
        """A device step: one FTP session of that many operations moving those bytes."""
        trips = SESSION_ROUND_TRIPS + OPERATION_ROUND_TRIPS * max(operations, 1)
        return self.stretch(base, trips, up_bytes, down_bytes)

    def transfer_time(self, size: int) -> float:
        """Seconds, without margin, for a session that moves `size` bytes up and down
        (a scenario's stor and retr of one payload), round trips and a stall included."""
        seconds = (SESSION_ROUND_TRIPS + 2 * OPERATION_ROUND_TRIPS) * self.rtt + self.stall
        for rate in (self.up, self.down):
            seconds += size / rate if rate else 0.0
        return seconds

    def describe(self) -> str:
        if self.is_none:
            return "no delay (%s)" % self.origin
        rates = ""
        if self.up or self.down:
            rates = ", down %s, up %s" % (_rate(self.down), _rate(self.up))
        return "round trip %.0f ms%s, stall %.1f s (%s)" % (self.rtt * 1000, rates,
                                                             self.stall, self.origin)


def _rate(rate: float | None) -> str:
    return "unknown" if rate is None else "%.0f B/s" % rate


_current = LinkBudget()


def set_current(budget: LinkBudget) -> None:
    """The run's budget (the fixtures set it once per session)."""
    global _current
    _current = budget


def current() -> LinkBudget:
    return _current
