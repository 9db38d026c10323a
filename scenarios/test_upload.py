"""Upload: the module STORs a file; host, module and server sha256 must agree."""

from __future__ import annotations

from collections.abc import Callable

from harness.transfers import FtpRun


def test_upload_binary(ftp_run: FtpRun, make_payload: Callable[[int], bytes],
                       payload_size: int) -> None:
    transfer = ftp_run.upload(make_payload(payload_size))
    transfer.assert_intact()
    assert transfer.result.code == 226, transfer.result.reply
    assert transfer.result.size == payload_size
