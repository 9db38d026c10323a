"""How an RFC 2217 exporter says "busy", and how the harness hears it.

The exporter (harness/ports/exporter.py) serves one client per module. It refuses
a second with one line of text, then closes. pyserial's rfc2217:// client
cannot show that line (it only sees a failed negotiation), so after a failed
open the harness connects once more, briefly, and reads the line itself.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

REFUSAL_PREFIX = "qpy-ftp-hil exporter: busy: "
# seconds to wait for the exporter's line: it first waits up to its HANDOVER
# (2 s, harness/ports/exporter.py) for a client that may be leaving, so the peek must
# wait longer than that; at 2.0 s a loaded PC heard nothing and called a busy
# module "not found"
PEEK_TIMEOUT = 6.0
_PREFIX = REFUSAL_PREFIX.encode()


def refusal_line(port: str, holder: str) -> bytes:
    """What a refused client reads before the exporter closes the connection."""
    return ("%s%s is in use by %s; one client at a time\r\n"
            % (REFUSAL_PREFIX, port, holder)).encode()


@dataclass(frozen=True)
class Peek:
    """What an rfc2217:// URL answered a brief connection."""

    busy: str | None = None  # the exporter's busy line, without its prefix
    free: bool = False  # it answered as a free RFC 2217 server (telnet options)


def exporter_refusal(url: str, timeout: float = PEEK_TIMEOUT) -> str | None:
    """The exporter's busy line for an rfc2217:// URL, or None (not busy, not ours,
    not an rfc2217:// URL, or nothing answers)."""
    return peek(url, timeout).busy


def peek(url: str, timeout: float = PEEK_TIMEOUT) -> Peek:
    """Connect once, briefly, and read what the server says first."""
    if not url.lower().startswith("rfc2217://"):
        return Peek()
    parts = urlsplit(url)
    if not parts.hostname or not parts.port:
        return Peek()
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
            data = b""
            while b"\n" not in data and len(data) < 512:
                chunk = sock.recv(512)
                if not chunk:
                    break
                data += chunk
                if not data.startswith(_PREFIX[:len(data)]) and not data.startswith(_PREFIX):
                    break  # telnet options: a free exporter, or another RFC 2217 server
    except OSError:
        return Peek()
    text = data.decode("utf-8", "replace")
    if not text.startswith(REFUSAL_PREFIX):
        # a free exporter (or another server) answered with telnet options
        return Peek(free=data.startswith(b"\xff"))
    return Peek(busy=text[len(REFUSAL_PREFIX):].strip())
