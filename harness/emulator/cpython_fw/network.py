"""The virtual module's cellular network: attached or not, and what that does to its sockets.

net.setModemFun, dataCall.getInfo and checkNet read and change it; the module's sockets
(fw_usocket.py, and host_sockets.py under CPython's ftplib) consult it before each
operation. What it does is firmware_surface.NETWORK_LOSS, fact by fact:

    setModemFun(0) / (4)  the network goes at once: every connected TCP socket is aborted;
                          its next recv or send raises ECONNABORTED, later ones ENOTCONN;
                          a new connect raises EHOSTUNREACH; getInfo reads 0 / '0.0.0.0'
    setModemFun(1)        returns 0 at once; registration and the data call come back
                          `reattach_s` later (ModuleConfig.reattach_ms)

The server hears nothing of an aborted connection while the module is away (its RST goes
out on an interface that is going): the host socket stays open, unread and unwritten.
When the module is back the dead connections are reset, what the module's lwIP answers to
a segment of a connection it no longer has; a real server may hear it only at its own
timeout. Data the device had not read yet when the network went is lost, as data in
flight is (lwIP would still hand over what it had queued: the host's buffers stand for
the network here). mpy/fw_netstate.py is the micropython engine's.
"""

from __future__ import annotations

import socket as host_socket
import struct
import sys
import threading
import time
import weakref
from collections.abc import Callable

from ..firmware_surface import ECONNABORTED, EHOSTUNREACH, ENOTCONN_AFTER_ABORT

FULL, MINIMUM, AIRPLANE = 1, 0, 4  # net.setModemFun levels the module acts on
# struct linger with l_onoff=1, l_linger=0: close() sends a RST. Winsock's fields are
# u_short, POSIX's int
RESET_ON_CLOSE = struct.pack("HH" if sys.platform == "win32" else "ii", 1, 0)
REGISTERED, NOT_REGISTERED, SEARCHING = 1, 0, 2  # net.getState()[1][0], 3GPP CGREG stat


class NetworkState:
    """One module's network, shared by its net, dial, checkNet and socket modules."""

    def __init__(self, reattach_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.reattach_s = reattach_s
        self._clock = clock
        self._lock = threading.RLock()
        self.modem_fun = FULL
        self._up = True
        self._back_at: float | None = None  # when a re-attach under way completes
        self._connected: weakref.WeakSet[host_socket.socket] = weakref.WeakSet()
        # aborted connections -> whether their ECONNABORTED was raised yet
        self._aborted: weakref.WeakKeyDictionary[host_socket.socket, bool] = \
            weakref.WeakKeyDictionary()
        self._stranded: list[host_socket.socket] = []  # held open until the module is back

    # -- the modem ----------------------------------------------------------------

    def set_modem_fun(self, level: int) -> int:
        """net.setModemFun(level): 0 done, -1 a level the module does not take."""
        with self._lock:
            if level in (MINIMUM, AIRPLANE):
                self.modem_fun = level
                self._back_at = None
                if self._up:
                    self._up = False
                    self._abort_connections()
                return 0
            if level == FULL:
                if self.modem_fun != FULL:
                    self.modem_fun = FULL
                    self._back_at = self._clock() + self.reattach_s
                self._settle()
                return 0
            return -1

    @property
    def up(self) -> bool:
        """Registered, with the data call up."""
        with self._lock:
            self._settle()
            return self._up

    def registration(self) -> int:
        """The data registration status net.getState() reports."""
        with self._lock:
            self._settle()
            if self._up:
                return REGISTERED
            return SEARCHING if self._back_at is not None else NOT_REGISTERED

    def wait_up(self, timeout: float) -> bool:
        """Up within `timeout` seconds? (checkNet's wait; it polls, this sleeps the span)"""
        with self._lock:
            self._settle()
            if self._up:
                return True
            back_at = self._back_at
        end = self._clock() + timeout
        if back_at is None or back_at > end:
            time.sleep(max(0.0, end - self._clock()))  # the module would poll this long
            return self.up
        time.sleep(max(0.0, back_at - self._clock()))
        return self.up

    def _settle(self) -> None:
        if self._back_at is not None and self._clock() >= self._back_at:
            self._back_at = None
            self._up = True
            self._reset_stranded()

    # -- sockets --------------------------------------------------------------------

    def connected(self, sock: host_socket.socket) -> None:
        """A TCP connection the module now holds (after connect or accept)."""
        with self._lock:
            self._connected.add(sock)

    def check(self, sock: host_socket.socket, operation: str) -> None:
        """Raise the firmware's OSError for `operation` on `sock`, if the network says so."""
        with self._lock:
            self._settle()
            reported = self._aborted.get(sock)
            if reported is not None:
                self._aborted[sock] = True
                raise OSError(ENOTCONN_AFTER_ABORT if reported else ECONNABORTED)
            if operation == "connect" and not self._up:
                raise OSError(EHOSTUNREACH)

    def keep_open(self, sock: host_socket.socket) -> bool:
        """True for an aborted connection not yet reset: its close must not reach the
        server as a FIN (the host socket stays open until the module is back)."""
        with self._lock:
            return any(held is sock for held in self._stranded)

    def _abort_connections(self) -> None:
        for sock in list(self._connected):
            if sock.fileno() != -1:
                self._aborted[sock] = False
                self._stranded.append(sock)
        self._connected = weakref.WeakSet()

    def _reset_stranded(self) -> None:
        stranded, self._stranded = self._stranded, []
        for sock in stranded:
            try:
                # a RST, not a FIN: the server must not take a cut upload for a whole one
                sock.setsockopt(host_socket.SOL_SOCKET, host_socket.SO_LINGER, RESET_ON_CLOSE)
            except OSError:
                pass
            host_socket.socket.close(sock)
