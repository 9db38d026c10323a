"""--ftp-dialect: our server answers as vsftpd, ProFTPD, Pure-FTPd, IIS or FileZilla does.

For the three this machine can run, each dialect is held to the real program: one fixed
command sequence (tests/reply_recorder.py) goes to the real server (tests/real_ftp_servers.py)
and to ours speaking its dialect, with the same folders (a writable one, a read-only one
and, where a mount namespace is allowed, one on a 64 KiB disk). Every reply must have the
same codes and lines (a multi-line reply stays one), the same words once digits and the
account name are set aside, and what a client reads must be equal: the 213 size, the 257
path, the 227 address, the 150's byte count, NLST's names, LIST's style, RETR's bytes
(a long run of its own: `pytest tests -m real_servers`). IIS and FileZilla cannot run
here; their replies are copied from public sources (quoted in harness/servers/dialects.py),
and the tests below check that ours says them.
"""

from __future__ import annotations

import ftplib
import io
import re
import socket
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.servers.dialects import DIALECTS, NAT_ADDRESS, dialect_named
from harness.servers.factory import build_server
from harness.servers.local.server import FtpServer
from harness.servers.options import ServerOptions
from harness.servers.spec import ServerSpec
from tests import real_ftp_servers as real
from tests.reply_recorder import PAYLOAD, Exchange, Target, record, sequence
from tests.support import load_module

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ["vsftpd", "proftpd", "pure-ftpd"]
WRONG_PASSWORD = "not-the-password"

_UNIX_LIST = re.compile(r"^[-dl][-rwxsStT]{9}\s+\d+\s+\S+\s+\S+\s+\d+\s+\w{3}\s+\d{1,2}\s+"
                        r"(\d{1,2}:\d\d|\d{4})\s(?P<name>.+)$")
_DOS_LIST = re.compile(r"^\d\d-\d\d-\d\d  \d\d:\d\d[AP]M +(<DIR>|\d+) +(?P<name>.+)$")


def our_server(tmp_path: Path, dialect: str, full_disk: bool) -> FtpServer:
    """Ours, with the folders the real servers get (tests/real_ftp_servers.py)."""
    home = tmp_path / "home"
    (home / real.UPLOAD / real.FULL).mkdir(parents=True)
    (home / real.UPLOAD / "keep-me.txt").write_text("the company's file\n")
    server = FtpServer(home, dialect=dialect_named(dialect), read_only=[real.READ_ONLY],
                       auth_failed_delay=0)
    if full_disk:
        server.set_disk_free(real.FULL_BYTES)
    return server


def replay(host: str, port: int, user: str, password: str, full_disk: bool) -> list[Exchange]:
    commands = sequence("d1", read_only="/" + real.READ_ONLY,
                        full=real.FULL if full_disk else "")
    return record(Target(host, port, user, password), "/" + real.UPLOAD, commands,
                  wrong_password=WRONG_PASSWORD)


def words(line: str, users: tuple[str, ...]) -> str:
    """A reply line with what differs between two runs set aside: digits, the account,
    the unit of a transfer rate (Pure-FTPd's 226)."""
    for user in users:
        line = re.sub(r"\b%s\b" % re.escape(user), "<user>", line)
    line = re.sub(r"\b[KMG]?bytes per second", "bytes per second", line)
    return re.sub(r"\d+", "#", line)


def client_reads(exchange: Exchange) -> dict[str, Any]:
    """What a client takes from the replies and the data: these must be equal."""
    found: dict[str, Any] = {}
    for line in exchange.lines:
        code = line[:3]
        if code == "213":
            found["size"] = line[4:].strip()
        elif code == "257":
            quoted = re.search(r'"(.*)"', line)
            found["path"] = quoted.group(1) if quoted else None
        elif code == "227":
            numbers = re.search(r"\((\d+),(\d+),(\d+),(\d+),", line)
            found["pasv_host"] = numbers.groups() if numbers else None
        elif code == "150" and "bytes)" in line:
            found["announced"] = re.search(r"\((\d+) bytes\)", line).group(1)  # type: ignore
    command = exchange.command.split(" ")[0]
    text = exchange.data.decode("utf-8", "replace").splitlines()
    if command == "NLST":
        found["names"] = text
    elif command == "LIST":
        styles = [("unix" if _UNIX_LIST.match(t) else "dos" if _DOS_LIST.match(t) else t)
                  for t in text]
        names = [m.group("name") for t in text if (m := _UNIX_LIST.match(t) or _DOS_LIST.match(t))]
        found["list"] = (styles, names)
    elif command == "RETR":
        found["data"] = exchange.data
    return found


def differences(theirs: list[Exchange], ours: list[Exchange],
                users: tuple[str, ...]) -> list[str]:
    found = []
    for real_one, our_one in zip(theirs, ours, strict=True):
        what = real_one.command
        real_words = [words(line, users) for line in real_one.lines]
        our_words = [words(line, users) for line in our_one.lines]
        if real_words != our_words:
            found.append("%s: real %r, ours %r" % (what, real_one.lines, our_one.lines))
        elif client_reads(real_one) != client_reads(our_one):
            found.append("%s: a client reads %r from the real server, %r from ours"
                         % (what, client_reads(real_one), client_reads(our_one)))
    return found


# the real servers make a wrong password wait (vsftpd through PAM about 2 s, Pure-FTPd
# about 5 s): a long run of its own (-m real_servers)
@pytest.mark.real_servers
@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", RECORDED)
def test_the_dialect_answers_as_the_real_server_does(kind: str, tmp_path: Path) -> None:
    full_disk = real.no_private_mounts() is None  # else that part is left out of both
    with real.running(kind, full_disk=full_disk) as server:
        theirs = replay("127.0.0.1", server.port, server.user, server.password, full_disk)
        users = (server.user,)
    with our_server(tmp_path, kind, full_disk) as ours:
        mine = replay("127.0.0.1", ours.port, ours.user, ours.password, full_disk)
        users += (ours.user,)
    assert [e.command for e in theirs] == [e.command for e in mine]
    problems = differences(theirs, mine, users)
    assert not problems, "the %s dialect drifted from the real program:\n%s" % (
        kind, "\n".join(problems))
    # the sequence reached what it is about: a full transfer both ways, the 550s
    retr = next(e for e in theirs if e.command.startswith("RETR d1"))
    assert retr.data == PAYLOAD, retr


# -- the copied dialects ---------------------------------------------------------


@pytest.fixture
def speaking(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[FtpServer]:
    with our_server(tmp_path, request.param, full_disk=True) as server:
        yield server


def login(server: FtpServer) -> ftplib.FTP:
    ftp = ftplib.FTP()
    ftp.connect("127.0.0.1", server.port, timeout=10)
    ftp.login(server.user, server.password)
    ftp.cwd("/" + real.UPLOAD)
    return ftp


@pytest.mark.parametrize("speaking", ["iis"], indirect=True)
def test_iis_says_125_lists_in_dos_style_and_explains_550_in_three_lines(
        speaking: FtpServer) -> None:
    ftp = login(speaking)
    try:
        assert ftp.getwelcome() == "220 Microsoft FTP Service"
        assert ftp.sendcmd("SYST") == "215 Windows_NT"
        started = ftp.storbinary("STOR f.bin", io.BytesIO(PAYLOAD))
        assert started == "226 Transfer complete."
        conn = ftp.transfercmd("LIST")
        lines = conn.makefile("rb").read().decode().splitlines()
        conn.close()
        assert ftp.lastresp == "125"
        assert ftp.voidresp() == "226 Transfer complete."
        files = [line for line in lines if line.endswith(" f.bin")]
        assert files and _DOS_LIST.match(files[0]), lines
        assert re.match(r"^\d\d-\d\d-\d\d  \d\d:\d\d[AP]M {17}1029 f\.bin$", files[0]), files
        folder = [line for line in lines if line.endswith(" full")][0]
        assert re.match(r"^\d\d-\d\d-\d\d  \d\d:\d\d[AP]M {7}<DIR> {10}full$", folder), folder
        with pytest.raises(ftplib.error_perm) as missing:
            ftp.sendcmd("CWD nowhere")
        assert str(missing.value).splitlines() == [
            "550-The system cannot find the file specified. ",
            " Win32 error:   The system cannot find the file specified. ",
            " Error details: File system returned an error. ", "550 End"]
    finally:
        ftp.close()


@pytest.mark.parametrize("speaking", ["filezilla"], indirect=True)
def test_filezilla_greets_in_two_lines_answers_size_in_ascii_and_425_on_a_full_disk(
        speaking: FtpServer) -> None:
    ftp = login(speaking)
    try:
        assert ftp.getwelcome().splitlines() == [
            "220-FileZilla Server 1.9.4", "220 Please visit https://filezilla-project.org/"]
        ftp.storbinary("STOR f.bin", io.BytesIO(PAYLOAD))
        ftp.voidcmd("TYPE A")
        assert ftp.sendcmd("SIZE f.bin") == "213 1029"
        ftp.voidcmd("TYPE I")
        # the server closes the data connection on the full disk: with bytes still in
        # flight the client's send meets a reset before it reads the reply, or it does not
        conn = ftp.transfercmd("STOR full/big.bin")
        try:
            conn.sendall(b"x" * 200_000)
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            conn.close()
        with pytest.raises(ftplib.error_temp, match="^425 Error writing to file: No space"):
            ftp.voidresp()
        assert speaking.digest(real.UPLOAD + "/full/big.bin") is None  # not kept
        assert ftp.nlst(real.FULL) == []
        assert ftp.nlst(".") and all(n.startswith("./") for n in ftp.nlst("."))
    finally:
        ftp.close()


def test_nat_names_an_address_nobody_answers(tmp_path: Path) -> None:
    with our_server(tmp_path, "nat", full_disk=False) as server:
        ftp = login(server)
        try:
            host, port = ftplib.parse227(ftp.sendcmd("PASV"))
            assert host == NAT_ADDRESS
            with pytest.raises(ConnectionRefusedError):  # at once, not a timeout
                socket.create_connection((host, port), timeout=5).close()
            ftp.trust_server_pasv_ipv4_address = True  # a client that believes the 227
            with pytest.raises(OSError):
                ftp.nlst()
        finally:
            ftp.close()
        ftp = login(server)  # CPython's default: the control connection's host
        try:
            assert "keep-me.txt" in ftp.nlst()
        finally:
            ftp.close()


def test_an_unknown_dialect_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="no FTP dialect 'wu-ftpd'; known: vsftpd, proftpd, "
                                         "pure-ftpd, iis, filezilla, nat"):
        dialect_named("wu-ftpd")


# -- the bundled ftplib on every dialect (CPython, the module's scripts) ----------

BUNDLED = load_module("dialect_test_bundled_ftplib", ROOT / "device_scripts" / "ftplib.py")


@pytest.fixture
def hil(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = load_module("hil_ftp_dialects", ROOT / "device_scripts" / "hil_ftp.py")
    monkeypatch.setattr(module, "load_ftplib", lambda kind: BUNDLED)
    return module


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_the_bundled_ftplib_copes_with_every_dialect(dialect: str, tmp_path: Path,
                                                     hil: types.ModuleType) -> None:
    local = tmp_path / "up.bin"
    local.write_bytes(PAYLOAD)
    with our_server(tmp_path, dialect, full_disk=True) as server:
        ops = [{"op": "mkd", "arg": "d"}, {"op": "stor", "local": str(local), "remote": "d/f"},
               {"op": "list", "arg": "d"}, {"op": "nlst", "arg": "d"},
               {"op": "retr", "remote": "d/f", "local": str(tmp_path / "back.bin")},
               {"op": "size", "arg": "d/f"}, {"op": "pasv", "on": False},
               {"op": "retr", "remote": "d/f", "local": str(tmp_path / "active.bin"),
                "label": "active"},
               {"op": "cwd", "arg": "nowhere"}, {"op": "noop"}, {"op": "quit"}]
        result = hil.session({"host": "127.0.0.1", "port": server.port, "user": server.user,
                              "password": server.password, "timeout": 10,
                              "cwd": "/" + real.UPLOAD, "ops": ops, "port_host": "127.0.0.1"})
    codes = [op.get("code") for op in result["ops"]]
    assert result["ran"] == len(ops), result
    assert codes[:2] == [257, 226] and codes[4:6] == [226, 213], result
    assert codes[-3:] == [550, 200, 221], result
    assert all(op["ok"] for op in result["ops"][:-3]), result
    assert (tmp_path / "back.bin").read_bytes() == PAYLOAD
    assert (tmp_path / "active.bin").read_bytes() == PAYLOAD
    names = [n.rsplit("/", 1)[-1] for n in result["ops"][3]["lines"]]
    assert [n for n in names if n not in (".", "..")] == ["f"], result["ops"][3]


@pytest.mark.parametrize(("kind", "package"), [("proftpd", "proftpd-basic"),
                                               ("pure-ftpd", "pure-ftpd")])
def test_a_missing_server_names_its_debian_package(kind: str, package: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(real.FTPD_ROOT_ENV, str(tmp_path))  # an empty unpack folder
    monkeypatch.setenv("PATH", str(tmp_path))
    if real.program(kind) is not None:
        pytest.skip("%s is installed in /usr/sbin here" % kind)
    assert "apt-get install %s" % package in str(real.missing(kind))


def test_nat_refuses_a_wildcard_listener(tmp_path: Path) -> None:
    """127.0.0.2 reaches a server listening on every address: the dialect would not bite."""
    with pytest.raises(ValueError, match="names 127.0.0.2 in every 227.*to one address"):
        build_server(ServerSpec("local"), ServerOptions(
            home=tmp_path, dialect="nat", bind="0.0.0.0", public_host="127.0.0.1"))
