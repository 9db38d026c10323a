"""--ftp-server=ftp://: attaching to an FTP server someone else runs.

The "company server" is a real vsftpd (Debian's package) on 127.0.0.1, started by the
test with its config in a temporary folder and a login that exists only there (vsftpd's
anonymous login, held to a password of the test's own; tests/real_ftp_servers.py). The
harness reaches it only as an FTP client.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.servers.attached import (
    PASSWORD_ENV,
    AttachedServer,
    AttachedServerError,
    password_from,
)
from harness.servers.factory import parse_server_spec
from harness.servers.local.server import FtpServer
from tests import warm_python
from tests.real_ftp_servers import RealServer, running

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[1]
NORMAL_SCENARIOS = ["scenarios/test_upload.py", "scenarios/test_download.py",
                    "scenarios/test_550.py", "scenarios/test_disk_full.py"]
# plain transfers, 550s and disk-full; not the ones that need our server's XSHA256 or home
NORMAL_KEYWORDS = ("test_upload_binary or test_download_binary or test_retr_missing_file "
                   "or test_missing_paths or disk_full")


# --- a real vsftpd on 127.0.0.1 (tests/real_ftp_servers.py)


@pytest.fixture(scope="module")
def vsftpd() -> Iterator[RealServer]:
    with running("vsftpd") as server:
        yield server


def session_folders(vsftpd: RealServer) -> set[str]:
    return {p.name for p in (vsftpd.root / "upload").glob("qpy-hil-*")}


def test_session_folder_holds_everything_and_goes_at_the_end(vsftpd: RealServer) -> None:
    server = vsftpd.attach()
    server.start()
    try:
        assert server.hash_command is None  # vsftpd offers no hash: digests download
        on_disk = vsftpd.root / server.folder.lstrip("/")
        assert on_disk.is_dir() and on_disk.parent == vsftpd.root / "upload"
        data = os.urandom(70_000)
        server.put("a.bin", data)
        server.put("sub/b.bin", b"b")
        assert (on_disk / "a.bin").read_bytes() == data
        assert server.digest("a.bin").sha256 == hashlib.sha256(data).hexdigest()
        assert server.digest("a.bin").size == len(data)
        assert server.digest(server.folder + "/a.bin") == server.digest("a.bin")
        assert server.digest("missing.bin") is None
        server.remove("a.bin")
        server.remove("a.bin")  # already gone: not an error
        assert not (on_disk / "a.bin").exists()
        assert server.dir_exists("sub") and not server.dir_exists("nope")
    finally:
        server.stop()
    assert not on_disk.exists(), "the session folder was left behind"
    assert (vsftpd.root / "upload" / "keep-me.txt").read_text() == "the company's file\n"
    assert (vsftpd.root / "other.txt").exists()


# vsftpd (through PAM) holds a wrong password's 530 back about 2 s: a long run of its own
# (the quick suite's wrong password: tests/test_bad_input.py, on a pyftpdlib server)
@pytest.mark.real_servers
def test_wrong_password_names_the_variable(vsftpd: RealServer) -> None:
    server = vsftpd.attach(password="not-" + vsftpd.password)
    with pytest.raises(AttachedServerError, match="login refused for .*%s" % PASSWORD_ENV):
        server.start()


def test_folder_that_cannot_be_written_is_named(vsftpd: RealServer) -> None:
    server = vsftpd.attach(base="/")  # the chroot root is root's, not the user's
    with pytest.raises(AttachedServerError, match="no write permission in /"):
        server.start()
    assert not list(vsftpd.root.glob("qpy-hil-*"))


def test_a_missing_attach_folder_says_create_it(tmp_path: Path) -> None:
    with FtpServer(tmp_path / "home", auth_failed_delay=0) as ours:
        server = AttachedServer("127.0.0.1", ours.user, ours.password, port=ours.port,
                                base="/hil", timeout=10.0)
        with pytest.raises(AttachedServerError) as caught:
            server.start()
    message = str(caught.value)
    assert message.startswith("the attach folder /hil is not on ftp://%s@127.0.0.1:%d (550 "
                              % (ours.user, ours.port)), message
    assert "create it" in message and "\n" not in message
    assert not (tmp_path / "home" / "hil").exists()  # asked for, never made by the harness


def test_server_hash_is_used_when_feat_offers_it(tmp_path: Path) -> None:
    with FtpServer(tmp_path / "home", auth_failed_delay=0) as ours:
        server = AttachedServer("127.0.0.1", ours.user, ours.password, port=ours.port,
                                base="/", timeout=10.0)
        server.start()
        try:
            assert server.hash_command == "XSHA256"
            data = os.urandom(3000)
            server.put("h.bin", data)
            mark = ours.transcript_mark()
            found = server.digest("h.bin")
            assert found.sha256 == hashlib.sha256(data).hexdigest() and found.size == 3000
            assert server.digest("gone.bin") is None
            seen = ours.transcript_text(mark)
            assert "XSHA256 %s/h.bin" % server.folder in seen
            assert "RETR" not in seen, "verified by downloading although XSHA256 is there"
        finally:
            server.stop()
        assert not any((tmp_path / "home").iterdir())


def test_names_outside_the_session_folder_are_refused() -> None:
    # nothing listens on port 9: every refusal happens before a connection is tried
    server = AttachedServer("127.0.0.1", "u", "p", port=9, base="/upload", session="s1")
    for name in ("../x.bin", "/upload/x.bin", "/etc/passwd", "sub/../../x", "/upload/s1"):
        for call in (server.digest, server.remove, lambda n: server.put(n, b"x")):
            with pytest.raises(ValueError, match="outside the session folder"):
                call(name)
    with pytest.raises(ValueError, match="line break"):
        server.remove("x\r\nDELE /upload/keep-me.txt")


def test_password_comes_from_the_environment_or_a_prompt() -> None:
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return "typed"

    assert password_from({PASSWORD_ENV: "from-env"}, ask, "u@h/x") == "from-env"
    assert asked == []
    assert password_from({}, ask, "u@h/x") == "typed"
    assert asked == ["FTP password for ftp://u@h/x: "]
    with pytest.raises(AttachedServerError, match="set %s" % PASSWORD_ENV):
        password_from({}, None, "u@h/x")


def test_ftp_url_is_parsed_without_a_password() -> None:
    spec = parse_server_spec("ftp://ops@ftp.example.net:2121/drop/zone/")
    assert (spec.kind, spec.user, spec.host, spec.port, spec.folder) == (
        "ftp", "ops", "ftp.example.net", 2121, "/drop/zone")
    assert parse_server_spec("ftp://ops@h").folder == "/"
    with pytest.raises(ValueError, match="no password in the URL"):
        parse_server_spec("ftp://ops:secret@h/x")


def run_pytest(args: list[str], env: dict[str, str], timeout: float = 300
               ) -> subprocess.CompletedProcess[str]:
    return warm_python.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                            "-o", "addopts=", *args], cwd=ROOT, env=env, timeout=timeout)


def test_no_password_and_no_terminal_ends_the_run_at_once() -> None:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    started = time.monotonic()
    proc = run_pytest(["scenarios/test_550.py", "--ftp-server=ftp://ops@127.0.0.1:9/x"], env,
                      timeout=60)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, out
    assert PASSWORD_ENV in out and "Traceback" not in out
    assert time.monotonic() - started < 45


@pytest.mark.real_servers
def test_normal_scenarios_pass_through_vsftpd(vsftpd: RealServer, tmp_path: Path) -> None:
    before = session_folders(vsftpd)
    junit = tmp_path / "junit.xml"
    summary = tmp_path / "summary.json"
    env = {**os.environ, PASSWORD_ENV: vsftpd.password}
    proc = run_pytest([*NORMAL_SCENARIOS, "-k", NORMAL_KEYWORDS, "-rs", "--junitxml=%s" % junit,
                       "--summary-json=%s" % summary, "--payload-sizes=0,1,1024,65536",
                       "--ftp-server=%s" % vsftpd.url()], env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    assert int(suite.get("failures")) == int(suite.get("errors")) == 0, out
    passed = [case for case in suite.iter("testcase")
              if case.find("skipped") is None and case.find("failure") is None]
    assert any("test_upload" in c.get("classname") for c in passed), out
    assert any("test_download" in c.get("classname") for c in passed), out
    assert any("test_550" in c.get("classname") for c in passed), out
    skipped = {case.get("name"): case.find("skipped").get("message", "")
               for case in suite.iter("testcase") if case.find("skipped") is not None}
    server_side = {name: why for name, why in skipped.items() if "server" in name}
    assert server_side, "no server-side disk-full test was skipped: %s" % sorted(skipped)
    for why in server_side.values():
        assert "only attached to" in why and "cannot set its quota" in why, why
    assert session_folders(vsftpd) == before, "a session folder was left behind"
    assert vsftpd.password not in junit.read_text()
    # the report says which server it was, in its own words
    servers = json.loads(summary.read_text())["ftp_servers"]
    assert {(s["greeting"], s["system"]) for s in servers} == {
        ("220 (vsFTPd 3.0.3)", "215 UNIX Type: L8")}, servers
