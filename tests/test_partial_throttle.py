"""The partial reports' throttle: at most one rewrite per interval, none lost."""

from __future__ import annotations

import threading
import time

from harness.report.partial import Throttle


def test_a_request_inside_the_interval_is_written_by_the_timer_at_its_end() -> None:
    writes: list[float] = []
    second = threading.Event()

    def write() -> None:
        writes.append(time.monotonic())
        if len(writes) == 2:
            second.set()

    throttle = Throttle(write, interval=0.3)
    throttle.request()  # the first is written at once
    assert len(writes) == 1
    for _ in range(5):
        throttle.request()  # these share one timed write
    assert len(writes) == 1
    assert second.wait(5), "the pending write never came"
    assert writes[1] - writes[0] >= 0.3 - 0.01
    throttle.close()
    assert len(writes) == 2


def test_close_drops_a_pending_write_and_every_later_one() -> None:
    writes: list[int] = []
    late = threading.Event()

    def write() -> None:
        writes.append(1)
        if len(writes) > 1:
            late.set()

    throttle = Throttle(write, interval=0.2)
    throttle.request()
    throttle.request()  # pending for 0.2 s
    throttle.close()
    throttle.request()
    assert not late.wait(1.0), "a write came after close"  # five intervals
    assert writes == [1]
