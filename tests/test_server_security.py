"""Every door into the FTP servers the harness runs or attaches to, tried and found shut.

    no anonymous access              anonymous / ftp logins get 530, on every server kind
    writes stay in the run's folder  ../, symlinks, MKD, SITE CHMOD, harness-side names
    credentials per session          a fresh random password for every server
    passwords masked                 transcript, serial log, terminal, JUnit, HTML, logs
    control only on the control side no SITE / QUOTA / FAULT command reaches the server's
                                     knobs; the SSH agent opens no port but FTP's; no
                                     password on any command line

Everything runs on 127.0.0.1. The agent runs over a local pipe here; the same code
runs behind ssh in tests/test_remote_server.py.
"""

from __future__ import annotations

import ftplib
import io
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.servers.attached import AttachedServer
from harness.servers.factory import parse_server_spec
from harness.servers.local.server import FtpServer
from harness.servers.local.transcript import MASK
from harness.servers.ssh import RemoteServer, SshTarget
from harness.wire.serial_log import RX, TX, SerialLog
from tests import warm_python
from tests.support import local_agent

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 5.0
# commands a client might try in the hope of reaching quota, faults or a shell
CONTROL_ATTEMPTS = ["SITE QUOTA 0", "SITE FAULT drop_data", "SITE EXEC id", "SITE CPFR x",
                    "SITE SYMLINK a b", "SITE UMASK 000", "SITE DISKFREE 0", "QUOTA 0",
                    "FAULT drop_data", "XQUOTA", "STOP", "SHUTDOWN"]


@pytest.fixture
def local(tmp_path: Path) -> Iterator[FtpServer]:
    (tmp_path / "outside.txt").write_text("not for FTP clients\n")
    with FtpServer(tmp_path / "home", auth_failed_delay=0) as server:
        yield server


@pytest.fixture
def agent() -> Iterator[RemoteServer]:
    server = local_agent()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["local", "agent"])
def any_server(request: pytest.FixtureRequest) -> FtpServer | RemoteServer:
    """Our server in this process, and the same server run by the SSH agent."""
    return request.getfixturevalue(request.param)


def connect(server: FtpServer | RemoteServer) -> ftplib.FTP:
    ftp = ftplib.FTP(timeout=TIMEOUT)
    ftp.connect("127.0.0.1", server.port)
    return ftp


def login(server: FtpServer | RemoteServer) -> ftplib.FTP:
    ftp = connect(server)
    ftp.login(server.user, server.password)
    ftp.voidcmd("TYPE I")
    return ftp


def reply(ftp: ftplib.FTP, command: str) -> str:
    try:
        return ftp.sendcmd(command)
    except ftplib.Error as exc:
        return str(exc)


# --- no anonymous access


@pytest.mark.parametrize("user", ["anonymous", "ftp", "ANONYMOUS"])
def test_no_anonymous_login(any_server: FtpServer | RemoteServer, user: str) -> None:
    ftp = connect(any_server)
    try:
        with pytest.raises(ftplib.error_perm, match="^530"):
            ftp.login(user, "guest@example.com")
    finally:
        ftp.close()


def test_wrong_password_is_refused(any_server: FtpServer | RemoteServer) -> None:
    ftp = connect(any_server)
    try:
        with pytest.raises(ftplib.error_perm, match="^530"):
            ftp.login(any_server.user, any_server.password[:-1])
    finally:
        ftp.close()


def test_an_anonymous_account_cannot_even_be_made(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no anonymous login"):
        FtpServer(tmp_path, user="anonymous")


# --- writes confined to the run's folder


def test_ftp_client_cannot_leave_the_home(local: FtpServer) -> None:
    outside = local.root.parent / "outside.txt"
    os.symlink(outside, local.root / "link.txt")
    ftp = login(local)
    try:
        assert '"/"' in reply(ftp, "CWD ..") and '"/"' in reply(ftp, "PWD")
        for name in ("../outside.txt", "/../outside.txt", "link.txt"):
            with pytest.raises(ftplib.error_perm, match="^550"):
                ftp.retrbinary("RETR %s" % name, lambda block: None)
        with pytest.raises(ftplib.error_perm, match="^550"):
            ftp.storbinary("STOR link.txt", io.BytesIO(b"overwrite through a symlink"))
        assert reply(ftp, "RNFR link.txt").startswith("550")
        assert reply(ftp, "SITE CHMOD 777 ../outside.txt").startswith("550")
        ftp.storbinary("STOR ../escape.bin", io.BytesIO(b"x"))  # lands in the home
        reply(ftp, "MKD ../evil")
    finally:
        ftp.close()
    assert outside.read_text() == "not for FTP clients\n"
    assert sorted(p.name for p in local.root.parent.iterdir()) == ["home", "outside.txt"]
    assert (local.root / "escape.bin").is_file() and (local.root / "evil").is_dir()


def test_no_data_connection_to_a_foreign_address(local: FtpServer) -> None:
    # FXP / bounce: PORT must not make the server connect anywhere but the client
    ftp = login(local)
    try:
        assert reply(ftp, "PORT 127,0,0,2,0,25").startswith("501")
    finally:
        ftp.close()


@pytest.mark.parametrize("name", ["../x.bin", "../../etc/passwd", "/../x.bin", "a/../../x"])
def test_harness_side_names_stay_in_the_home(local: FtpServer, agent: RemoteServer,
                                             name: str) -> None:
    with pytest.raises(ValueError):
        local.put(name, b"x")
    for call in (agent.digest, agent.remove, agent.remove_dir, lambda n: agent.put(n, b"x")):
        with pytest.raises(ValueError, match="outside the FTP home"):
            call(name)
    attached = AttachedServer("127.0.0.1", "u", "p", port=9, base="/drop", session="s")
    with pytest.raises(ValueError, match="outside the session folder"):
        attached.put(name, b"x")
    assert not (local.root.parent / "x.bin").exists()


# --- credentials per session


def test_every_server_gets_a_fresh_strong_password(tmp_path: Path) -> None:
    made = [FtpServer(tmp_path / str(n)).password for n in range(3)]
    made += [RemoteServer.over_ssh(SshTarget("ops", "203.0.113.9")).password for _ in range(3)]
    assert len(set(made)) == len(made)
    assert all(len(p) >= 16 for p in made)


@pytest.mark.parametrize("url", ["ftp://ops:hunter2@ftp.example.net/drop",
                                 "ssh://ops:hunter2@cloud.example.net"])
def test_a_password_on_the_command_line_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="no password in the URL"):
        parse_server_spec(url)


def test_no_password_on_any_command_line(agent: RemoteServer) -> None:
    ssh = RemoteServer.over_ssh(SshTarget("ops", "203.0.113.9"), key="/k")
    assert ssh.password not in " ".join(ssh.link.command)
    assert agent.password not in " ".join(agent.link.command)
    proc = Path("/proc/%d" % agent.agent_pid)
    if proc.is_dir():  # Linux: what `ps` and other users of the host could see
        assert agent.password.encode() not in (proc / "cmdline").read_bytes()
        assert agent.password.encode() not in (proc / "environ").read_bytes()


# --- passwords masked


def test_transcript_masks_every_password(any_server: FtpServer | RemoteServer) -> None:
    mark = any_server.transcript_mark()
    ftp = connect(any_server)
    try:
        with pytest.raises(ftplib.error_perm):
            ftp.login(any_server.user, "a-wrong-guess-123")
        ftp.close()
        login(any_server).quit()
    finally:
        ftp.close()
    text = any_server.transcript_text(mark)
    assert text.count("PASS %s" % MASK) == 2
    assert any_server.password not in text and "a-wrong-guess-123" not in text


def test_serial_log_masks_the_password() -> None:
    log = SerialLog()
    log.add_secret("pw-Z9x")
    log.record(TX, b"ftp.login('hil', 'pw-Z9x')\r\n")
    log.record(RX, b"echo pw-Z9x\r\n")
    assert b"pw-Z9x" not in log.raw() and "pw-Z9x" not in log.text()
    assert log.raw().count(b"****") == 2


PROBE = '''
"""Puts the session's FTP password everywhere a report could pick it up."""
import logging
import os
from pathlib import Path

import pytest

OUT = Path(__file__).with_name("passwords")


@pytest.fixture(autouse=True)
def _leak(request):
    if "ftp_run" in request.fixturenames:
        password = request.getfixturevalue("ftp_server").password
        OUT.mkdir(exist_ok=True)
        (OUT / str(os.getpid())).write_text(password)
        print("stdout says", password)
        logging.getLogger("probe").warning("log says %s", password)
    yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    yield
    mine = OUT / str(os.getpid())  # this process's password (one per xdist worker)
    if mine.exists():
        raise AssertionError("assertion says %s" % mine.read_text())
'''


def test_password_is_masked_in_every_report(tmp_path: Path) -> None:
    (tmp_path / "qpy_leak_probe.py").write_text(PROBE)
    reports = tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(tmp_path), os.environ.get("PYTHONPATH", "")]).strip(os.pathsep)}
    proc = warm_python.run(
        [sys.executable, "-m", "pytest", "scenarios/test_550.py", "-k", "missing_file",
         "-p", "qpy_leak_probe", "-p", "no:cacheprovider", "-o", "addopts=", "-rA",
         "-o", "junit_logging=all", "-n", "2",  # the xdist path, where passwords travel most
         "--junitxml=%s" % (reports / "junit.xml"), "--html=%s" % (reports / "report.html"),
         "--self-contained-html"],
        cwd=ROOT, env=env, timeout=240)
    out = proc.stdout + proc.stderr
    passwords = {p.read_text() for p in (tmp_path / "passwords").glob("*")}
    assert passwords, "the probe never saw a password: %s" % out
    assert proc.returncode == 1, out  # the probe fails every test on purpose
    junit = (reports / "junit.xml").read_text()
    assert "assertion says %s" % MASK in junit, junit
    assert "stdout says %s" % MASK in junit and "log says %s" % MASK in junit
    written = [f for f in reports.rglob("*") if f.is_file()]
    assert any(f.parent.name == "serial" for f in written), written
    for password in passwords:
        assert password not in out
        for f in written:
            assert password not in f.read_text(errors="replace"), "%s shows the password" % f
    if len(passwords) > 1:  # one per xdist worker, each its own
        assert len(set(passwords)) == len(passwords)


# --- control commands only on the control side


def test_ftp_clients_reach_no_control_command(any_server: FtpServer | RemoteServer) -> None:
    ftp = login(any_server)
    try:
        for command in CONTROL_ATTEMPTS:
            assert reply(ftp, command)[:1] == "5", "%s was accepted" % command
        site = reply(ftp, "SITE HELP")
        assert sorted(re.findall(r"^ (\w+)", site, re.M)) == ["CHMOD", "HELP"], site
        listed = reply(ftp, "HELP")
        for word in ("QUOTA", "FAULT", "EXEC", "DISK"):
            assert word not in listed
        ftp.storbinary("STOR still-fine.bin", io.BytesIO(b"x" * 4096))
    finally:
        ftp.close()
    assert any_server.digest("still-fine.bin").size == 4096  # no quota, no fault took hold
    assert any_server.active_faults() == []


def _listening_ports(pid: int) -> set[int]:
    """TCP ports a process listens on (Linux /proc)."""
    inodes = set()
    for fd in Path("/proc/%d/fd" % pid).iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        path = Path("/proc/%d/net/%s" % (pid, table))
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs Linux /proc")
def test_agent_opens_no_port_but_ftp(agent: RemoteServer) -> None:
    assert _listening_ports(agent.agent_pid) == {agent.port}
