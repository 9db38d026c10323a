"""Disk full, on both sides: the failure is reported, nothing half-written is kept."""

from __future__ import annotations

from collections.abc import Callable

from harness.server_control import ControlledServer
from harness.transfers import FtpRun

ENOSPC = 28
LEAVE_FREE = 64 * 1024


def test_download_bigger_than_free_space(ftp_run: FtpRun,
                                         make_payload: Callable[[int], bytes]) -> None:
    with ftp_run.disk_filled(LEAVE_FREE) as filled:
        assert filled.ok, filled.summary()
        free = filled.get("free")
        assert free <= LEAVE_FREE
        transfer = ftp_run.download(make_payload(free + 64 * 1024), name="too-big.bin")
    result = transfer.result
    assert not result.ok, "a download bigger than the free space was reported as a success"
    assert result.errno == ENOSPC, "expected OSError(28), got %s" % result.summary()
    assert not ftp_run.device.exists(result.get("local")), "partial file left on the module"


def test_upload_to_full_server(ftp_run: FtpRun, ftp_control: ControlledServer,
                               make_payload: Callable[[int], bytes]) -> None:
    ftp_control.set_quota(0)  # the account's space is used up
    transfer = ftp_run.upload(make_payload(64 * 1024), name="no-room.bin")
    result = transfer.result
    assert not result.ok, "upload to a full server was reported as a success: %s" % result.reply
    assert result.code is not None and 400 <= result.code < 600, result.summary()
