"""CPython's socket API on the virtual module's network, for CPython's ftplib.

The CPython engine offers CPython's own ftplib as the firmware's (ModuleConfig
firmware_ftplib). It opens its connections with CPython's `socket`, not usocket, so on
its own it would never notice the module's network going. It gets a private copy of
itself whose `socket` is this module's: the same API, with sockets that consult the
module's NetworkState (network.py) as usocket's do.
"""

from __future__ import annotations

import importlib.util
import os
import socket as host_socket
import types
from typing import Any

from .network import NetworkState

# ftplib's "no timeout given": the socket module's own marker
_DEFAULT_TIMEOUT = getattr(host_socket, "_GLOBAL_DEFAULT_TIMEOUT", None)


class NetSocket(host_socket.socket):
    """A CPython socket that fails as the firmware's does when the network goes."""

    __slots__ = ()
    net: NetworkState  # bound per module (socket_module)

    def _check(self, operation: str) -> None:
        # the firmware's errno (network.py), as CPython code reads it: OSError.errno
        try:
            self.net.check(self, operation)
        except OSError as exc:
            raise OSError(exc.args[0], os.strerror(exc.args[0])) from None

    def connect(self, address: Any) -> None:
        self._check("connect")
        super().connect(address)
        self.net.connected(self)

    def accept(self) -> tuple[host_socket.socket, Any]:
        self._check("accept")
        fd, addr = self._accept()  # type: ignore[attr-defined]
        sock = type(self)(self.family, self.type, self.proto, fileno=fd)
        if host_socket.getdefaulttimeout() is None and self.gettimeout():
            sock.setblocking(True)  # as socket.accept does
        self.net.connected(sock)
        return sock, addr

    def recv(self, *args: Any) -> bytes:
        self._check("recv")
        return super().recv(*args)

    def recv_into(self, *args: Any) -> int:  # makefile() reads with it
        self._check("recv")
        return super().recv_into(*args)

    def send(self, *args: Any) -> int:
        self._check("send")
        return super().send(*args)

    def sendall(self, *args: Any) -> None:
        self._check("send")
        super().sendall(*args)

    def _real_close(self, *args: Any) -> None:
        if not self.net.keep_open(self):  # an aborted connection sends no FIN
            super()._real_close(*args)  # type: ignore[misc]


def socket_module(network: NetworkState) -> types.ModuleType:
    """CPython's `socket` module, its sockets on `network`."""
    bound = type("socket", (NetSocket,), {"__slots__": (), "net": network})
    module = types.ModuleType("socket")
    module.__dict__.update(vars(host_socket))

    def create_connection(address: tuple[str, int], timeout: Any = None,
                          source_address: Any = None, **_: Any) -> host_socket.socket:
        host, port = address
        error: OSError = OSError("getaddrinfo returns an empty list")
        for af, kind, proto, _name, addr in host_socket.getaddrinfo(
                host, port, 0, host_socket.SOCK_STREAM):
            sock = bound(af, kind, proto)
            try:
                if timeout is not None and timeout is not _DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(addr)
                return sock
            except OSError as exc:
                error = exc
                sock.close()
        raise error

    def create_server(address: tuple[str, int], *, family: int = host_socket.AF_INET,
                      backlog: int | None = None, **_: Any) -> host_socket.socket:
        sock = bound(family, host_socket.SOCK_STREAM)
        try:
            sock.bind(address)
            sock.listen(backlog if backlog is not None else 5)
        except OSError:
            sock.close()
            raise
        return sock

    module.socket = bound  # type: ignore[attr-defined]
    module.create_connection = create_connection  # type: ignore[attr-defined]
    module.create_server = create_server  # type: ignore[attr-defined]
    return module


def ftplib_on(network: NetworkState) -> types.ModuleType:
    """A private copy of CPython's ftplib whose connections are on `network`."""
    spec = importlib.util.find_spec("ftplib")
    assert spec is not None and spec.loader is not None  # a standard library module
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.socket = socket_module(network)  # type: ignore[attr-defined]
    return module
