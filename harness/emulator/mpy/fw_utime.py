# utime as the firmware offers it: /work/wt/notes/firmware_surface_draft.py `_utime`
# (modutime.c:181-198): no time_ns, no gmtime; setTimeZone/getTimeZone added.
import time as _t

localtime = _t.localtime
mktime = _t.mktime
time = _t.time
sleep = _t.sleep
sleep_ms = _t.sleep_ms
sleep_us = _t.sleep_us
ticks_ms = _t.ticks_ms
ticks_us = _t.ticks_us
ticks_cpu = _t.ticks_cpu
ticks_add = _t.ticks_add
ticks_diff = _t.ticks_diff
_zone = [8]  # China Standard Time: the firmware's RTC is UTC+8 (modutime.c:41)


def setTimeZone(offset):
    if offset < -12 or offset > 12:  # modutime.c:160-170
        raise ValueError("timezone out of range")
    _zone[0] = offset
    return 0


def getTimeZone():
    return _zone[0]
