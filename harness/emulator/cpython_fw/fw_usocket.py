"""usocket as the firmware offers it, over CPython's socket (mpy/fw_usocket.py is the
micropython engine's).

Surface: firmware_surface.py (modsocket.c): no getsockname, getpeername, shutdown or
gettimeout. Behaviour from the notes on modsocket.c: recv at the peer's FIN raises
OSError(ENOTCONN=107) (modsocket.c:747-757); read(n) returns what it has instead
(py/stream.c:203-207); readline/readinto raise it; makefile returns the socket itself
(modsocket.c:913-917); getaddrinfo answers [] for an unknown host (:1110). Timeouts are
OSError(110).
"""

from __future__ import annotations

import errno
import socket as host_socket
import types
from typing import Any

from ..cpython_surface import (
    FirmwareObject,
    FirmwareType,
    arity_message,
    build_module,
    firmware_type,
)
from ..netplan import NetworkPlan
from .net_path import NetPath
from .network import NetworkState

ENOTCONN = 107  # MicroPython's own errno numbers (MICROPY_USE_INTERNAL_ERRNO=1)
_SOCKET_POLL = 4096
# values from lwIP's headers (the Helios SDK, not in the tree the notes read)
_IPPROTO_IP = 0
_TCP_KEEPALIVE = 0x02
_IP_ADD_MEMBERSHIP = 3


def _os_error(exc: OSError) -> OSError:
    if isinstance(exc, TimeoutError | host_socket.timeout):
        return OSError(errno.ETIMEDOUT)
    return OSError(exc.errno or errno.EIO)


@firmware_type("usocket", "socket")
class DeviceSocket(FirmwareObject):
    """A usocket socket: CPython's underneath, the firmware's surface and errors on top."""

    __slots__ = ("_sock", "_peer_closed")
    # bound per module by build(): its network, attached or not (network.py), and its
    # place on it, its own address and the carrier (net_path.py)
    _net: NetworkState
    _path: NetPath

    def __init__(self, *args: int, **kwargs: Any) -> None:
        # socket(af=AF_INET, type=SOCK_STREAM, proto=0): 0-3 positional arguments, no
        # keywords (modsocket.c:244-259)
        if kwargs:
            raise TypeError("function doesn't take keyword arguments")
        if len(args) > 3:
            raise TypeError(arity_message(0, 3, len(args), False))
        af, kind, proto = tuple(args) + (host_socket.AF_INET, host_socket.SOCK_STREAM, 0)[
            len(args):]
        self._sock = host_socket.socket(af, kind, proto)
        self._peer_closed = False

    @classmethod
    def _wrap(cls, sock: host_socket.socket) -> DeviceSocket:
        obj = cls.__new__(cls)
        obj._sock = sock
        obj._peer_closed = False
        return obj

    def _call(self, name: str, *args: Any) -> Any:
        self._net.check(self._sock, name)  # the network went: the firmware's errno
        try:
            return getattr(self._sock, name)(*args)
        except OSError as exc:
            raise _os_error(exc) from None

    def _on_path(self, operation: str, func: Any, *args: Any) -> Any:
        # the module's own address and the carrier (net_path.py), after the network's
        # say (a lost network fails first), with usocket's errors
        self._net.check(self._sock, operation)
        try:
            return func(self._sock, *args)
        except OSError as exc:
            raise _os_error(exc) from None

    def connect(self, addr: tuple) -> None:
        self._sock = self._on_path("connect", self._path.connect, addr)
        self._net.connected(self._sock)  # the socket it holds now: a relay line, maybe

    def bind(self, addr: tuple) -> None:
        self._sock = self._on_path("bind", self._path.bind, addr)[0]

    def listen(self, backlog: int) -> None:  # backlog is required (modsocket.c:392)
        self._on_path("listen", self._path.listen, backlog)

    def accept(self) -> tuple[DeviceSocket, tuple]:
        conn, addr = self._on_path("accept", self._path.accept)
        self._net.connected(conn)
        return type(self)._wrap(conn), addr

    def send(self, data: bytes) -> int:
        return self._call("send", data)

    def sendall(self, data: bytes) -> None:
        self._call("sendall", data)

    def sendto(self, data: bytes, addr: tuple) -> int:
        return self._call("sendto", data, addr)

    def write(self, data: bytes, *span: int) -> int:
        # write(buf) / write(buf, max_len) / write(buf, off, max_len) (py/stream.c:257-274)
        view = memoryview(data)
        if len(span) == 1:
            view = view[: span[0]]
        elif len(span) == 2:
            view = view[span[0]: span[0] + span[1]]
        self._call("sendall", view)
        return len(view)

    def recv(self, size: int) -> bytes:
        if self._peer_closed:
            raise OSError(ENOTCONN)  # the firmware's errno is indeterminate here; 107 chosen
        data = self._call("recv", size)
        if not data and size:
            self._peer_closed = True
            raise OSError(ENOTCONN)
        return data

    def recvfrom(self, size: int) -> tuple[bytes, tuple]:
        data, addr = self._call("recvfrom", size)
        return data, (addr[0], addr[1])

    def _gather(self, size: int) -> tuple[bytes, bool]:
        """Up to size bytes, blocking until all came or the peer closed (eof flag)."""
        chunks: list[bytes] = []
        got = 0
        while size < 0 or got < size:
            want = _SOCKET_POLL if size < 0 else size - got
            try:
                chunk = self.recv(want)
            except OSError as exc:
                if exc.args and exc.args[0] == ENOTCONN:
                    return b"".join(chunks), True
                raise
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks), False

    def read(self, size: int = -1) -> bytes:
        data, eof = self._gather(-1 if size is None else size)
        if eof and (size is None or size < 0):
            raise OSError(ENOTCONN)  # read() (readall) has no ENOTCONN case (py/stream.c)
        return data  # read(n): QuecPython's patch returns what came (py/stream.c:203-207)

    def readinto(self, buf: bytearray, size: int | None = None) -> int:
        want = len(buf) if size is None else min(size, len(buf))
        data, eof = self._gather(want)
        if eof and not data:
            raise OSError(ENOTCONN)
        buf[: len(data)] = data
        return len(data)

    def readline(self, limit: int = -1) -> bytes:
        # unbuffered, one byte per read (py/stream.c:352-401); a line cut by the peer's
        # close raises OSError(107) and is lost
        line = bytearray()
        while limit < 0 or len(line) < limit:
            ch = self.recv(1)
            line += ch
            if ch == b"\n":
                break
        return bytes(line)

    def makefile(self, *mode_and_buffering: Any) -> DeviceSocket:
        return self  # mode and buffering are ignored (modsocket.c:913-916)

    def settimeout(self, value: float | None) -> None:
        self._sock.settimeout(value)

    def setblocking(self, flag: bool) -> None:
        self._sock.setblocking(flag)

    def setsockopt(self, level: int, opt: int, value: Any) -> None:
        # the level is ignored; options the port does not act on print a warning
        # and return None (modsocket.c:536-624)
        if opt == host_socket.SO_REUSEADDR:
            self._call("setsockopt", host_socket.SOL_SOCKET, opt, value)
        elif opt != _TCP_KEEPALIVE:
            print("Warning: lwip.setsockopt() option not implemented")

    def fileno(self) -> int:
        return self._sock.fileno()

    def getsocketsta(self) -> int:
        return 4 if not self._peer_closed else 7  # lwIP ESTABLISHED / CLOSE_WAIT

    def close(self) -> None:
        if not self._net.keep_open(self._sock):  # an aborted connection sends no FIN
            self._sock.close()  # a second close does nothing (modsocket.c:1000-1020)

    def __del__(self) -> None:
        sock = getattr(self, "_sock", None)
        if sock is not None:
            self.close()


def _getaddrinfo(host: str, port: int, *ignored: Any) -> list[tuple]:
    # arguments 3-6 are ignored; "" is 0.0.0.0; a failed lookup is [] (modsocket.c:1106-1165)
    try:
        infos = host_socket.getaddrinfo(host or "0.0.0.0", port, host_socket.AF_INET,
                                        host_socket.SOCK_STREAM)
    except OSError:
        return []
    return [(fam, typ, 0, host, (addr[0], addr[1])) for fam, typ, _, _, addr in infos]


def build(network: NetworkState, plan: NetworkPlan) -> types.ModuleType:
    # the socket type of this module, bound to its network and its place on it
    bound = FirmwareType("socket", (DeviceSocket,), {"__slots__": (), "_net": network,
                                                     "_path": NetPath(plan)})
    return build_module("usocket", {
        "__init__": lambda: None,
        "socket": bound,
        "getaddrinfo": _getaddrinfo,
        "AF_INET": host_socket.AF_INET,
        "AF_INET6": host_socket.AF_INET6,
        "SOCK_STREAM": host_socket.SOCK_STREAM,
        "SOCK_DGRAM": host_socket.SOCK_DGRAM,
        "SOCK_RAW": host_socket.SOCK_RAW,
        "IPPROTO_TCP": host_socket.IPPROTO_TCP,
        "IPPROTO_UDP": host_socket.IPPROTO_UDP,
        "IPPROTO_IP": _IPPROTO_IP,
        "SOL_SOCKET": host_socket.SOL_SOCKET,
        "SO_REUSEADDR": host_socket.SO_REUSEADDR,
        "TCP_KEEPALIVE": _TCP_KEEPALIVE,
        "IP_ADD_MEMBERSHIP": _IP_ADD_MEMBERSHIP,
    })
