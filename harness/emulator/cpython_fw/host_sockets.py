"""CPython's socket API on the virtual module's network and path, for CPython's ftplib.

The CPython engine offers CPython's own ftplib as the firmware's (ModuleConfig
firmware_ftplib). It opens its connections with CPython's `socket`, not usocket, so on
its own it would never notice the module's network going, and would connect from the
host and bypass the carrier. It gets a private copy of itself whose `socket` is this
module's: the same API, with sockets that consult the module's NetworkState
(network.py) as usocket's do, and whose create_connection and create_server go the
module's way (net_path.py: its own address, NAT, the link relay). Through the relay a
socket names the module's address as its own and the far end as its peer, not the relay,
as on a module: ftplib sends the one in PORT and trusts the other for PASV.
"""

from __future__ import annotations

import importlib.util
import os
import socket as host_socket
import types
from typing import Any

from ..netplan import NetworkPlan
from .net_path import NetPath
from .network import NetworkState

# ftplib's "no timeout given": the socket module's own marker
_DEFAULT_TIMEOUT = getattr(host_socket, "_GLOBAL_DEFAULT_TIMEOUT", None)
Address = tuple[str, int]


def check(network: NetworkState, sock: host_socket.socket, operation: str) -> None:
    """The firmware's errno for `operation` (network.py), as CPython code reads it:
    OSError.errno."""
    try:
        network.check(sock, operation)
    except OSError as exc:
        raise OSError(exc.args[0], os.strerror(exc.args[0])) from None


class NetSocket(host_socket.socket):
    """A CPython socket of the module: it fails as the firmware's does when the network
    goes, and names the module's side of the carrier's connection."""

    __slots__ = ("_local", "_peer")
    _local: Address | None
    _peer: Address | None
    net: NetworkState  # bound per module (socket_module)
    path: NetPath

    @classmethod
    def adopt(cls, sock: host_socket.socket, local: Address | None = None,
              peer: Address | None = None) -> NetSocket:
        """`sock` as one of the module's sockets (it is detached from `sock`); `local`
        and `peer` stand for the relay's addresses where it goes through the carrier."""
        timeout = sock.gettimeout()
        new = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        new.settimeout(timeout)
        new._local, new._peer = local, peer
        return new

    def getsockname(self) -> Any:
        return getattr(self, "_local", None) or super().getsockname()

    def getpeername(self) -> Any:
        return getattr(self, "_peer", None) or super().getpeername()

    def _check(self, operation: str) -> None:
        check(self.net, self, operation)

    def connect(self, address: Any) -> None:
        self._check("connect")
        super().connect(address)
        self.net.connected(self)

    def accept(self) -> tuple[host_socket.socket, Any]:
        self._check("accept")
        if self.path.relayed:  # the next connection the carrier announces
            conn, peer = self.path.accept(self)
            sock = type(self).adopt(conn, self.getsockname(), peer)
        else:
            conn, peer = host_socket.socket.accept(self)
            sock = type(self).adopt(conn)
        self.net.connected(sock)
        return sock, peer

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


def socket_module(network: NetworkState, plan: NetworkPlan) -> types.ModuleType:
    """CPython's `socket` module, its sockets on `network` and on the module's path."""
    path = NetPath(plan)
    own = plan.own or plan.source
    bound: type[NetSocket] = type("socket", (NetSocket,),
                                  {"__slots__": (), "net": network, "path": path})
    module = types.ModuleType("socket")
    module.__dict__.update(vars(host_socket))

    def create_connection(address: Address, timeout: Any = _DEFAULT_TIMEOUT,
                          source_address: Any = None, **_: Any) -> host_socket.socket:
        # IPv4 only, as the module's usocket
        sock: host_socket.socket = bound(host_socket.AF_INET, host_socket.SOCK_STREAM)
        try:
            if timeout is not None and timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock = path.bind(sock, source_address)[0]
            check(network, sock, "connect")  # no route while the network is away
            sock = path.connect(sock, address)  # straight out: bound.connect
        except OSError:
            sock.close()
            raise
        if not path.relayed:
            return sock
        found = bound.adopt(sock, (own, 0), (address[0], address[1]))
        network.connected(found)
        return found

    def create_server(address: Address, *, family: int = host_socket.AF_INET,
                      backlog: int | None = None, **_: Any) -> host_socket.socket:
        sock: host_socket.socket = bound(family, host_socket.SOCK_STREAM)
        try:
            sock, port = path.bind(sock, address)
            path.listen(sock, backlog if backlog is not None else 5)
        except OSError:
            sock.close()
            raise
        if not path.relayed:
            return sock
        return bound.adopt(sock, (own, port), ("0.0.0.0", 0))  # the carrier's control line

    module.socket = bound  # type: ignore[attr-defined]
    module.create_connection = create_connection  # type: ignore[attr-defined]
    module.create_server = create_server  # type: ignore[attr-defined]
    return module


def ftplib_on(network: NetworkState, plan: NetworkPlan) -> types.ModuleType:
    """A private copy of CPython's ftplib whose connections are the module's: on its
    `network`, from its address and through its carrier (`plan`)."""
    spec = importlib.util.find_spec("ftplib")
    assert spec is not None and spec.loader is not None  # a standard library module
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.socket = socket_module(network, plan)  # type: ignore[attr-defined]
    return module
