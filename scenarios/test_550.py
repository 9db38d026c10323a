"""550: RETR of a missing file fails with reply code 550 and leaves nothing behind."""

from __future__ import annotations

from harness.transfers import FtpRun


def test_retr_missing_file_is_550(ftp_run: FtpRun) -> None:
    transfer = ftp_run.download_existing("no-such-file.bin")
    result = transfer.result
    assert not result.ok, "RETR of a missing file was reported as a success"
    assert result.code == 550, "expected reply 550, got %r" % result.reply
    assert result.get("local_exists") is False
    assert not ftp_run.device.exists(result.get("local")), "partial file left on the module"
