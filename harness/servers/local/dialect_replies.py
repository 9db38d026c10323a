"""pyftpdlib's replies turned into a dialect's (harness/servers/dialects.py), one by one.

The control handler knows the command being answered; this module finds the dialect's
reply for it and fills in its fields. A reply the dialect has no line for goes out as
pyftpdlib wrote it.

    rewrite(VSFTPD, "550 No such file or directory.", ReplyContext(command="RETR", ...))
    -> "550 Failed to open file."
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness.servers.dialects import Dialect

_PASV = re.compile(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)")
# pyftpdlib's words -> the system's, as the real servers print them
_REASONS = {"not enough privileges": "Permission denied"}


@dataclass
class ReplyContext:
    """What the control handler knows when it answers."""

    command: str  # CONNECT for the greeting
    arg: str = ""
    path: str = ""  # arg as an absolute FTP path
    cwd: str = "/"
    user: str = ""
    host: str = ""
    port: int = 0
    active: bool = False  # the data connection comes from PORT, not PASV
    data_port: int = 0
    users: int = 1
    mode: str = "BINARY"
    up: int = 0  # kbytes
    down: int = 0
    size: Callable[[], int] = lambda: 0  # the file's size, asked only when a reply names it
    rest: int = 0  # the REST offset the transfer answered starts from
    count: Callable[[], int] = lambda: 0  # entries a listing holds


def situation(code: int, text: str, ascii: bool = False) -> str:
    """Which case of a code pyftpdlib's text describes ('' when it is the only one);
    ascii: the session is in TYPE A."""
    low = text.lower()
    if code == 226 and ascii:
        return "ascii"
    if code == 550:
        if "ascii mode" in low:
            return "ascii"
        if "privileges" in low or "permission" in low:
            return "perm"
        if "not empty" in low:
            return "notempty"
        if "no such file" in low or "not retrievable" in low:
            return "missing"
    return ""


def why(text: str) -> str:
    """The reason in pyftpdlib's '550 No such file or directory.' ('No such file ...')."""
    reason = text[4:].strip().rstrip(".")
    if reason.lower().endswith("is not retrievable"):
        return "No such file or directory"
    return _REASONS.get(reason.lower(), reason)


def find(dialect: Dialect, command: str, code: int, text: str, active: bool,
         ascii: bool = False) -> str | None:
    """The dialect's template for this reply, or None: the command's own line for the
    situation, then for the code, then the same for any command ("*")."""
    if code in (125, 150):
        number, case = "1xx", ("active" if active else "passive")
    else:
        number, case = str(code), situation(code, text, ascii)
    for name in (command, "*"):
        keys = (["%s %s:%s" % (name, number, case)] if case else []) + \
            ["%s %s" % (name, number)]
        for key in keys:
            if key in dialect.replies:
                return dialect.replies[key]
    return None


def rewrite(dialect: Dialect, reply: str, ctx: ReplyContext) -> str:
    """The reply `dialect` gives where pyftpdlib said `reply` (lines joined by CRLF)."""
    if len(reply) < 3 or not reply[:3].isdigit():
        return reply
    code = int(reply[:3])
    command = ctx.command
    if command == "TYPE":
        command = "TYPE %s" % (ctx.arg.strip()[:1].upper() or "A")
    template = find(dialect, command, code, reply, ctx.active, ctx.mode == "ASCII")
    fields = _fields(ctx, reply)
    if code == 227 and dialect.pasv_host is not None:
        fields.update(_named(("h1", "h2", "h3", "h4"), dialect.pasv_host.split(".")))
        if template is None:  # pyftpdlib's words, another address
            template = _PASV.sub("({h1},{h2},{h3},{h4},{p1},{p2})", reply)
    if template is None:
        return reply
    if "{size}" in template or "{left}" in template:
        size = ctx.size()
        fields.update(size=str(size), left=str(max(size - ctx.rest, 0)))
    if "{count}" in template:
        fields["count"] = str(ctx.count())
    return template.format_map(fields).replace("\n", "\r\n")


def _fields(ctx: ReplyContext, reply: str) -> dict[str, str]:
    fields = {"arg": ctx.arg, "path": ctx.path, "cwd": ctx.cwd, "user": ctx.user,
              "host": ctx.host, "port": str(ctx.port), "data_port": str(ctx.data_port),
              "users": str(ctx.users), "mode": ctx.mode, "up": str(ctx.up),
              "down": str(ctx.down), "why": why(reply), "time": time.strftime("%H:%M")}
    found = _PASV.search(reply)
    if found:
        fields.update(_named(("h1", "h2", "h3", "h4", "p1", "p2"), found.groups()))
    return fields


def _named(names: tuple[str, ...], values: Sequence[str]) -> dict[str, str]:
    # no zip(strict=...): the ssh:// agent runs this module on Python 3.8
    return {name: values[index] for index, name in enumerate(names)}
