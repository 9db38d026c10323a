"""How much throughput moves by itself, measured from the runs being compared.

There is no fixed tolerance: a scenario's speed is known to wobble only by as
much as its repeats wobbled (the same scenario in several runs on one side, or
several transfers of one size in one scenario). A change is flagged only when
the two sides' figures lie further apart than that wobble; with no repeats at
all there is nothing to measure the wobble by, and the change is not judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

# outcomes whose transfers say how fast the module is: a failed scenario's speed says little
TIMED_OUTCOMES = ("passed", "xfailed")

SLOWER = "slower"
FASTER = "faster"
WITHIN_NOISE = "within noise"
NOT_JUDGED = "not enough repeats to judge"

# (scenario nodeid, direction, payload bytes)
SeriesKey = tuple[str, str, int]


@dataclass(frozen=True)
class Spread:
    """One side's figures for one series."""

    samples: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    @property
    def middle(self) -> float:
        return median(self.samples)

    @property
    def repeated(self) -> bool:
        return self.n >= 2

    @property
    def width(self) -> float:
        return self.high - self.low

    def text(self) -> str:
        if not self.repeated:
            return f"{self.middle:,.1f}"
        return f"{self.middle:,.1f} ({self.low:,.1f}-{self.high:,.1f}, {self.n}x)"


@dataclass(frozen=True)
class Judgement:
    verdict: str  # SLOWER, FASTER, WITHIN_NOISE or NOT_JUDGED
    noise: float | None  # KiB/s the repeats wobbled by; None without repeats

    @property
    def flagged(self) -> bool:
        return self.verdict in (SLOWER, FASTER)


def timed_transfers(record: Mapping[str, Any]) -> Iterable[tuple[str, int, float]]:
    """(direction, payload bytes, KiB/s) of each transfer that says how fast the module is."""
    # a throttled or faulty server makes a scenario slow on purpose
    if record.get("server_altered") or record.get("outcome") not in TIMED_OUTCOMES:
        return
    for t in record.get("transfers") or ():
        rate, size = t.get("throughput_kib_s"), t.get("payload_bytes")
        if t.get("ok") and isinstance(rate, (int, float)) and isinstance(size, int) and size:
            yield str(t.get("step")), size, float(rate)


def samples(records: Iterable[Mapping[str, Any]]) -> dict[SeriesKey, list[float]]:
    """Every throughput figure, by scenario, direction and payload size."""
    found: dict[SeriesKey, list[float]] = {}
    for record in records:
        for direction, size, rate in timed_transfers(record):
            found.setdefault((str(record["nodeid"]), direction, size), []).append(rate)
    return found


def judge(old: Spread, new: Spread) -> Judgement:
    """Is new slower or faster than old, beyond the wobble their repeats showed?"""
    widths = [s.width for s in (old, new) if s.repeated]
    if not widths:
        return Judgement(NOT_JUDGED, None)
    noise = max(widths)
    # even the best of one side is below the worst of the other by more than the wobble
    if new.high < old.low - noise:
        return Judgement(SLOWER, noise)
    if new.low > old.high + noise:
        return Judgement(FASTER, noise)
    return Judgement(WITHIN_NOISE, noise)


def change_percent(old: Spread, new: Spread) -> float | None:
    if old.middle == 0:
        return None
    return 100.0 * (new.middle - old.middle) / old.middle


def spread(values: Sequence[float]) -> Spread:
    return Spread(tuple(values))
