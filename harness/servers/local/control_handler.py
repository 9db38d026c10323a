"""A control connection: the transcript, HASH / XSHA256, the connection faults, a dialect.

    213 <hex>                                 XSHA256 <path>
    213 SHA-256 0-<last byte> <hex> <path>    HASH <path>
    421 ...                                   reply_421 / max_connections faults

With a dialect (--ftp-dialect, harness/servers/dialects.py) every reply goes out as that
server words it (dialect_replies.py), and SIZE in TYPE A and NLST behave as it does.
"""

from __future__ import annotations

import math
import os
import posixpath
from typing import Any

from pyftpdlib.handlers import FTPHandler

from harness.servers.local.dialect_replies import ReplyContext, rewrite
from harness.servers.local.owner import HandlerOwner
from harness.servers.local.storage import sha256_file
from harness.servers.local.transcript import MASK

REPLY_TOO_MANY = "421 Too many connections. Service temporarily unavailable."

HASH_COMMANDS = {
    "HASH": dict(
        perm="r",
        auth=True,
        arg=True,
        help="Syntax: HASH <SP> file-name (SHA-256 of a whole file).",
    ),
    "XSHA256": dict(
        perm="r",
        auth=True,
        arg=True,
        help="Syntax: XSHA256 <SP> file-name (SHA-256 of a whole file).",
    ),
}


class ControlHandler(FTPHandler):
    """A control connection: transcript, HASH commands, connection faults."""

    owner: HandlerOwner  # the FtpServer, set on its per-server subclass
    _current_type: str  # pyftpdlib's: "a" or "i"
    _restart_position: int  # pyftpdlib's: the REST offset, 0 when none

    def __init__(self, conn: Any, server: Any, ioloop: Any = None) -> None:
        self.session_id = next(self.owner.session_ids)
        # what a dialect's replies may name: the command answered, how data connects
        self._command, self._arg = "CONNECT", ""
        self._active, self._data_port = False, 0
        self._rest = 0  # the REST offset the transfer being answered starts from
        self._rest_pending = 0  # a REST not yet taken by a transfer
        self._moved = {True: 0, False: 0}  # bytes received / sent on data connections
        super().__init__(conn, server, ioloop)
        self._extra_feats: list[str] = [*self._extra_feats, "HASH SHA-256*", "XSHA256"]

    def note(self, text: str, direction: str = "--") -> None:
        self.owner.transcript_record(self.session_id, direction, text)

    # --- connection admission

    def handle(self) -> None:
        self._command = "CONNECT"  # the greeting
        self.owner.live.add(self)
        self.note(f"connected from {self.remote_ip}:{self.remote_port}")
        refuse = self.owner.faults.get("reply_421")
        if refuse is not None:
            self.respond(f"421 {refuse.params['message']}")
            self.close_when_done()
            return
        limit = self.owner.connection_limit()
        if len(self.owner.admitted) >= limit:
            self.handle_max_cons()
            return
        self.owner.admitted.add(self)
        super().handle()

    def handle_max_cons(self) -> None:
        # stock closes at once, and the 421 may never leave; let it flush first
        self.respond_w_warning(REPLY_TOO_MANY)
        self.close_when_done()

    def close(self) -> None:
        if not self._closed:
            self.owner.live.discard(self)
            self.owner.admitted.discard(self)
            if self.remote_ip:
                self.note("disconnected")
        super().close()

    # --- transcript

    def pre_process_command(self, line: str, cmd: str, arg: str) -> None:
        self.note(f"PASS {MASK}" if cmd == "PASS" else line, "<-")
        # a transfer's replies name the REST offset it starts from (PASV may come between)
        if cmd == "REST":
            self._rest_pending = int(arg) if arg.strip().isdigit() else 0
        elif cmd in ("RETR", "STOR", "APPE"):
            self._rest, self._rest_pending = self._rest_pending, 0
        else:
            self._rest = 0
        self._command, self._arg = cmd, arg
        if cmd in ("PASV", "EPSV"):
            self._active = False
        elif cmd in ("PORT", "EPRT"):
            self._active = True
            numbers = arg.replace("|", ",").split(",")
            self._data_port = _port_of(cmd, numbers)
        super().pre_process_command(line, cmd, arg)

    # --- a dialect

    def respond(self, resp: str, logfun: Any = None) -> None:
        dialect = self.owner.dialect
        if dialect is not None:
            resp = rewrite(dialect, resp, self._reply_context())
        if logfun is None:
            super().respond(resp)
        else:
            super().respond(resp, logfun)

    def _reply_context(self) -> ReplyContext:
        fs = getattr(self, "fs", None)  # None until login
        arg = self._arg
        return ReplyContext(
            command=self._command, arg=arg,
            path=fs.ftpnorm(arg) if fs is not None and arg else arg,
            cwd=fs.cwd if fs is not None else "/", user=self.username or "",
            host=self.socket.getsockname()[0] if self.socket is not None else "",
            port=self.server.address[1], active=self._active, data_port=self._data_port,
            users=len(self.owner.admitted) or 1,
            mode="BINARY" if self._current_type == "i" else "ASCII",
            up=math.ceil(self._moved[True] / 1024), down=math.ceil(self._moved[False] / 1024),
            size=lambda: self._size_of(arg), rest=self._rest,
            count=lambda: self._count_of(arg))

    def _size_of(self, arg: str) -> int:
        try:
            return int(self.fs.getsize(self.fs.ftp2fs(arg)))
        except OSError:
            return 0

    def _count_of(self, arg: str) -> int:
        """Entries a listing of `arg` holds, as the dialect lists them."""
        try:
            path = self.fs.ftp2fs(arg or self.fs.cwd)
            names = self.fs.listdir(path) if self.fs.isdir(path) else [path]
        except OSError:
            return 0
        dialect = self.owner.dialect
        dots = self._command == "NLST" and dialect is not None and dialect.nlst_dots
        return len(names) + (2 if dots else 0)

    def ftp_APPE(self, file: str) -> Any:
        if self._refuses_resume():
            return None
        return super().ftp_APPE(file)

    def ftp_STOR(self, file: str, mode: str = "w") -> Any:
        if self._restart_position and self._refuses_resume():
            return None
        return super().ftp_STOR(file, mode)

    def _refuses_resume(self) -> bool:
        """A dialect whose server takes no APPE, nor a STOR after REST: say so (451)."""
        dialect = self.owner.dialect
        if dialect is None or dialect.appends:
            return False
        self._restart_position = 0
        self.respond("451 Append/Restart not permitted.")
        return True

    def ftp_SIZE(self, path: str) -> None:
        dialect = self.owner.dialect
        if dialect is None or not dialect.size_in_ascii or self._current_type != "a":
            super().ftp_SIZE(path)
            return
        self._current_type = "i"  # a server that answers SIZE in any TYPE
        try:
            super().ftp_SIZE(path)
        finally:
            self._current_type = "a"

    def ftp_NLST(self, path: str) -> Any:
        dialect = self.owner.dialect
        if dialect is None or not (dialect.nlst_prefix or dialect.nlst_dots) \
                or not self.fs.isdir(path):
            return super().ftp_NLST(path)
        try:
            names = sorted(self.run_as_current_user(self.fs.listdir, path))
        except OSError as err:
            self.respond(f"550 {os.strerror(err.errno) if err.errno else err}.")
            return None
        if dialect.nlst_dots:
            names = [".", "..", *names]
        given = self._arg.strip()
        if dialect.nlst_prefix and given and not given.startswith("-"):
            names = [posixpath.join(given, name) for name in names]
        data = "".join(name + "\r\n" for name in names)
        self.push_dtp_data(data.encode(self.encoding, self.unicode_errors), cmd="NLST")
        return path

    def push(self, data: str) -> None:
        for text in data.split("\r\n"):
            if text:
                self.note(text, "->")
        super().push(data)

    def log_transfer(
        self, cmd: str, filename: str, receive: bool, completed: bool, elapsed: float, bytes: int
    ) -> None:
        super().log_transfer(cmd, filename, receive, completed, elapsed, bytes)
        self._moved[receive] += bytes
        state = "complete" if completed else "incomplete"
        name = self.owner.ftp_name(filename)
        self.note(f"{cmd} {name} {state}: {bytes} bytes in {elapsed:.3f} s")

    # --- HASH / XSHA256

    def _hash(self, path: str) -> tuple[str, int] | None:
        """(hex, size) of a file in the home, or None after answering 550."""
        if self.fs.isdir(path):
            self.respond("550 Is a directory.")
            return None
        try:
            # hashing runs in the loop thread; HIL payloads are small enough not to matter
            found: tuple[str, int] = self.run_as_current_user(sha256_file, path)
            return found
        except OSError as err:
            self.respond(f"550 {os.strerror(err.errno) if err.errno else err}.")
            return None

    def ftp_XSHA256(self, path: str) -> str | None:
        found = self._hash(path)
        if found is None:
            return None
        self.respond(f"213 {found[0]}")
        return path

    def ftp_HASH(self, path: str) -> str | None:
        found = self._hash(path)
        if found is None:
            return None
        digest, size = found
        self.respond(f"213 SHA-256 0-{max(size - 1, 0)} {digest} {self.fs.fs2ftp(path)}")
        return path

    def ftp_OPTS(self, line: str) -> None:
        name, _, value = line.strip().partition(" ")
        if name.upper() != "HASH":
            super().ftp_OPTS(line)
        elif value.strip() and value.strip().upper() != "SHA-256":
            self.respond("501 Unsupported hash algorithm; only SHA-256 is available.")
        else:
            self.respond("200 SHA-256")


def _port_of(command: str, parts: list[str]) -> int:
    """The client's data port in a PORT (h1,...,p1,p2) or EPRT (|1|host|port|) argument."""
    try:
        if command == "PORT":
            return int(parts[4]) * 256 + int(parts[5])
        return int([p for p in parts if p][-1])
    except (IndexError, ValueError):
        return 0
