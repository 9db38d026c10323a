"""utime as the firmware offers it (mpy/fw_utime.py is the micropython engine's).

Surface: firmware_surface.py (modutime.c + extmod/utime_mphal.c); setTimeZone and
getTimeZone are QuecPython's own.
"""

from __future__ import annotations

import time
import types

from ..cpython_surface import build_module

_BOOT = time.monotonic()
_TICKS_PERIOD = 1 << 30


def build() -> types.ModuleType:
    zone = [0]

    def ticks_ms() -> int:
        return int((time.monotonic() - _BOOT) * 1000) % _TICKS_PERIOD

    def ticks_us() -> int:
        return int((time.monotonic() - _BOOT) * 1_000_000) % _TICKS_PERIOD

    def ticks_diff(new: int, old: int) -> int:
        diff = (new - old) % _TICKS_PERIOD
        return diff - _TICKS_PERIOD if diff >= _TICKS_PERIOD // 2 else diff

    def ticks_add(ticks: int, delta: int) -> int:
        return (ticks + delta) % _TICKS_PERIOD

    def set_time_zone(offset: int) -> int:
        if not -12 <= offset <= 12:  # modutime.c:160-170
            raise ValueError("timezone out of range")
        zone[0] = offset
        return 0

    return build_module("utime", {
        "ticks_ms": ticks_ms,
        "ticks_us": ticks_us,
        "ticks_cpu": ticks_us,
        "ticks_diff": ticks_diff,
        "ticks_add": ticks_add,
        "sleep": time.sleep,
        "sleep_ms": lambda ms: time.sleep(ms / 1000),
        "sleep_us": lambda us: time.sleep(us / 1_000_000),
        "time": lambda: int(time.time()),
        "localtime": lambda secs=None: tuple(time.localtime(secs))[:8],
        "mktime": lambda t: int(time.mktime(tuple(t) + (0,) * (9 - len(t)))),
        "setTimeZone": set_time_zone,
        "getTimeZone": lambda: zone[0],
    })
