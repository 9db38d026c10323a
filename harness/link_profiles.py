"""The cellular links a virtual module can sit behind: named presets, each figure sourced.

A profile is what the radio between the module and the network does to its bytes: a
round trip, a rate each way, jitter on each one-way delay, and a stall (the radio
going from idle back to connected) paid by the first bytes after `idle` seconds of
silence. The virtual module's carrier relay (harness/emulator/carrier.py) applies one;
every harness wait that the network stretches takes its share from it
(harness/link_budget.py). `none` is the host's loopback: no delay at all.

Sources (quoted in `source`; "ours" marks a modelling choice where no source gives
the figure):

- LTE Cat 1 rates: 3GPP TS 36.306 UE category 1, 10 Mbit/s down and 5 Mbit/s up, as
  rfwireless-world.com "Difference between LTE-M Cat-0, Cat-M1, Cat-M2" quotes it
  ("Cat-1 supports 10 Mbps in DL and 5 Mbps in UL"). Round trip: F. Rayal, "Latency:
  LTE's Achilles heel" (frankrayal.com, 2011-12-19), AT&T Houston measured by Signals
  Research, "Average: 49 msec, Min: 40 msec".
- LTE Cat-M1: the same rfwireless-world page, "300 Kbps (DL) and 375 Kbps (UL) using
  HD-FDD and considering scheduling delays"; round trip: Arduino docs, Portenta Max
  Carrier tutorial "Cat M1 and NB IoT" ("Cat-M1 ... with a latency of 50 to 100 ms").
- NB-IoT (Cat NB1): rates of a Cat NB1 module's specification, m5stack "Module NBIoT"
  (M5311): "Multi Tone 62.5(UL)/21.25(DL)" kbit/s; latency "1.6-10 s" (GSMA's LTE-M /
  NB-IoT comparison, as blog.mbedded.ninja "Cellular Communication Protocols" tables
  it: "LTE Cat NB1 180 kHz 26 kbps 62 kbps 1.6-10 s").
- Stalls: 3GPP TR 25.913 / TR 36.913 section 7.2.1 (C-plane latency: idle to
  connected under 100 ms, Rel-8) for the LTE presets; for NB-IoT the rest of its
  1.6-10 s latency range. Idle time before a stall (an RRC inactivity timer, set by
  each operator) and the jitter figures: ours.
"""

from __future__ import annotations

from dataclasses import dataclass

KBIT = 1000 / 8  # bytes per second in one kbit/s


@dataclass(frozen=True)
class LinkProfile:
    """What one link does to the module's bytes. Rates in bytes/s (None: no limit)."""

    name: str
    rtt: float = 0.0  # s, the round trip the link adds (half each way)
    down: float | None = None  # bytes/s toward the module
    up: float | None = None  # bytes/s from the module
    jitter: float = 0.0  # s, each one-way delay is late by up to this
    stall: float = 0.0  # s, paid by the first bytes after `idle` s without traffic
    idle: float = 10.0  # s
    title: str = ""
    source: str = ""

    @property
    def one_way(self) -> float:
        return self.rtt / 2

    @property
    def is_none(self) -> bool:
        return self.rtt == 0 and self.down is None and self.up is None and self.stall == 0

    def describe(self) -> str:
        """One line for the report: 'lte-m1 (LTE Cat-M1): round trip 100 ms, ...'."""
        if self.is_none:
            return "none (the host's loopback, no delay)"
        return "%s (%s): round trip %s, down %s, up %s, jitter %s, stall %s after %s idle" % (
            self.name, self.title, _ms(self.rtt), _rate(self.down), _rate(self.up),
            _ms(self.jitter), _ms(self.stall), _ms(self.idle))


def _ms(seconds: float) -> str:
    return "%.0f ms" % (seconds * 1000) if seconds < 1 else "%.1f s" % seconds


def _rate(rate: float | None) -> str:
    if rate is None:
        return "unlimited"
    kbit = rate / KBIT
    return "%.2f kbit/s" % kbit if kbit < 100 else "%.0f kbit/s" % kbit


NONE = LinkProfile("none", title="host loopback", source="no link: today's virtual module")

PRESETS: dict[str, LinkProfile] = {p.name: p for p in (
    NONE,
    LinkProfile(
        "lte-cat1", rtt=0.050, down=10_000 * KBIT, up=5_000 * KBIT, jitter=0.009,
        stall=0.1, title="LTE Cat 1",
        source="rates: 3GPP TS 36.306 UE category 1 (rfwireless-world.com: 'Cat-1 supports "
               "10 Mbps in DL and 5 Mbps in UL'); round trip: frankrayal.com 'Latency: LTE's "
               "Achilles heel' (AT&T, Signals Research: average 49 ms, min 40 ms; jitter = "
               "their difference); stall: 3GPP TR 25.913 C-plane idle to active < 100 ms"),
    LinkProfile(
        "lte-m1", rtt=0.100, down=300 * KBIT, up=375 * KBIT, jitter=0.025, stall=0.1,
        title="LTE Cat-M1",
        source="rates: rfwireless-world.com Cat-M1 '300 Kbps (DL) and 375 Kbps (UL) using "
               "HD-FDD and considering scheduling delays'; round trip: Arduino docs, "
               "Portenta Max Carrier 'Cat M1 and NB IoT' ('latency of 50 to 100 ms'; jitter: "
               "half that spread); stall: 3GPP TR 25.913 C-plane < 100 ms"),
    LinkProfile(
        "nb-iot", rtt=1.6, down=21.25 * KBIT, up=62.5 * KBIT, jitter=0.4, stall=8.4,
        title="NB-IoT (Cat NB1)",
        source="rates: m5stack Module NBIoT (M5311, LTE Cat NB1) 'Multi Tone 62.5(UL)/"
               "21.25(DL)' kbit/s; round trip and stall: the GSMA latency range 1.6-10 s "
               "(blog.mbedded.ninja table: 'LTE Cat NB1 ... 26 kbps 62 kbps 1.6-10 s'): the "
               "low end each round trip, the rest once after idle; jitter: ours"),
)}

SLOWEST = "nb-iot"  # CI runs every scenario file at least once on it (.ci/run)


def link_profile(name: str) -> LinkProfile:
    """The preset of that name; ValueError naming the presets otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError("unknown link %r; presets: %s" % (name, ", ".join(PRESETS))) from None
