"""--ftp-server=ssh://: our FTP server on a far host, started and ended over SSH.

The far host is this machine: each test module starts a real OpenSSH server on
127.0.0.1 with keys made in tmp, and the harness reaches it with the system ssh
client, exactly as it reaches a cloud host. The agent also runs over a plain local
pipe (no ssh) for the protocol tests, so those run wherever Python does.
"""

from __future__ import annotations

import ftplib
import getpass
import hashlib
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.servers.agent_link import BOOTSTRAP, AgentError
from harness.servers.ssh import RemoteServer, SshTarget, remote_command, ssh_command
from tests import warm_python
from tests.support import accepts, free_port, free_port_range, local_agent, stop_process

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 5.0  # seconds, for every client socket
NORMAL_SCENARIOS = ["scenarios/test_upload.py", "scenarios/test_download.py",
                    "scenarios/test_550.py", "scenarios/test_disk_full.py"]
SSH_OPTIONS = ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "LogLevel=ERROR"]


# --- helpers: waiting for a port to close


def wait_closed(port: int, timeout: float) -> float:
    """Seconds until nothing accepts on port; fails the test after timeout."""
    started = time.monotonic()
    while accepts(port):
        if time.monotonic() - started > timeout:
            raise AssertionError("port %d still accepts after %.0f s" % (port, timeout))
        time.sleep(0.1)  # polling a port, bounded by the deadline above
    return time.monotonic() - started


def login(server: RemoteServer) -> ftplib.FTP:
    ftp = ftplib.FTP(timeout=TIMEOUT)
    ftp.connect("127.0.0.1", server.port)
    ftp.login(server.user, server.password)
    ftp.voidcmd("TYPE I")
    return ftp


# --- the agent over a local pipe: the protocol, without ssh


@pytest.fixture
def agent_server() -> Iterator[RemoteServer]:
    server = local_agent()
    server.start()
    yield server
    server.stop()


def test_agent_places_hashes_and_removes_files(agent_server: RemoteServer) -> None:
    data = os.urandom(500_000)  # bigger than one put chunk
    agent_server.put("sub/a.bin", data)
    found = agent_server.digest("sub/a.bin")
    assert found is not None and found.size == len(data)
    ftp = login(agent_server)
    try:
        got = bytearray()
        ftp.retrbinary("RETR sub/a.bin", got.extend)
    finally:
        ftp.quit()
    assert bytes(got) == data
    assert found.sha256 == hashlib.sha256(data).hexdigest()
    agent_server.remove("sub/a.bin")
    assert agent_server.digest("sub/a.bin") is None
    assert agent_server.dir_exists("sub")
    agent_server.put("sub/deeper/b.bin", b"b")
    agent_server.remove_dir("sub")
    assert not agent_server.dir_exists("sub")
    with pytest.raises(ValueError, match="FTP home itself"):
        agent_server.remove_dir(".")


def test_agent_quota_fault_and_transcript(agent_server: RemoteServer) -> None:
    mark = agent_server.transcript_mark()
    agent_server.set_quota(0)
    ftp = login(agent_server)
    try:
        with pytest.raises(ftplib.error_perm, match="^552"):
            ftp.storbinary("STOR q.bin", io.BytesIO(b"x" * 4096))
        agent_server.set_quota(None)
        agent_server.inject_fault("reply_421")
        with pytest.raises(ftplib.error_temp, match="^421"):
            ftplib.FTP().connect("127.0.0.1", agent_server.port, timeout=TIMEOUT)
        agent_server.clear_faults()
        ftp.storbinary("STOR ok.bin", io.BytesIO(b"fine"))
    finally:
        ftp.close()
    text = agent_server.transcript_text(mark)
    assert "STOR q.bin" in text and "552 Quota exceeded" in text
    assert "PASS ****" in text and agent_server.password not in text
    assert agent_server.digest("ok.bin").size == 4


def test_agent_refuses_bad_requests_as_value_errors(agent_server: RemoteServer) -> None:
    with pytest.raises(ValueError, match="outside the FTP home"):
        agent_server.put("../escape.bin", b"x")
    with pytest.raises(ValueError, match="unknown fault 'nope'"):
        agent_server.inject_fault("nope")
    with pytest.raises(AgentError, match="unknown request 'rm_rf'"):
        agent_server.link.request("rm_rf")


def test_stop_ends_the_agent_and_deletes_its_home() -> None:
    server = local_agent()
    server.start()
    home, port = Path(server.remote_root), server.port
    server.put("left.bin", b"x")
    assert home.is_dir() and accepts(port)
    server.stop()
    assert server.link.process.returncode == 0
    assert not home.exists()
    assert not accepts(port)
    server.stop()  # twice is harmless


def test_closed_stdin_ends_the_agent() -> None:
    server = local_agent()
    server.start()
    home, port = Path(server.remote_root), server.port
    server.link.process.stdin.close()  # what a dropped ssh connection looks like far away
    wait_closed(port, 10)
    assert server.link.process.wait(10) == 0
    assert not home.exists()


def test_far_end_that_never_answers_times_out_and_is_ended() -> None:
    server = RemoteServer([sys.executable, "-c", "import time; time.sleep(60)"], "mute host",
                          public_host="127.0.0.1", bind="127.0.0.1", port=0, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(AgentError, match="mute host: waited 1 s for the agent's hello"):
        server.start()
    assert time.monotonic() - started < 10
    assert server.link.process.poll() is not None, "the child was left running"


def test_host_without_pyftpdlib_is_named_in_the_error() -> None:
    # -S: no site-packages, so no pyftpdlib, as on a fresh cloud image
    server = RemoteServer([sys.executable, "-S", "-u", "-c", BOOTSTRAP], "local agent",
                          public_host="127.0.0.1", bind="127.0.0.1", port=0, timeout=20.0)
    with pytest.raises(AgentError, match="pyftpdlib is not installed.*pip install"):
        server.start()
    assert server.link.process.poll() is not None


def test_unreachable_ssh_host_ends_the_run_with_what_ssh_said() -> None:
    proc = warm_python.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
         "scenarios/test_550.py", "-k", "missing_file",
         "--ftp-server=ssh://nobody@127.0.0.1:%d" % free_port(),  # nothing listens there
         "--ftp-ssh-option=ConnectTimeout=5", "-p", "no:xdist"],
        cwd=ROOT, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "Connection refused" in out and "ssh nobody@127.0.0.1" in out, out
    assert "INTERNALERROR" not in out and "Traceback" not in out, out


def test_ssh_command_line_carries_no_password() -> None:
    # 203.0.113.9 is a documentation address: nothing is resolved or contacted here
    server = RemoteServer.over_ssh(SshTarget("ops", "203.0.113.9", 2222), key="k",
                                   ssh_options=["BatchMode=no"])
    argv = server.link.command
    assert server.password not in " ".join(argv)
    assert argv[:2] == ["ssh", "-T"] and argv[-2:] == ["ops@203.0.113.9",
                                                      remote_command("python3")]
    # ssh keeps the first value of an option: the person's must come before ours
    assert argv.index("BatchMode=no") < argv.index("BatchMode=yes")
    assert ["-p", "2222"] == argv[argv.index("-p"):argv.index("-p") + 2]
    assert server.host == "203.0.113.9" and server.port == 2121
    assert (server.passive_ports.start, server.passive_ports.stop) == (60000, 60101)


# --- a real OpenSSH server on 127.0.0.1


@dataclass
class Sshd:
    port: int
    user: str
    key: Path
    log: Path
    remote_tmp: Path  # TMPDIR of every ssh session: where the agent makes its FTP home

    def target(self) -> SshTarget:
        return SshTarget(self.user, "127.0.0.1", self.port)

    def options(self) -> list[str]:
        return list(SSH_OPTIONS)


def _sshd_binary() -> str | None:
    return shutil.which("sshd") or next(
        (p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if os.access(p, os.X_OK)), None)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    binary = _sshd_binary()
    if binary is None or not shutil.which("ssh") or not shutil.which("ssh-keygen"):
        pytest.skip("OpenSSH is not installed: apt-get install openssh-server openssh-client")
    if sys.platform.startswith("linux") and not os.path.isdir("/run/sshd"):
        pytest.skip("sshd needs its privilege separation folder: mkdir -p /run/sshd")
    tmp = tmp_path_factory.mktemp("sshd")
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / name)],
                       check=True, timeout=30)
    shutil.copy(tmp / "client_key.pub", tmp / "authorized_keys")
    port = free_port()
    remote_tmp = tmp / "remote-tmp"
    remote_tmp.mkdir()
    config = tmp / "sshd_config"
    config.write_text("\n".join([
        "Port %d" % port, "ListenAddress 127.0.0.1", "HostKey %s" % (tmp / "host_key"),
        "AuthorizedKeysFile %s" % (tmp / "authorized_keys"),
        "PermitRootLogin prohibit-password", "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "PidFile none",
        "SetEnv TMPDIR=%s" % remote_tmp, "LogLevel VERBOSE", ""]))
    log = tmp / "sshd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([binary, "-f", str(config), "-D", "-e"], stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while not accepts(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("sshd did not start: %s" % log.read_text(errors="replace"))
            time.sleep(0.05)  # polling the port, bounded by the deadline
        found = Sshd(port, getpass.getuser(), tmp / "client_key", log, remote_tmp)
        # one plain login first, so a setup problem reads as one, with sshd's own words
        probe = subprocess.run(
            ssh_command(found.target(), "true", str(found.key), found.options()),
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        if probe.returncode != 0:
            pytest.fail("ssh to the test sshd failed (%s); sshd said:\n%s\n(a user whose "
                        "password is locked with '!' in /etc/shadow cannot log in with "
                        "UsePAM no)" % (probe.stderr.strip(), log.read_text(errors="replace")))
        yield found
    finally:
        stop_process(proc)


def over_ssh(sshd: Sshd, **args: object) -> RemoteServer:
    settings = dict(key=str(sshd.key), ssh_options=sshd.options(), python=sys.executable,
                    bind="127.0.0.1", port=0, timeout=30.0)
    settings.update(args)
    return RemoteServer.over_ssh(sshd.target(), **settings)


def test_server_over_ssh_serves_with_nat_settings(sshd: Sshd) -> None:
    passive = free_port_range()
    server = over_ssh(sshd, passive_ports=passive)
    server.start()
    try:
        assert server.host == "127.0.0.1"  # the ssh host is the public host by default
        assert Path(server.remote_root).parent == sshd.remote_tmp
        ftp = login(server)
        try:
            reply = ftp.sendcmd("PASV")
            numbers = [int(n) for n in re.search(r"\(([\d,]+)\)", reply).group(1).split(",")]
            assert numbers[:4] == [127, 0, 0, 1]
            assert numbers[4] * 256 + numbers[5] in passive
            ftp.close()
            ftp = login(server)
            ftp.storbinary("STOR up.bin", io.BytesIO(b"over ssh"))
        finally:
            ftp.close()
        assert server.digest("up.bin").size == 8
        home, port = server.remote_root, server.port
    finally:
        server.stop()
    assert not accepts(port)
    assert not os.path.exists(home)
    assert server.link.process.returncode == 0


def test_public_host_is_what_pasv_names(sshd: Sshd) -> None:
    server = over_ssh(sshd, public_host="127.0.0.2")  # no traffic goes there: PASV text only
    server.start()
    try:
        assert server.host == "127.0.0.2"
        ftp = login(server)
        try:
            assert "(127,0,0,2," in ftp.sendcmd("PASV")
        finally:
            ftp.close()
    finally:
        server.stop()


def test_killed_ssh_client_ends_the_remote_server(sshd: Sshd) -> None:
    server = over_ssh(sshd, watchdog=60.0)  # only the dropped connection can end it in time
    server.start()
    home, port = server.remote_root, server.port
    assert accepts(port)
    server.link.process.kill()  # the harness PC crashed, or someone killed ssh
    took = wait_closed(port, 15)
    assert took < 15
    deadline = time.monotonic() + 10
    while os.path.exists(home) and time.monotonic() < deadline:
        time.sleep(0.1)  # the agent deletes its home right after closing the port
    assert not os.path.exists(home)
    server.link.close()


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs SIGSTOP to freeze ssh")
def test_frozen_link_trips_the_watchdog(sshd: Sshd) -> None:
    # a stopped ssh client keeps its TCP connection open but says nothing: only the
    # agent's watchdog can notice
    server = over_ssh(sshd, watchdog=2.0)
    server.start()
    port = server.port
    proc = server.link.process
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        took = wait_closed(port, 20)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        server.link.close(kill=True)
    assert 1.5 < took < 20


def test_unknown_key_fails_with_what_ssh_said(sshd: Sshd, tmp_path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    str(tmp_path / "stranger")], check=True, timeout=30)
    server = over_ssh(sshd, key=str(tmp_path / "stranger"))
    started = time.monotonic()
    with pytest.raises(AgentError, match="(?s)ssh .*Permission denied"):
        server.start()
    assert time.monotonic() - started < 25


def _junit_counts(path: Path) -> dict[str, int]:
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    return {key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")}


@pytest.mark.end_to_end
def test_scenarios_pass_through_the_ssh_server(sshd: Sshd, tmp_path: Path) -> None:
    passive = free_port_range()
    junit = tmp_path / "junit.xml"
    # the normal scenarios; payloads up to 64 KiB (the 1 MiB ones add time, not paths)
    args = [sys.executable, "-m", "pytest", *NORMAL_SCENARIOS, "-p", "no:cacheprovider",
            "-o", "addopts=", "-q", "--junitxml=%s" % junit, "--payload-sizes=0,1,1024,65536",
            "--ftp-server=ssh://%s@127.0.0.1:%d" % (sshd.user, sshd.port),
            "--ftp-ssh-key=%s" % sshd.key, "--ftp-ssh-python=%s" % sys.executable,
            "--ftp-bind=127.0.0.1", "--ftp-port=0",
            "--ftp-passive-ports=%d-%d" % (passive.start, passive.stop - 1)]
    args += ["--ftp-ssh-option=%s" % option for option in sshd.options()]
    proc = warm_python.run(args, cwd=ROOT, timeout=240)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    counts = _junit_counts(junit)
    assert counts["tests"] >= 5 and counts["failures"] == counts["errors"] == 0, counts
    assert counts["skipped"] == 0, out  # the server is controlled: disk-full runs too
    assert not list(sshd.remote_tmp.iterdir()), "the remote server left its home behind"
