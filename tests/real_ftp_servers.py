"""Real FTP servers on 127.0.0.1 for the harness's own tests: vsftpd, ProFTPD, Pure-FTPd.

    with running("proftpd") as server:          # pytest.skip(...) where it cannot run
        ftp = ftplib.FTP(); ftp.connect("127.0.0.1", server.port)
        ftp.login(server.user, server.password)  # home: /, writable folder: /upload

Each runs as a plain child process of the test, never as a system service: its config,
logs, FTP root and the login's account live in a temporary folder, and it listens on a
free port of 127.0.0.1 with passive ports of its own. The machine's own configuration
(/etc/passwd, /etc/shadow, /etc/group, /etc/pam.d/, /etc/vsftpd.conf, /etc/proftpd/,
/etc/pure-ftpd/) is read at most, never changed. Started means the server sent its 220
greeting within START_TIMEOUT.

The login is a throwaway account that exists only in the temporary folder, in a file
the server reads instead of the machine's users; it runs as an account the machine
already has (ACCOUNTS: `nobody`, for vsftpd `ftp`), which owns what it writes. Its
password is a fresh one per server.

    proftpd    a user in an AuthUserFile and AuthGroupFile of the test's own (passwd(5)
               and group(5) lines; the hash a SHA-512 crypt(3) one from `openssl passwd
               -6`), AuthOrder mod_auth_file.c only: no local user, no PAM
    pure-ftpd  a virtual user: a line of pureftpd.passwd made by hand (README.Virtual-Users
               allows it; the same kind of hash: see _crypt for why not pure-pw
               useradd's), compiled by `pure-pw mkdb` into a PureDB file, read with
               pure-ftpd --login puredb:FILE
    vsftpd     `anonymous`, held to one password: vsftpd checks a named user only
               through PAM (pam_service_name names a file in /etc/pam.d, where a test
               may not write), but it takes only the passwords listed in a file of the
               test's own for an anonymous login (secure_email_list_enable,
               email_password_file) and lets that login write (anon_upload_enable,
               anon_mkdir_write_enable, anon_other_write_enable). A wrong password gets
               "530 Login incorrect." as a local user's does (prelogin.c), after vsftpd's
               1 s delay_failed_login rather than PAM's. What an anonymous session may
               not do differs from a local user's in SITE only (postlogin.c: never for
               anonymous), which no test here sends.

Debian's three packages conflict (each `Conflicts: ftp-server`), so at most one of them
can be installed with apt; .ci/run installs vsftpd and unpacks the other two
(proftpd-core, pure-ftpd) into FTPD_ROOT with their libraries installed. A program is
looked up on PATH, in /usr/sbin and /usr/bin, then in FTPD_ROOT/usr/sbin and
FTPD_ROOT/usr/bin; where it is missing the test skips and names the Debian package.
"""

from __future__ import annotations

import os
import pwd
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
# kind -> what else makes its account file: (program, the Debian package that has it)
ACCOUNT_TOOLS = {"vsftpd": (), "proftpd": (("openssl", "openssl"),),
                 "pure-ftpd": (("openssl", "openssl"), ("pure-pw", "pure-ftpd"))}
KINDS = tuple(PROGRAMS)
# kind -> the machine's account the login runs as (it owns what the login writes); for
# vsftpd its ftp_username, whose home must exist: vsftpd enters it before it enters
# anon_root and chroots (secutil.c, vsf_secutil_change_credentials). `ftp` is vsftpd's
# default ftp_username, an account Debian's vsftpd package makes (home /srv/ftp).
ACCOUNTS = {"vsftpd": "ftp", "proftpd": "nobody", "pure-ftpd": "nobody"}
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
    base: Path  # the temporary folder: config, logs, the account, root
    proc: subprocess.Popen[bytes]

    def url(self, folder: str = "/" + UPLOAD) -> str:
        return "ftp://%s@127.0.0.1:%d%s" % (self.user, self.port, folder)

    def attach(self, password: str | None = None, base: str = "/" + UPLOAD) -> AttachedServer:
        return AttachedServer("127.0.0.1", self.user, password or self.password, port=self.port,
                              base=base, timeout=10.0)


def ftpd_root() -> Path:
    return Path(os.environ.get(FTPD_ROOT_ENV) or DEFAULT_FTPD_ROOT)


def _find(name: str) -> str | None:
    """An executable on PATH, in /usr/sbin or /usr/bin, or in FTPD_ROOT's; or None."""
    unpacked = ftpd_root() / "usr"
    for candidate in (shutil.which(name), "/usr/sbin/" + name, "/usr/bin/" + name,
                      str(unpacked / "sbin" / name), str(unpacked / "bin" / name)):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def program(kind: str) -> str | None:
    """The server's executable, or None."""
    return _find(PROGRAMS[kind][0])


def missing(kind: str) -> str | None:
    """Why this server cannot run here (a skip reason), or None."""
    name, package = PROGRAMS[kind]
    if not sys.platform.startswith("linux"):
        return "%s runs on Linux only" % name
    for tool, has_it in ((name, package), *ACCOUNT_TOOLS[kind]):
        if _find(tool) is None:
            unpacked = (" (or .ci/run's unpacked copy in %s)" % ftpd_root()
                        if has_it == package else "")
            return "%s is not installed: apt-get install %s%s" % (tool, has_it, unpacked)
    if os.geteuid() != 0:
        return "%s chroots its login and changes to its uid: the test must run as root" % name
    try:
        home = pwd.getpwnam(ACCOUNTS[kind]).pw_dir
    except KeyError:
        return "the %s login runs as the account %r, which this machine does not have" % (
            name, ACCOUNTS[kind])
    if kind == "vsftpd" and not os.path.isdir(home):
        return "vsftpd enters the home of %r (%s) at login, and it is missing" % (
            ACCOUNTS[kind], home)
    return None


def _run(command: list[str], stdin: str = "") -> str:
    """What a tool that makes the account prints; a failure ends the test with it."""
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60)
    if done.returncode:
        pytest.fail("%s exited with %d: %s" % (" ".join(command), done.returncode,
                                               (done.stdout + done.stderr).strip()))
    return done.stdout


def _crypt(password: str) -> str:
    """A SHA-512 crypt(3) hash ("$6$salt$..."), which both servers check with crypt(3):
    ProFTPD 1.3.8 in mod_auth_file.c authfile_chkpass, Pure-FTPd 1.0.50 in log_puredb.c
    pw_puredb_parseline (for any hash libsodium does not take).

    Not pure-pw useradd's hash: argon2id, tuned to cost a core at least 250 ms per login
    (pure-pw.c best_crypt). That slows every login of the catalogue, and the login just
    before shifts the timing of tests/test_dialects.py's full-disk upload: Pure-FTPd's
    451 then mostly gets the "measured here" line it adds only when a first chunk fitted
    on the disk (ftpd.c dostor, displayrate), which the recorded dialect does not have
    (measured on this 2-core machine: 14 of 20 such uploads with argon2, 0 of 20 with
    this hash, 1 of 20 with the local user of before).
    """
    return _run([_find("openssl") or "openssl", "passwd", "-6", "-stdin"],
                password + "\n").strip()


def _make_login(kind: str, base: Path, root: Path, password: str) -> str:
    """The throwaway account, in files of `base` only; returns the user name to log in as.

    It runs as ACCOUNTS[kind], and `root` is its home (and chroot)."""
    if kind == "vsftpd":
        # anonymous, held to this one password (vsftpd.conf(5): secure_email_list_enable)
        _private_file(base / "passwords", password)
        return "anonymous"
    user = "qpyhil" + secrets.token_hex(4)
    account = pwd.getpwnam(ACCOUNTS[kind])
    entry = [user, _crypt(password), str(account.pw_uid), str(account.pw_gid), "", str(root)]
    if kind == "proftpd":
        # passwd(5) lines (AuthUserFile, AuthGroupFile); RequireValidShell off takes any shell
        _private_file(base / "ftpd.passwd", ":".join([*entry, "/bin/false"]))
        _private_file(base / "ftpd.group", "%s:x:%d:%s" % (user, account.pw_gid, user))
        return user
    # pure-ftpd: a line as README.Virtual-Users gives it ("You can also edit the files by
    # hand"), twelve empty limits after the home, compiled by pure-pw mkdb. A home without
    # "/./": --chrooteveryone chroots it as it did the local user, with "230 OK. Current
    # restricted directory is /" (ftpd.c dopass), as the recorded dialect says; a "/./"
    # home would get "230 OK. Current directory is /".
    passwd = base / "pureftpd.passwd"
    _private_file(passwd, ":".join([*entry, *[""] * 12]))
    _run([_find("pure-pw") or "pure-pw", "mkdb", str(base / "pureftpd.pdb"), "-f", str(passwd)])
    return user


def _private_file(path: Path, line: str) -> None:
    """One line, for root's eyes only (a password or its hash): the servers read it as root."""
    path.touch(mode=0o600)
    path.write_text(line + "\n")


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
            "listen_port=%d" % port, "background=NO", "local_enable=NO",
            # the anonymous login as a local user would be: a password of its own, writes
            # where the folder lets it, files readable whatever their mode, umask 022
            "anonymous_enable=YES", "no_anon_password=NO", "secure_email_list_enable=YES",
            "email_password_file=%s" % (base / "passwords"), "ftp_username=%s" % ACCOUNTS[kind],
            "anon_root=%s" % root, "write_enable=YES", "anon_upload_enable=YES",
            "anon_mkdir_write_enable=YES", "anon_other_write_enable=YES", "anon_umask=022",
            "anon_world_readable_only=NO",
            "pasv_enable=YES", "pasv_min_port=%d" % passive.start,
            "pasv_max_port=%d" % (passive.stop - 1),
            "seccomp_sandbox=NO", "isolate=NO", "isolate_network=NO",
            "secure_chroot_dir=%s" % empty,
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
            # the login is known to this server only: no local user, no PAM
            "AuthOrder mod_auth_file.c", "AuthUserFile %s" % (base / "ftpd.passwd"),
            "AuthGroupFile %s" % (base / "ftpd.group"), "UseReverseDNS off", "WtmpLog off",
            "DelayTable none", "MaxInstances 40",
            "PidFile %s" % (base / "proftpd.pid"),
            "ScoreboardFile %s" % (base / "proftpd.scoreboard"),
            "SystemLog %s" % (base / "server.log"), "TransferLog %s" % (base / "xfer.log"),
            ""]))
        return [exe, "--nodaemon", "--config", str(config)]
    # pure-ftpd: everything on its command line
    return [exe, "--bind", "127.0.0.1,%d" % port,
            "--login", "puredb:%s" % (base / "pureftpd.pdb"), "--noanonymous",
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


def passive_range(count: int) -> range:
    """`count` consecutive free ports below the kernel's ephemeral range. In it (where a
    port bound to 0 comes from) the run's own outgoing connections take ports of the
    range as their local ports, and a server's passive listener then fails on one: CI's
    real_servers step saw ProFTPD answer "425 PASV: Address already in use"."""
    low = 32768  # Linux's default start of ip_local_port_range
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return free_port_range(count, below=low)


@contextmanager
def running(kind: str, full_disk: bool = False) -> Iterator[RealServer]:
    """`kind` started for one user with a fresh root; stopped and removed after. With
    full_disk, UPLOAD/FULL is a disk of FULL_BYTES (skips where that is impossible)."""
    why = missing(kind) or (no_private_mounts() if full_disk else None)
    if why:
        pytest.skip(why)
    # in /tmp itself: pytest's own tmp folders are 0700, which the FTP user cannot enter
    base = Path(tempfile.mkdtemp(prefix="qpy-hil-%s-" % kind))
    password = secrets.token_urlsafe(12)
    proc = None
    try:
        base.chmod(0o755)
        root = base / "root"
        root.mkdir(mode=0o755)  # root's, so every server accepts it as a chroot
        user = _make_login(kind, base, root, password)
        (root / UPLOAD).mkdir()
        (root / UPLOAD / "keep-me.txt").write_text("the company's file\n")
        (root / "other.txt").write_text("outside the folder\n")
        (root / READ_ONLY).mkdir(mode=0o755)  # root's: readable, not writable
        account = pwd.getpwnam(ACCOUNTS[kind])
        os.chown(root / UPLOAD, account.pw_uid, account.pw_gid)
        port = free_port()
        command = _config(kind, base, root, port, passive_range(PASSIVE_PORTS))
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
        shutil.rmtree(base, ignore_errors=True)


def server_log(server: RealServer) -> str:
    """What the server wrote to its own logs (for a failure message)."""
    texts = []
    for name in ("server.log", "stderr.log"):
        path = server.base / name
        if path.is_file():
            texts.append(path.read_text(errors="replace")[-3000:])
    return "\n".join(texts)
