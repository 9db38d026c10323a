"""The firmware's own ftplib on the CPython engine: CPython's, on the module's network.

CPython's ftplib opens its sockets with socket.create_connection and
socket.create_server and asks them getsockname()/getpeername(). Given the host's
socket module it would connect from the host and bypass the carrier; this copy gets
a socket module of its own whose two constructors go the module's way (net_path.py),
and whose sockets name the module's address and the real peer, as on a module.
"""

from __future__ import annotations

import importlib.util
import socket
import types
from typing import Any

from ..netplan import NetworkPlan
from .net_path import NetPath


class _ModuleSocket(socket.socket):
    """A socket of the module that reached the world through the carrier: it names the
    module's address as its own and the far end as its peer, not the relay."""

    __slots__ = ("_local", "_peer")
    _local: tuple[str, int]
    _peer: tuple[str, int]

    @classmethod
    def adopt(cls, sock: socket.socket, local: tuple[str, int],
              peer: tuple[str, int]) -> _ModuleSocket:
        timeout = sock.gettimeout()
        new = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        new.settimeout(timeout)
        new._local, new._peer = local, peer
        return new

    def getsockname(self) -> Any:
        return self._local

    def getpeername(self) -> Any:
        return self._peer


class _ModuleListener(_ModuleSocket):
    """A listening socket of the module, as the carrier holds it: accept() takes the
    next connection the carrier announces."""

    __slots__ = ("_path",)
    _path: NetPath

    def accept(self) -> tuple[socket.socket, Any]:
        conn, peer = self._path.accept(self)
        return _ModuleSocket.adopt(conn, self._local, peer), peer


def module_socket(plan: NetworkPlan) -> types.ModuleType:
    """A stand-in for `socket` with the module's create_connection and create_server."""
    path = NetPath(plan)
    own = plan.own or plan.source
    shim = types.ModuleType("socket")
    shim.__dict__.update(vars(socket))

    def create_connection(address: tuple[str, int],
                          timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
                          source_address: Any = None, **ignored: Any) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
            sock.settimeout(timeout)
        if source_address is not None:
            sock, _ = path.bind(sock, source_address)
        try:
            sock = path.connect(sock, address)
        except BaseException:
            sock.close()
            raise
        if not path.relayed:
            return sock
        return _ModuleSocket.adopt(sock, (own, 0), (address[0], address[1]))

    def create_server(address: tuple[str, int], *, family: int = socket.AF_INET,
                      backlog: int | None = None, **ignored: Any) -> socket.socket:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock, port = path.bind(sock, address)
        path.listen(sock, backlog or 1)
        if not path.relayed:
            return sock
        listener = _ModuleListener.adopt(sock, (own, port), ("0.0.0.0", 0))
        assert isinstance(listener, _ModuleListener)
        listener._path = path
        return listener

    shim.create_connection = create_connection  # type: ignore[attr-defined]
    shim.create_server = create_server  # type: ignore[attr-defined]
    return shim


def firmware_ftplib(plan: NetworkPlan) -> types.ModuleType:
    """A fresh copy of CPython's ftplib whose sockets are the module's."""
    spec = importlib.util.find_spec("ftplib")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.socket = module_socket(plan)  # type: ignore[attr-defined]
    return module
