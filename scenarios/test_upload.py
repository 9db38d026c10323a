"""Upload: the module STORs a file; host, module and server sha256 must agree."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.scenario import Expected, FtpRun, Transfer, ops


def test_upload_binary(ftp_run: FtpRun, make_payload: Callable[[int], bytes],
                       payload_size: int) -> None:
    transfer = ftp_run.upload(make_payload(payload_size))
    transfer.assert_intact()
    assert transfer.result.code == 226, transfer.result.reply
    assert transfer.result.size == payload_size


def test_upload_checked_by_the_module_with_xsha256(ftp_run: FtpRun, xsha256_server: object,
                                                   payload_size: int,
                                                   make_payload: Callable[[int], bytes]) -> None:
    """The module asks the server for the hash of what it just stored (XSHA256)."""
    transfer = ftp_run.upload(make_payload(payload_size), name="hashed.bin", verify_hash=True)
    transfer.assert_intact()  # the host's own check, through Server.digest
    result = transfer.result
    assert result.get("hash_code") == 213, "XSHA256: %s" % result.get("hash_reply")
    assert transfer.checksums is not None and transfer.checksums.server is not None
    assert result.get("server_sha256") == transfer.checksums.server.sha256
    assert result.get("hash_match") is True, result.data


# what a server that takes no APPE answers (ProFTPD: 451; others 502, 504, 550)
REFUSALS = (450, 451, 500, 502, 504, 550)


def test_upload_appended_with_appe(ftp_run: FtpRun, make_payload: Callable[[int], bytes],
                                   payload_size: int) -> None:
    """The server holds a file; the module APPEs its own bytes to it."""
    payload = make_payload(payload_size + 3000)
    before, data = payload[:3000], payload[3000:]        # two different runs of bytes
    remote = ftp_run.server_name("appended.bin")
    ftp_run.place(remote, before)
    local = ftp_run.source_of("appended.bin", data)
    s = ftp_run.session([ops.stor(local, remote, append=True)], keep=False)
    stor = s.op("stor")
    # ProFTPD refuses APPE unless AllowStoreRestart is on (Debian leaves it off): a server
    # that does is a fact about it, not a failure of the module
    dialect = ftp_run.dialect
    if not stor.ok and stor.code in REFUSALS and (dialect is None or not dialect.appends):
        pytest.skip("the server refuses APPE: %r" % stor.reply)
    assert stor.ok and stor.code == 226, s.summary()
    # the module still holds its bytes; the server the old ones, then the module's
    checks = ftp_run.checksums(data, stor.held, remote, "upload",
                               server_must=Expected.appended(before, data))
    ftp_run.keep(Transfer(stor, checks)).assert_intact()
    # the data connection carried the module's bytes, whole
    assert stor.moved == Expected.whole(data).digest, "moved %s" % (stor.moved,)
