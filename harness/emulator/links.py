"""The wire between the host and the virtual module.

On POSIX the module sits on the master side of a pseudo-terminal and the host
opens the slave (`/dev/pts/N`) with pyserial, exactly as it opens a USB port.
Where there are no pseudo-terminals (Windows), the module listens on a TCP
port and the host opens `socket://127.0.0.1:PORT`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Protocol


class Link(Protocol):
    port: str

    def read(self) -> bytes:
        """Block until bytes arrive; b'' only when the link is gone for good."""

    def write(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class PtyLink:
    def __init__(self) -> None:
        import tty

        self._master, self._slave = os.openpty()
        # raw line discipline: no echo, no CR/LF translation, every byte as sent
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        self._write_lock = threading.Lock()

    def read(self) -> bytes:
        try:
            return os.read(self._master, 4096)
        except OSError:
            return b""

    def write(self, data: bytes) -> None:
        with self._write_lock:
            view = memoryview(data)
            while view:
                written = os.write(self._master, view)
                view = view[written:]

    def close(self) -> None:
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


class SocketLink:
    """One host at a time on a TCP port; a new connection replaces the old one."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = socket.create_server((host, port))
        bound_host, bound_port = self._server.getsockname()[:2]
        self.port = "socket://%s:%d" % (bound_host, bound_port)
        self._conn: socket.socket | None = None
        self._write_lock = threading.Lock()
        self._closed = False

    def read(self) -> bytes:
        while not self._closed:
            if self._conn is None:
                try:
                    self._conn, _ = self._server.accept()
                except OSError:
                    return b""
            try:
                data = self._conn.recv(4096)
            except OSError:
                data = b""
            if data:
                return data
            self._conn.close()  # host went away: wait for the next one
            self._conn = None
        return b""

    def write(self, data: bytes) -> None:
        with self._write_lock:
            if self._conn is None:
                return  # nobody listening: a USB CDC port drops output too
            try:
                self._conn.sendall(data)
            except OSError:
                pass

    def close(self) -> None:
        self._closed = True
        for sock in (self._conn, self._server):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass


class RateLimitedLink:
    """A UART-like line: at most `bytes_per_second` in each direction."""

    def __init__(self, inner: Link, bytes_per_second: int) -> None:
        self._inner = inner
        self._rate = bytes_per_second
        self.port = inner.port
        self._next_write = time.monotonic()
        self._next_read = time.monotonic()

    def _pace(self, attr: str, size: int) -> None:
        due = getattr(self, attr)
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)  # the line is busy: this is the emulated wire time
        setattr(self, attr, max(due, now) + size / self._rate)

    def read(self) -> bytes:
        data = self._inner.read()
        self._pace("_next_read", len(data))
        return data

    def write(self, data: bytes) -> None:
        for start in range(0, len(data), 64):
            chunk = data[start:start + 64]
            self._pace("_next_write", len(chunk))
            self._inner.write(chunk)

    def close(self) -> None:
        self._inner.close()
