"""One direction of one connection across the link: bytes from one socket to another, late.

A thread reads what the sender wrote, asks the Radio when it arrives, and writes it
to the receiver then; a FIN arrives after the last byte, a reset as a reset. At most
a window of bytes is in flight: beyond it the pipe stops reading, the sockets' small
buffers fill and the sender's send blocks, as TCP's window makes it on a slow link.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
from collections import deque
from collections.abc import Callable

from .radio import Radio

SMALL_BUFFER = 16384  # socket buffers on the relay's side: the window, not the kernel, decides
_EOF = b""
_RESET = None


def small_buffers(sock: socket.socket) -> None:
    """Keep the kernel from holding what the link has not carried yet."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_BUFFER)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL_BUFFER)


def reset(sock: socket.socket) -> None:
    """Close with a RST, as a peer that aborted does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class Pipe:
    def __init__(self, radio: Radio, direction: str, src: socket.socket, dst: socket.socket,
                 stopped: threading.Event, done: Callable[[bool], None]) -> None:
        self.radio = radio
        self.direction = direction
        self.src = src
        self.dst = dst
        self.stopped = stopped  # set when the connection is torn down
        self.done = done  # called once: True after a clean FIN, False after a failure
        self.chunk = radio.chunk(direction)
        self.window = radio.window(direction)

    def start(self) -> None:
        threading.Thread(target=self._run, name="link-" + self.direction, daemon=True).start()

    def _run(self) -> None:
        try:
            clean = self._move()
        except (OSError, ValueError):  # a socket closed under us (ValueError: select on fd -1)
            clean = False
        self.done(clean)

    def _move(self) -> bool:
        clock = self.radio.clock
        flight: deque[tuple[float, bytes | None]] = deque()
        queued = 0
        last = 0.0  # a connection's bytes arrive in order, jitter or not
        ended = False
        while not self.stopped.is_set():
            now = clock()
            while flight and flight[0][0] <= now:
                _, data = flight.popleft()
                if data is _RESET:
                    reset(self.dst)
                    return False
                if data == _EOF:
                    self.dst.shutdown(socket.SHUT_WR)
                    return True
                self.dst.sendall(data)  # blocks while the receiver does not read
                queued -= len(data)
            wait = max(0.0, flight[0][0] - clock()) if flight else None
            if ended or queued >= self.window:
                self.stopped.wait(wait if wait is not None else 0.5)
                continue
            readable, _, _ = select.select([self.src], [], [], wait if wait is not None else 0.5)
            if not readable:
                continue
            try:
                data = self.src.recv(self.chunk)
            except ConnectionError:
                data = _RESET  # the sender aborted: the receiver hears a reset
            arrive = max(last, self.radio.arrival(self.direction, len(data) if data else 0))
            last = arrive
            flight.append((arrive, data))
            if data:
                queued += len(data)
            else:
                ended = True
        return False
