"""Disk full, on both sides (FAQ: "not enough space").

Server: a full disk answers 452, an account over its quota 552; the partial
file is removed and nothing hangs. With --ftp-dialect the server answers as that
server does (vsftpd: 451, FileZilla: 425, ...) and keeps the partial file where
that server keeps it: the module must report a failure all the same. Module: a
download bigger than /usr's free space fails with OSError(28); the filler and the
partial file are removed whatever happens, even when the module reboots in the middle.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.errors import DeviceDisconnected, DeviceRebooted, DeviceTimeout
from harness.scenario import FtpRun, Transfer
from harness.servers.contract import ControlledServer
from harness.servers.dialects import Dialect

ENOSPC = 28
LEAVE_FREE = 64 * 1024
FTP_TIMEOUT = 20  # s on the loopback (the link adds its share): a server that hangs
# instead of answering fails the step, not the run


@pytest.mark.parametrize("fail_at", ["write", "close"])
def test_upload_to_a_full_server_disk_is_452(ftp_run: FtpRun, ftp_control: ControlledServer,
                                             make_payload: Callable[[int], bytes],
                                             cuttable_size: int, fail_at: str) -> None:
    ftp_control.set_disk_free(cuttable_size // 2, fail_at=fail_at)
    transfer = ftp_run.upload(make_payload(cuttable_size), name="no-room.bin",
                              timeout=ftp_run.link.stretch(FTP_TIMEOUT, round_trips=2))
    result = transfer.result
    assert not result.ok, "upload to a full disk was reported as a success: %s" % result.reply
    expected = _speaking(ftp_run).code("STOR 452", 452)
    assert result.code == expected, "expected %d, got %s" % (expected, result.summary())
    _assert_partial_as_the_server_keeps_it(ftp_run, transfer)
    assert transfer.checksums is not None
    assert transfer.checksums.device == transfer.checksums.host, "the module's copy changed"


def test_upload_over_the_account_quota_is_552(ftp_run: FtpRun, ftp_control: ControlledServer,
                                              make_payload: Callable[[int], bytes],
                                              cuttable_size: int) -> None:
    ftp_control.set_quota(cuttable_size // 2)
    transfer = ftp_run.upload(make_payload(cuttable_size), name="over-quota.bin",
                              timeout=ftp_run.link.stretch(FTP_TIMEOUT, round_trips=2))
    result = transfer.result
    assert not result.ok, "upload over the quota was reported as a success: %s" % result.reply
    expected = _speaking(ftp_run).code("STOR 552", 552)
    assert result.code == expected, "expected %d, got %s" % (expected, result.summary())
    _assert_partial_as_the_server_keeps_it(ftp_run, transfer)


def _speaking(ftp_run: FtpRun) -> Dialect:
    dialect = ftp_run.dialect
    assert dialect is not None, "ftp_control hands out our own server only"
    return dialect


def _assert_partial_as_the_server_keeps_it(ftp_run: FtpRun, transfer: Transfer) -> None:
    """Ours removes the partial file; vsftpd, ProFTPD and Pure-FTPd (and their dialects)
    keep what arrived: never the whole file, whichever it is."""
    checks = transfer.checksums
    assert checks is not None
    if _speaking(ftp_run).keeps_partial:
        assert checks.server is not None and checks.server.size < checks.host.size, \
            "the server should keep a partial file, as %s does: %s" % (
                _speaking(ftp_run).imitates, checks.server)
    else:
        assert checks.server is None, "the server kept the partial file"


def test_download_bigger_than_free_space(ftp_run: FtpRun,
                                         make_payload: Callable[[int], bytes]) -> None:
    free_before, _ = ftp_run.device.statvfs("/usr")
    with ftp_run.disk_filled(LEAVE_FREE) as filled:
        assert filled.ok, filled.summary()
        free = filled.get("free")
        assert free <= LEAVE_FREE
        transfer = ftp_run.download(make_payload(free + 64 * 1024), name="too-big.bin")
    result = transfer.result
    assert not result.ok, "a download bigger than the free space was reported as a success"
    assert result.errno == ENOSPC, "expected OSError(28), got %s" % result.summary()
    assert not ftp_run.device.exists(result.get("local")), "partial file left on the module"
    free_after, _ = ftp_run.device.statvfs("/usr")
    assert free_after >= free_before, "the filler was not removed (%d < %d bytes free)" % (
        free_after, free_before)


def test_filler_is_removed_when_the_test_fails_inside(ftp_run: FtpRun) -> None:
    free_before, _ = ftp_run.device.statvfs("/usr")
    filler = None
    with pytest.raises(AssertionError, match="a failure inside"):
        with ftp_run.disk_filled(LEAVE_FREE):
            filler = ftp_run.created.device_files[-1]
            raise AssertionError("a failure inside the filled block")
    assert filler is not None and not ftp_run.device.exists(filler)
    assert ftp_run.device.statvfs("/usr")[0] >= free_before


@pytest.mark.reboot
def test_filler_is_removed_when_the_module_reboots(ftp_run: FtpRun) -> None:
    free_before, _ = ftp_run.device.statvfs("/usr")
    filler = None
    # a real module may drop off USB while it reboots, or go quiet: the clean-up
    # reconnects, or finds the REPL again
    with pytest.raises((DeviceRebooted, DeviceDisconnected, DeviceTimeout)):
        with ftp_run.disk_filled(LEAVE_FREE):
            filler = ftp_run.created.device_files[-1]
            ftp_run.device.exec("import misc\nmisc.Power.powerRestart()", timeout=30)
    if ftp_run.device.lost:
        ftp_run.device.reconnect(ftp_run.reconnect_timeout)
    assert filler is not None and not ftp_run.device.exists(filler), "the filler survived"
    assert ftp_run.device.statvfs("/usr")[0] >= free_before
