"""Loopback ports for tests that start real servers (sshd, vsftpd, ser2net)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_range(count: int = 8) -> range:
    """`count` consecutive ports that are free right now."""
    for _ in range(50):
        base = free_port()
        if base + count > 65535:
            continue
        held: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                held.append(socket.socket())
                held[-1].bind(("127.0.0.1", port))
            return range(base, base + count)
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise AssertionError("no %d consecutive free ports on 127.0.0.1" % count)


def accepts(port: int) -> bool:
    """True if something listens on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False
