"""A control connection: the transcript, HASH / XSHA256, and the connection faults.

    213 <hex>                                 XSHA256 <path>
    213 SHA-256 0-<last byte> <hex> <path>    HASH <path>
    421 ...                                   reply_421 / max_connections faults
"""

from __future__ import annotations

import os
from typing import Any

from pyftpdlib.handlers import FTPHandler

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

    def __init__(self, conn: Any, server: Any, ioloop: Any = None) -> None:
        self.session_id = next(self.owner.session_ids)
        super().__init__(conn, server, ioloop)
        self._extra_feats: list[str] = [*self._extra_feats, "HASH SHA-256*", "XSHA256"]

    def note(self, text: str, direction: str = "--") -> None:
        self.owner.transcript_record(self.session_id, direction, text)

    # --- connection admission

    def handle(self) -> None:
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
        super().pre_process_command(line, cmd, arg)

    def push(self, data: str) -> None:
        for text in data.split("\r\n"):
            if text:
                self.note(text, "->")
        super().push(data)

    def log_transfer(
        self, cmd: str, filename: str, receive: bool, completed: bool, elapsed: float, bytes: int
    ) -> None:
        super().log_transfer(cmd, filename, receive, completed, elapsed, bytes)
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
