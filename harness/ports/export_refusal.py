"""How an RFC 2217 exporter says "busy", and how the harness hears it.

The exporter (harness/ports/exporter.py) serves one client per module. It refuses
a second with one line of text, then closes. pyserial's rfc2217:// client
cannot show that line (it only sees a failed negotiation), so after a failed
open the harness connects once more, briefly, and reads the line itself.
"""

from __future__ import annotations

import socket
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


def exporter_refusal(url: str, timeout: float = PEEK_TIMEOUT) -> str | None:
    """The exporter's busy line for an rfc2217:// URL, or None (not busy, not ours,
    not an rfc2217:// URL, or nothing answers)."""
    if not url.lower().startswith("rfc2217://"):
        return None
    parts = urlsplit(url)
    if not parts.hostname or not parts.port:
        return None
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
        return None
    text = data.decode("utf-8", "replace")
    if not text.startswith(REFUSAL_PREFIX):
        return None  # a free exporter (or another server) answered with telnet options
    return text[len(REFUSAL_PREFIX):].strip()
