"""550: what users meet when a path is wrong (FAQ: "550 on download").

RETR, DELE, SIZE, CWD and RMD of missing paths each answer 550 and leave the
session usable; a path that tries to leave the account's home gets nothing
from outside it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from harness.scenario import FtpRun, digest_of, ops


def test_retr_missing_file_is_550(ftp_run: FtpRun) -> None:
    transfer = ftp_run.download_existing("no-such-file.bin")
    result = transfer.result
    assert not result.ok, "RETR of a missing file was reported as a success"
    assert result.code == 550, "expected reply 550, got %r" % result.reply
    assert result.get("local_exists") is False
    assert not ftp_run.device.exists(result.get("local")), "partial file left on the module"


def test_missing_paths_are_550_and_the_session_goes_on(ftp_run: FtpRun) -> None:
    missing = ftp_run.server_name("missing.bin")
    s = ftp_run.session([
        ops.retr(missing, ftp_run.device_path("missing.bin")),
        ops.dele(missing),
        ops.type_("I"),  # so that SIZE's 550 means "missing", not "ASCII mode"
        ops.size(missing),
        ops.cwd(missing),
        ops.rmd(missing),
        ops.noop(),
    ])
    assert s.result.get("ran") == 7, "the session stopped early: %s" % s.summary()
    for name in ("retr", "dele", "size", "cwd", "rmd"):
        assert s.op(name).code == 550, "%s of a missing path: %s" % (name, s.summary())
        assert not s.op(name).ok
    assert s.op("noop").code == 200, "the control connection is unusable after the 550s"
    assert s.op("retr").get("local_exists") is False, "RETR left a partial file on the module"


def _require_home_root(ftp_run: FtpRun) -> None:
    if ftp_run.home != "/":
        pytest.skip("the module works in a session folder (%s) of a server we only attach "
                    "to: where its account's home ends is that server's business" % ftp_run.home)


def _host_passwd() -> str | None:
    path = Path("/etc/passwd")
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "../../../../etc/passwd"])
def test_paths_outside_the_home_get_nothing_from_outside(ftp_run: FtpRun, path: str) -> None:
    _require_home_root(ftp_run)
    s = ftp_run.session([ops.retr(path, ftp_run.device_path("pw")),
                         ops.cwd("../.."),
                         ops.pwd()])
    retr = s.op("retr")
    inside = ftp_run.server.digest("etc/passwd")  # the home's own etc/passwd, if it has one
    if retr.ok:
        assert inside is not None and retr.get("file_sha256") == inside.sha256, \
            "RETR %s returned a file that is not inside the FTP home: %s" % (path, retr.summary())
    else:
        assert retr.code == 550, retr.summary()
    if ftp_run.server.mode == "local" and _host_passwd():
        assert retr.get("sha256") != _host_passwd(), "the server handed out the host's passwd"
    assert s.op("pwd").get("path") == "/", "CWD ../.. left the home: %s" % s.summary()


def test_etc_passwd_inside_the_home_is_the_one_served(ftp_run: FtpRun) -> None:
    """With an etc/passwd of its own in the home, /etc/passwd is that file."""
    _require_home_root(ftp_run)
    if ftp_run.server.digest("etc/passwd") is not None:
        pytest.skip("the FTP home already has an etc/passwd; not touching it")
    decoy = b"decoy:x:0:0:inside the FTP home:/:/bin/false\n"
    ftp_run.owns("etc", folder=True)  # made for this test, removed with it
    ftp_run.place("etc/passwd", decoy)
    s = ftp_run.session([
        ops.retr("/etc/passwd", ftp_run.device_path("abs")),
        ops.retr("../../etc/passwd", ftp_run.device_path("rel"), label="retr-rel")])
    for name in ("retr", "retr-rel"):
        op = s.op(name)
        assert op.ok and op.get("file_sha256") == digest_of(decoy).sha256, s.summary()
