"""Faults our FTP server injects: the module reports a failure every time, and
nothing reports success with a wrong or short file.

    drop_data        the data connection closes in the middle of a transfer
    reply_421        every new connection is greeted with 421
    stall            the data stops moving; the module must time out
    throttle         a slow cellular-like link: slower, but intact
    max_connections  one control connection too many gets 421
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.scenario import FtpRun, Transfer, ops
from harness.servers.contract import ControlledServer

pytestmark = pytest.mark.faults

STALL_PAYLOAD = 64 * 1024
THROTTLE_RATE = 16 * 1024  # bytes per second
# pyftpdlib's throttle lets the first `rate` bytes through and sleeps from the
# second time the count crosses it: a payload under twice the rate is never slowed
THROTTLE_PAYLOAD = 3 * THROTTLE_RATE
FAST_LINK_MS = 250  # an unthrottled transfer this quick: the link does not limit
THROTTLED_MIN_MS = 1000  # the throttle sleeps about 2 s for this payload


def assert_reported_failure(transfer: Transfer) -> None:
    """The module said "failed", and what it kept (if anything) is not called intact."""
    result = transfer.result
    assert not result.ok, "the module reported success: %s" % result.summary()
    assert result.get("error") or result.code, "a failure without a reason: %s" % result.data
    with pytest.raises(AssertionError):
        transfer.assert_intact()


def _timed_out_or_short(error: str) -> bool:
    # CPython's and our ftplib raise a timeout; a Quectel-style one returns short
    # data with a made-up 226, which hil_ftp catches against SIZE
    return "timed out" in error or "110" in error or "short download" in error


@pytest.mark.parametrize("direction", ["download", "upload"])
def test_data_connection_dropped_mid_transfer(ftp_run: FtpRun, ftp_control: ControlledServer,
                                              make_payload: Callable[[int], bytes],
                                              cuttable_size: int, direction: str) -> None:
    data = make_payload(cuttable_size)
    ftp_control.inject_fault("drop_data", after_bytes=cuttable_size // 2,
                             on="retr" if direction == "download" else "stor")
    if direction == "download":
        transfer = ftp_run.download(data, name="dropped.bin")
        assert transfer.result.get("local_exists") is False, "partial file kept on the module"
    else:
        transfer = ftp_run.upload(data, name="dropped.bin")
        assert transfer.checksums is not None and transfer.checksums.server != \
            transfer.checksums.host
    assert_reported_failure(transfer)
    result = transfer.result
    assert result.code == 426 or "short download" in (result.get("error") or ""), \
        result.summary()


def test_421_at_connect(ftp_run: FtpRun, ftp_control: ControlledServer,
                        make_payload: Callable[[int], bytes]) -> None:
    ftp_control.inject_fault("reply_421")
    s = ftp_run.session([ops.noop()])
    assert not s.result.ok and s.code == 421, s.summary()
    assert s.result.get("ran") == 0
    transfer = ftp_run.upload(make_payload(1024), name="refused.bin")
    assert transfer.result.code == 421, transfer.result.summary()
    assert_reported_failure(transfer)
    assert transfer.checksums is not None and transfer.checksums.server is None


@pytest.mark.slow  # waits out the module's FTP timeout, once or twice
@pytest.mark.parametrize("direction", ["download", "upload"])
def test_stalled_transfer_times_out(ftp_run: FtpRun, ftp_control: ControlledServer,
                                    make_payload: Callable[[int], bytes], stall_timeout: float,
                                    direction: str) -> None:
    data = make_payload(STALL_PAYLOAD)
    ftp_control.inject_fault("stall", after_bytes=STALL_PAYLOAD // 4,
                             on="retr" if direction == "download" else "stor")
    if direction == "download":
        transfer = ftp_run.download(data, name="stalled.bin", timeout=stall_timeout)
        assert transfer.result.get("local_exists") is False, "partial file kept on the module"
    else:
        transfer = ftp_run.upload(data, name="stalled.bin", timeout=stall_timeout)
    assert_reported_failure(transfer)
    assert _timed_out_or_short(transfer.result.get("error") or ""), transfer.result.summary()


@pytest.mark.slow  # a throttled link takes about 2 s by design
@pytest.mark.parametrize("direction", ["download", "upload"])
def test_throttled_link_is_slow_but_intact(ftp_run: FtpRun, ftp_control: ControlledServer,
                                           make_payload: Callable[[int], bytes],
                                           direction: str) -> None:
    data = make_payload(THROTTLE_PAYLOAD)
    move = ftp_run.download if direction == "download" else ftp_run.upload
    reference = move(data, name="reference.bin")
    reference.assert_intact()
    ftp_control.inject_fault("throttle", bytes_per_second=THROTTLE_RATE,
                             on="retr" if direction == "download" else "stor")
    throttled = move(data, name="throttled.bin")
    throttled.assert_intact()
    assert throttled.result.size == THROTTLE_PAYLOAD
    ref_ms, slow_ms = reference.result.ms, throttled.result.ms
    throttled.extra["throttle"] = "%d bytes/s: %s ms (unthrottled: %s ms)" % (
        THROTTLE_RATE, slow_ms, ref_ms)
    # not a speed test: the bound only proves the fault acted, and only where the
    # link is fast enough for the throttle to be what limits (a busy PC only adds time)
    if ref_ms is not None and ref_ms < FAST_LINK_MS:
        assert slow_ms is not None and slow_ms >= THROTTLED_MIN_MS, \
            "the throttle did not slow the transfer: %s" % throttled.extra["throttle"]


def test_one_connection_too_many_gets_421(ftp_run: FtpRun,
                                          ftp_control: ControlledServer) -> None:
    ftp_run.wait_server_idle()  # the limit counts every open control connection
    ftp_control.inject_fault("max_connections", limit=1)
    s = ftp_run.session([ops.connect(login=True), ops.noop()])
    assert s.op("connect").code == 421, s.summary()
    assert not s.op("connect").ok
    assert s.op("noop").code == 200, "the first connection must be unaffected: %s" % s.summary()
