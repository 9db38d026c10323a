"""The carrier between the virtual module and the world: its NAT and its radio link.

A relay in the emulator's process, on a loopback port only the module's usocket knows
(NetworkPlan.relay). Both engines speak to it the same way, one line per request:

    C <host> <port>   connect out, from the address the server is to see (NAT: the
                      carrier's); answer "0", or the errno the connect failed with
    B <host> <port>   bind a listening socket where the module's bind would land
                      (NetworkPlan.host_for_bind); answer "0 <port>" or an errno. The
                      connection stays open as the listener's control line:
    L <backlog>       listen; answer "0". Then, per connection the server makes to it,
                      "A <id> <host> <port>" comes down that line
    J <id>            on a new connection: this is the module's accept() of <id>;
                      answer "0", then the bytes flow

Every byte crosses the radio (radio.py) each way, through a Pipe (pipe.py); a connect
costs a round trip, an incoming connection half of one. Profile `none` with NAT only
relays, without delay.
"""

from __future__ import annotations

import errno
import itertools
import select
import socket
import threading
import time
from collections.abc import Callable

from harness.link_profiles import LinkProfile

from .netplan import HOST, NetworkPlan
from .pipe import Pipe, reset, small_buffers
from .radio import DOWN, UP, Radio

LINE_LIMIT = 200
HANDSHAKE_TIMEOUT = 10.0  # s for the module's request line: it writes it at once
CONNECT_TIMEOUT = 30.0  # s for a connect out (everything is on the loopback: refused fast)


class Carrier:
    def __init__(self, plan: NetworkPlan, profile: LinkProfile,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.plan = plan
        self.radio = Radio(profile, clock)
        self._stopped = threading.Event()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._waiting: dict[int, socket.socket] = {}  # accepted, not yet joined by the module
        self._server = socket.create_server((HOST, 0))
        small_buffers(self._server)  # inherited by what it accepts

    @property
    def address(self) -> tuple[str, int]:
        return self._server.getsockname()[:2]

    def start(self) -> Carrier:
        threading.Thread(target=self._serve, name="carrier", daemon=True).start()
        return self

    def close(self) -> None:
        self._stopped.set()
        self._server.close()
        with self._lock:
            for sock in self._waiting.values():
                sock.close()
            self._waiting.clear()

    # -- the relay's own socket -------------------------------------------------

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._handle, args=(conn,), name="carrier-request",
                             daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(HANDSHAKE_TIMEOUT)
            words = read_line(conn).split()
            conn.settimeout(None)
            if words[:1] == ["C"] and len(words) == 3:
                self._connect(conn, words[1], int(words[2]))
            elif words[:1] == ["B"] and len(words) == 3:
                self._listener(conn, words[1], int(words[2]))
            elif words[:1] == ["J"] and len(words) == 2:
                self._join(conn, int(words[1]))
            else:
                conn.close()
        except (OSError, ValueError):
            conn.close()

    def _at(self, moment: float) -> None:
        """Wait until the radio's moment (the link's own delay, not a race)."""
        self._stopped.wait(max(0.0, moment - self.radio.clock()))

    # -- C: the module connects out ----------------------------------------------

    def _connect(self, conn: socket.socket, host: str, port: int) -> None:
        self._at(self.radio.arrival(UP, 0))  # the SYN crosses the link
        out = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        small_buffers(out)
        out.settimeout(CONNECT_TIMEOUT)
        try:
            out.bind((self.plan.source, 0))  # what the server sees: the module, or the NAT
            out.connect((host, port))
        except OSError as exc:
            out.close()
            self._at(self.radio.arrival(DOWN, 0))
            code = exc.errno or (errno.ETIMEDOUT if isinstance(exc, TimeoutError)
                                 else errno.ECONNREFUSED)
            conn.sendall(b"%d\n" % code)
            conn.close()
            return
        out.settimeout(None)
        self._at(self.radio.arrival(DOWN, 0))  # and the SYN-ACK comes back
        conn.sendall(b"0\n")
        self._relay(module=conn, world=out)

    # -- B / L / A: the module listens -------------------------------------------

    def _listener(self, ctl: socket.socket, host: str, port: int) -> None:
        lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        small_buffers(lst)
        try:
            lst.bind((self.plan.host_for_bind(host), port))
        except OSError as exc:
            lst.close()
            ctl.sendall(b"%d\n" % (exc.errno or errno.EADDRINUSE))
            ctl.close()
            return
        ctl.sendall(b"0 %d\n" % lst.getsockname()[1])
        try:
            words = read_line(ctl).split()
            if words[:1] != ["L"]:
                return
            lst.listen(max(1, int(words[1])) if len(words) > 1 else 1)
            ctl.sendall(b"0\n")
            self._announce(ctl, lst)
        finally:
            lst.close()
            ctl.close()

    def _announce(self, ctl: socket.socket, lst: socket.socket) -> None:
        """Each connection made to the listener goes down the control line, until the
        module closes the listener (its end of the line)."""
        while not self._stopped.is_set():
            readable, _, _ = select.select([ctl, lst], [], [], 1.0)
            if ctl in readable:
                return  # the module closed its listening socket (or wrote past L)
            if lst in readable:
                world, peer = lst.accept()
                ident = next(self._ids)
                with self._lock:
                    self._waiting[ident] = world
                self._at(self.radio.arrival(DOWN, 0))  # the SYN reaches the module
                ctl.sendall(b"A %d %s %d\n" % (ident, peer[0].encode(), peer[1]))

    def _join(self, conn: socket.socket, ident: int) -> None:
        with self._lock:
            world = self._waiting.pop(ident, None)
        if world is None:
            conn.sendall(b"%d\n" % errno.ECONNABORTED)
            conn.close()
            return
        conn.sendall(b"0\n")
        self._relay(module=conn, world=world)

    # -- the bytes ----------------------------------------------------------------

    def _relay(self, module: socket.socket, world: socket.socket) -> None:
        stopped = threading.Event()
        ends: list[bool] = []
        lock = threading.Lock()

        def done(clean: bool) -> None:
            with lock:
                ends.append(clean)
                finished = len(ends) == 2 or not clean
            if finished:
                stopped.set()
                for sock in (module, world):
                    if clean:
                        sock.close()
                    else:
                        reset(sock)  # one side failed: the other hears a reset

        Pipe(self.radio, UP, module, world, stopped, done).start()
        Pipe(self.radio, DOWN, world, module, stopped, done).start()


def read_line(sock: socket.socket) -> str:
    """One request or answer line of the relay's protocol (ASCII, up to LINE_LIMIT)."""
    line = bytearray()
    while not line.endswith(b"\n"):
        byte = sock.recv(1)
        if not byte or len(line) > LINE_LIMIT:
            raise OSError(errno.ECONNABORTED, "the relay line ended early")
        line += byte
    return line.decode("ascii").strip()
