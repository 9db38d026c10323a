"""Download: the module RETRs a file; host, module and server sha256 must agree."""

from __future__ import annotations

from collections.abc import Callable

from harness.scenario import Expected, FtpRun, Transfer, ops


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


def test_download_resumed_with_rest(ftp_run: FtpRun, make_payload: Callable[[int], bytes]) -> None:
    """The module holds the first 2000 of 5000 bytes and RETRs the rest after REST 2000."""
    size, offset = 5000, 2000
    data = make_payload(size)
    remote = ftp_run.server_name("resumed.bin")
    ftp_run.place(remote, data)                              # the whole file on the server
    local = ftp_run.on_module("resumed.bin", data[:offset])  # the part the module holds
    s = ftp_run.session([ops.retr(remote, local, rest=offset)], keep=False)
    retr = s.op("retr")
    assert retr.ok and retr.code == 226, s.summary()
    # host, module and server: the whole file in all three
    checks = ftp_run.checksums(data, retr.held, remote, "download")
    ftp_run.keep(Transfer(retr, checks)).assert_intact()
    # the data connection carried the host's bytes from the offset, no more
    moved = Expected.from_offset(data, offset)
    assert retr.moved == moved.digest, "moved %s, must be %s (%s)" % (
        retr.moved, moved.digest, moved.rule)
