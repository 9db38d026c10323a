"""A fixed FTP command sequence, and every reply line a server gives to it.

The client is a raw one (a socket and readline): each reply is kept as the exact lines
the server sent, so a multi-line reply stays multi-line. tests/test_dialects.py runs the
sequence against a real server and against our server speaking its dialect and
compares the two.

    replies = record(Target("127.0.0.1", 2121, "user", "secret"), "/upload", sequence())
    replies[0] == Exchange("(greeting)", ["220 (vsFTPd 3.0.3)"])
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

TIMEOUT = 10.0
PAYLOAD = b"0123456789abcdef" * 64 + b"tail\n"  # 1029 bytes: one STOR / RETR
BIG = b"x" * 200_000  # STOR of a name with "big" in it: more than a full disk takes
TEXT = b"one\r\ntwo\nthree\r\n"  # STOR of a .txt: both line ends, for TYPE A
MISSING = "no-such-file.bin"


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    user: str
    password: str


@dataclass
class Exchange:
    """One command (or the greeting) and the reply lines: a 1xx, then the final reply."""

    command: str
    lines: list[str] = field(default_factory=list)
    data: bytes = b""  # what came over the data connection (RETR, LIST, NLST)

    @property
    def codes(self) -> list[str]:
        """The code of each reply: '150', '226' for a transfer."""
        return [line[:3] for line in self.lines if line[3:4] == " " and line[:3].isdigit()]


def sequence(folder: str, read_only: str = "", full: str = "") -> list[str]:
    """The commands, in order; one that needs a data connection is marked '+' (passive:
    PASV first) or '-' (active: PORT first).

    `folder` is a fresh writable folder name, `read_only` a folder the user cannot write
    in, `full` one on a disk with 64 KiB free ('' leaves either part out).
    """
    f = folder + "/f.bin"
    g = folder + "/g.bin"
    t = folder + "/t.txt"
    steps = ["SYST", "PWD", "TYPE I", "MKD " + folder, "CWD " + folder, "PWD", "CDUP",
             "+STOR " + f, "SIZE " + f, "TYPE A", "SIZE " + f, "TYPE I", "+RETR " + f,
             # resumed transfers: a download from an offset, an append (ProFTPD refuses it)
             "REST 1000", "+RETR " + f, "+APPE " + f, "SIZE " + f,
             # text mode both ways: what is stored (seen in TYPE I), what is sent in TYPE A
             "TYPE A", "+STOR " + t, "TYPE I", "+RETR " + t, "TYPE A", "+RETR " + t,
             "TYPE I", "DELE " + t,
             "+LIST " + folder, "+NLST " + folder, "-LIST " + folder, "RNFR " + f, "RNTO " + g,
             "+RETR " + MISSING, "SIZE " + MISSING, "DELE " + MISSING, "CWD " + MISSING,
             "RMD " + MISSING, "RMD " + folder]
    if read_only:
        steps.append("+STOR %s/x.bin" % read_only)
    steps += ["DELE " + g, "RMD " + folder]
    if full:
        big = full + "/big.bin"
        steps += ["+STOR " + big, "SIZE " + big, "DELE " + big]
    steps += ["NOOP", "QUIT"]
    return steps


class _Client:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.sock = socket.create_connection((target.host, target.port), timeout=TIMEOUT)
        self.file = self.sock.makefile("rb")

    def reply(self) -> list[str]:
        """One reply, every line of it."""
        first = self._line()
        lines = [first]
        if first[3:4] == "-":
            while True:
                line = self._line()
                lines.append(line)
                if line[:3] == first[:3] and line[3:4] == " ":
                    break
        return lines

    def _line(self) -> str:
        raw = self.file.readline(8192)
        if not raw:
            raise EOFError("the server closed the control connection")
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    def send(self, command: str) -> list[str]:
        self.sock.sendall(command.encode() + b"\r\n")
        return self.reply()

    def pasv_address(self, reply: str) -> tuple[str, int]:
        inner = reply[reply.index("(") + 1:reply.index(")")]
        numbers = [int(n) for n in inner.split(",")]
        # the control connection's host: a 227 may name an address nobody can reach
        return self.target.host, numbers[4] * 256 + numbers[5]

    def transfer(self, command: str) -> Exchange:
        """PASV, the data connection, the command, its 1xx, the data, the final reply."""
        pasv = self.send("PASV")
        exchange = Exchange(command)
        if not pasv[-1].startswith("227"):
            exchange.lines = pasv
            return exchange
        exchange.lines = list(pasv)
        with socket.create_connection(self.pasv_address(pasv[-1]), timeout=TIMEOUT) as data:
            exchange.lines += self.send(command)
            if not exchange.lines[-1].startswith("1"):
                return exchange
            exchange.data = _move(data, command)
        exchange.lines += self.reply()
        return exchange

    def active(self, command: str) -> Exchange:
        """PORT to a listener of ours, the command, the server's connection, the final reply."""
        exchange = Exchange(command)
        with socket.create_server((self.target.host, 0)) as listener:
            listener.settimeout(TIMEOUT)
            port = listener.getsockname()[1]
            numbers = self.target.host.split(".") + [str(port >> 8), str(port & 255)]
            exchange.lines = self.send("PORT " + ",".join(numbers))
            if not exchange.lines[-1].startswith("200"):
                return exchange
            exchange.lines += self.send(command)
            if not exchange.lines[-1].startswith("1"):
                return exchange
            data, _ = listener.accept()
            with data:
                data.settimeout(TIMEOUT)
                exchange.data = _move(data, command)
        exchange.lines += self.reply()
        return exchange

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def record(target: Target, start: str, commands: list[str],
           wrong_password: str = "") -> list[Exchange]:
    """Log in (after one wrong password, if given), CWD to `start`, run the commands."""
    client = _Client(target)
    try:
        found = [Exchange("(greeting)", client.reply())]
        found.append(Exchange("USER", client.send("USER " + target.user)))
        if wrong_password:
            found.append(Exchange("PASS (wrong)", client.send("PASS " + wrong_password)))
            found.append(Exchange("USER", client.send("USER " + target.user)))
        found.append(Exchange("PASS", client.send("PASS " + target.password)))
        client.send("CWD " + start)
        for command in commands:
            if command.startswith("+"):
                found.append(client.transfer(command[1:]))
            elif command.startswith("-"):
                found.append(client.active(command[1:]))
            else:
                found.append(Exchange(command, client.send(command)))
        return found
    finally:
        client.close()



def _move(sock: socket.socket, command: str) -> bytes:
    """Send a STOR's payload, or read what the server sends; a server that gives up
    (a full disk) may reset the connection: its reply says why."""
    received = bytearray()
    try:
        if command.startswith(("STOR", "APPE")):
            sock.sendall(BIG if "big" in command else TEXT if ".txt" in command else PAYLOAD)
            sock.shutdown(socket.SHUT_WR)
        while chunk := sock.recv(65536):
            received += chunk
    except OSError:
        pass
    return bytes(received)
