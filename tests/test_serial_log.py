"""The serial log keeps only the current test's bytes in memory; the rest is on disk."""

from __future__ import annotations

import os

from harness.wire.serial_log import RX, TX, SerialLog


def test_old_slices_spill_to_disk_and_read_back_whole() -> None:
    log = SerialLog(memory_limit=256 * 1024)
    log.add_secret("pw-123")
    sent = []
    marks = []
    for _test in range(40):  # 40 "tests" of 128 KiB each way: 10 MiB in all
        marks.append(log.mark())
        assert log.bytes_in_memory == 0  # the previous test went to disk
        for _ in range(4):
            chunk = os.urandom(32 * 1024)
            log.record(TX, chunk)
            log.record(RX, b"pw-123 echoed " + chunk)
            sent.append(chunk)
        assert log.bytes_in_memory <= 256 * 1024 + 64 * 1024
    assert log.raw(since=marks[-1], direction=TX) == b"".join(sent[-4:])
    assert log.raw(since=marks[7], direction=TX) == b"".join(sent[28:])  # from disk
    assert log.raw(direction=TX) == b"".join(sent)
    assert b"pw-123" not in log.raw(since=marks[3]) and b"****" in log.raw(since=marks[3])
    assert log.text(since=marks[39]).count("\n") >= 1
    log.close()
