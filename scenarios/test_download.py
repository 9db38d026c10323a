"""Download: the module RETRs a file; host, module and server sha256 must agree."""

from __future__ import annotations

from collections.abc import Callable

from harness.scenario import FtpRun


def test_download_binary(ftp_run: FtpRun, make_payload: Callable[[int], bytes],
                         payload_size: int) -> None:
    transfer = ftp_run.download(make_payload(payload_size))
    transfer.assert_intact()
    assert transfer.result.code == 226, transfer.result.reply
    assert transfer.result.size == payload_size
    # hil_ftp asked SIZE first: a short download could not have passed as complete
    assert transfer.result.get("size_checked") is True, transfer.result.get("size_reply")
    assert transfer.result.get("expected_bytes") == payload_size


def test_download_checked_by_the_module_with_xsha256(ftp_run: FtpRun, xsha256_server: object,
                                                   payload_size: int,
                                                     make_payload: Callable[[int], bytes]) -> None:
    transfer = ftp_run.download(make_payload(payload_size), name="hashed.bin", verify_hash=True)
    transfer.assert_intact()
    result = transfer.result
    assert result.get("hash_code") == 213 and result.get("hash_match") is True, result.data
