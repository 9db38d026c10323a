"""Real FTP servers on 127.0.0.1 for the harness's own tests: vsftpd, ProFTPD, Pure-FTPd.

    with running("proftpd") as server:          # pytest.skip(...) where it cannot run
        ftp = ftplib.FTP(); ftp.connect("127.0.0.1", server.port)
        ftp.login(server.user, server.password)  # home: /, writable folder: /upload

Each runs as a plain child process of the test, never as a system service: its config,
logs and FTP root live in a temporary folder, it listens on a free port of 127.0.0.1
with passive ports of its own, and the login is a local user made for it and removed
after (useradd / userdel: the three authenticate local users). The machine's own
configuration (/etc/vsftpd.conf, /etc/proftpd/, /etc/pure-ftpd/) is never read or
changed. Started means the server sent its 220 greeting within START_TIMEOUT.

Debian's three packages conflict (each `Conflicts: ftp-server`), so at most one of them
can be installed with apt; .ci/run installs vsftpd and unpacks the other two
(proftpd-core, pure-ftpd) into FTPD_ROOT with their libraries installed. A program is
looked up on PATH, in /usr/sbin, then in FTPD_ROOT/usr/sbin; where it is missing the
test skips and names the Debian package.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from harness.servers.attached import AttachedServer
from tests.support import free_port, free_port_range, stop_process

FTPD_ROOT_ENV = "QPY_HIL_FTPD_ROOT"
DEFAULT_FTPD_ROOT = "/opt/qpy-ftp-hil-ftpd"
START_TIMEOUT = 15.0  # seconds for the first 220 greeting
PASSIVE_PORTS = 32  # xdist workers transfer at the same time

# kind -> (program, the Debian package that has it)
PROGRAMS = {"vsftpd": ("vsftpd", "vsftpd"), "proftpd": ("proftpd", "proftpd-basic"),
            "pure-ftpd": ("pure-ftpd", "pure-ftpd")}
KINDS = tuple(PROGRAMS)
UPLOAD = "upload"  # the folder the user may write in; the root itself is root's (chroot)
READ_ONLY = "readonly"  # a folder the user may read but not write in
FULL = "full"  # in UPLOAD, with full_disk=True: a disk with FULL_BYTES, for the server only
FULL_BYTES = 64 * 1024


@dataclass
class RealServer:
    kind: str
    port: int
    user: str
    password: str
    root: Path  # what the FTP user sees as "/" (chroot)
    base: Path  # the temporary folder: config, logs, root
    proc: subprocess.Popen[bytes]

    def url(self, folder: str = "/" + UPLOAD) -> str:
        return "ftp://%s@127.0.0.1:%d%s" % (self.user, self.port, folder)

    def attach(self, password: str | None = None, base: str = "/" + UPLOAD) -> AttachedServer:
        return AttachedServer("127.0.0.1", self.user, password or self.password, port=self.port,
                              base=base, timeout=10.0)


def ftpd_root() -> Path:
    return Path(os.environ.get(FTPD_ROOT_ENV) or DEFAULT_FTPD_ROOT)


def program(kind: str) -> str | None:
    """The server's executable, or None."""
    name = PROGRAMS[kind][0]
    for candidate in (shutil.which(name), "/usr/sbin/" + name,
                      str(ftpd_root() / "usr" / "sbin" / name)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing(kind: str) -> str | None:
    """Why this server cannot run here (a skip reason), or None."""
    name, package = PROGRAMS[kind]
    if not sys.platform.startswith("linux"):
        return "%s runs on Linux only" % name
    if program(kind) is None:
        return ("%s is not installed: apt-get install %s (or .ci/run's unpacked copy in %s)"
                % (name, package, ftpd_root()))
    if os.geteuid() != 0:
        return "the %s test makes a local user for the login: it must run as root" % name
    for tool in ("useradd", "userdel", "chpasswd"):
        if shutil.which(tool) is None and not os.access("/usr/sbin/" + tool, os.X_OK):
            return "%s is missing (package passwd)" % tool
    return None


def _config(kind: str, base: Path, root: Path, port: int, passive: range) -> list[str]:
    """The command line that runs `kind` in the foreground with a config of its own."""
    exe = program(kind)
    assert exe is not None
    if kind == "vsftpd":
        empty = base / "empty"
        empty.mkdir(mode=0o755)
        config = base / "vsftpd.conf"
        config.write_text("\n".join([
            "listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1",
            "listen_port=%d" % port, "background=NO", "anonymous_enable=NO",
            "local_enable=YES", "write_enable=YES", "local_umask=022", "chroot_local_user=YES",
            "pasv_enable=YES", "pasv_min_port=%d" % passive.start,
            "pasv_max_port=%d" % (passive.stop - 1),
            "seccomp_sandbox=NO", "isolate=NO", "isolate_network=NO",
            "secure_chroot_dir=%s" % empty, "pam_service_name=vsftpd",
            "xferlog_enable=YES", "log_ftp_protocol=YES",
            "vsftpd_log_file=%s" % (base / "server.log"), ""]))
        return [exe, str(config)]
    if kind == "proftpd":
        config = base / "proftpd.conf"
        config.write_text("\n".join([
            'ServerName "Debian"', "ServerType standalone", "DefaultServer on",
            "DefaultAddress 127.0.0.1", "SocketBindTight on", "UseIPv6 off",
            "Port %d" % port, "PassivePorts %d %d" % (passive.start, passive.stop - 1),
            "User nobody", "Group nogroup", "Umask 022", "AllowOverwrite on",
            "DefaultRoot ~", "RequireValidShell off", "AuthPAM off",
            "AuthOrder mod_auth_unix.c", "UseReverseDNS off", "WtmpLog off",
            "DelayTable none", "MaxInstances 40",
            "PidFile %s" % (base / "proftpd.pid"),
            "ScoreboardFile %s" % (base / "proftpd.scoreboard"),
            "SystemLog %s" % (base / "server.log"), "TransferLog %s" % (base / "xfer.log"),
            ""]))
        return [exe, "--nodaemon", "--config", str(config)]
    # pure-ftpd: everything on its command line
    return [exe, "--bind", "127.0.0.1,%d" % port, "--login", "unix", "--noanonymous",
            "--chrooteveryone", "--passiveportrange", "%d:%d" % (passive.start,
                                                                 passive.stop - 1),
            "--dontresolve", "--ipv4only", "--maxclientsnumber", "40",
            "--maxclientsperip", "40", "--minuid", "100"]


def _greeting(port: int, proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    """The server's first reply line, once it sends one; fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail("the FTP server exited with %s before it greeted" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
                sock.settimeout(max(0.1, deadline - time.monotonic()))
                line = sock.makefile("rb").readline()
                if line.startswith(b"220"):
                    return line
        except OSError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            pytest.fail("the FTP server sent no 220 greeting on port %d in %.0f s"
                        % (port, timeout))
        time.sleep(0.05)  # polling the port, bounded by the deadline


@cache
def no_private_mounts() -> str | None:
    """Why a server cannot get a small disk of its own here (a skip reason), or None.

    The disk is a tmpfs mounted in a mount namespace of the server's own (unshare -m):
    the machine's mounts never change, and it goes away with the server.
    """
    if shutil.which("unshare") is None:
        return "unshare is missing (package util-linux)"
    with tempfile.TemporaryDirectory() as folder:
        probe = subprocess.run(["unshare", "-m", "mount", "-t", "tmpfs", "-o", "size=4k",
                                "tmpfs", folder], capture_output=True, text=True, timeout=30)
    if probe.returncode:
        return "no mount namespace for a small disk (unshare -m mount: %s)" % (
            probe.stderr.strip() or probe.returncode)
    return None


def _on_a_full_disk(command: list[str], folder: Path) -> list[str]:
    """`command` run with `folder` on a tmpfs of FULL_BYTES, in a mount namespace of its own."""
    script = 'mount -t tmpfs -o size=%d,mode=0777 tmpfs "$0" && exec "$@"' % FULL_BYTES
    return ["unshare", "-m", "sh", "-c", script, str(folder), *command]


@contextmanager
def running(kind: str, full_disk: bool = False) -> Iterator[RealServer]:
    """`kind` started for one user with a fresh root; stopped and removed after. With
    full_disk, UPLOAD/FULL is a disk of FULL_BYTES (skips where that is impossible)."""
    why = missing(kind) or (no_private_mounts() if full_disk else None)
    if why:
        pytest.skip(why)
    # in /tmp itself: pytest's own tmp folders are 0700, which the FTP user cannot enter
    base = Path(tempfile.mkdtemp(prefix="qpy-hil-%s-" % kind))
    user = "qpyhil" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    proc = None
    try:
        base.chmod(0o755)
        root = base / "root"
        root.mkdir(mode=0o755)  # root's, so every server accepts it as a chroot
        subprocess.run(["useradd", "-M", "-d", str(root), "-s", "/bin/sh", user], check=True,
                       timeout=30)
        subprocess.run(["chpasswd"], input="%s:%s\n" % (user, password), text=True,
                       check=True, timeout=30)
        (root / UPLOAD).mkdir()
        (root / UPLOAD / "keep-me.txt").write_text("the company's file\n")
        (root / "other.txt").write_text("outside the folder\n")
        (root / READ_ONLY).mkdir(mode=0o755)  # root's: readable, not writable
        shutil.chown(root / UPLOAD, user)
        port = free_port()
        command = _config(kind, base, root, port, free_port_range(PASSIVE_PORTS))
        if full_disk:
            (root / UPLOAD / FULL).mkdir()
            command = _on_a_full_disk(command, root / UPLOAD / FULL)
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=(base / "stderr.log").open("wb"), cwd=base)
        _greeting(port, proc, START_TIMEOUT)
        yield RealServer(kind, port, user, password, root, base, proc)
    finally:
        if proc is not None:
            stop_process(proc)
        subprocess.run(["userdel", user], capture_output=True, timeout=30)
        shutil.rmtree(base, ignore_errors=True)


def server_log(server: RealServer) -> str:
    """What the server wrote to its own logs (for a failure message)."""
    texts = []
    for name in ("server.log", "stderr.log"):
        path = server.base / name
        if path.is_file():
            texts.append(path.read_text(errors="replace")[-3000:])
    return "\n".join(texts)
