"""How a module socket reaches the network on the CPython engine (mpy/fw_netpath.py is
the micropython engine's): from the module's own address, or through the carrier.

NetworkPlan (netplan.py) says where: straight out, a connect binds the address the
server is to see first, a bind lands where the module's address really is; through
the carrier relay (carrier.py: NAT, a link profile), each connect, bind/listen and
accept is one request line to it. Both fw_usocket.py and the firmware's own ftplib
(CPython's, host_sockets.py) go this way, so neither bypasses the link.

Each call takes the host socket a module socket holds and returns the one it holds
next (a bind or connect through the relay swaps it for a line to the relay).
"""

from __future__ import annotations

import errno
import socket

from ..carrier import read_line
from ..netplan import NetworkPlan
from ..pipe import small_buffers


class NetPath:
    def __init__(self, plan: NetworkPlan) -> None:
        self.plan = plan

    @property
    def relayed(self) -> bool:
        return self.plan.relay is not None

    def _to_relay(self, like: socket.socket, request: str) -> tuple[socket.socket, list[str]]:
        """A new line to the relay, with `like`'s timeout; the request's answer words;
        OSError with the relay's errno for a refusal."""
        assert self.plan.relay is not None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        small_buffers(sock)  # a send blocks while the link is slow, as lwIP's small ones do
        sock.settimeout(like.gettimeout())
        try:
            sock.connect(self.plan.relay)
            sock.sendall(request.encode("ascii") + b"\n")
            words = read_line(sock).split()
            code = int(words[0]) if words else errno.ECONNABORTED
        except BaseException:
            sock.close()
            raise
        if code:
            sock.close()
            raise OSError(code, errno.errorcode.get(code, "refused"))
        return sock, words[1:]

    def connect(self, sock: socket.socket, addr: tuple[str, int]) -> socket.socket:
        if not self.relayed:
            if sock.getsockname()[1] == 0:  # not bound by the program: from the module
                sock.bind((self.plan.source, 0))
            sock.connect(addr)
            return sock
        new, _ = self._to_relay(sock, "C %s %d" % (addr[0], addr[1]))
        sock.close()  # a line to a relay listener, or a fresh socket: either way done with
        return new

    def bind(self, sock: socket.socket, addr: tuple[str, int]) -> tuple[socket.socket, int]:
        """The socket to hold from now on, and the port it got."""
        if not self.relayed or sock.type != socket.SOCK_STREAM:
            sock.bind((self.plan.host_for_bind(addr[0]), addr[1]))
            return sock, sock.getsockname()[1]
        ctl, words = self._to_relay(sock, "B %s %d" % (addr[0] or "0.0.0.0", addr[1]))
        sock.close()
        return ctl, int(words[0])

    def listen(self, sock: socket.socket, backlog: int) -> None:
        if not self.relayed or sock.type != socket.SOCK_STREAM:
            sock.listen(backlog)
            return
        sock.sendall(b"L %d\n" % backlog)
        answer = read_line(sock).split()
        if answer[:1] != ["0"]:
            raise OSError(int(answer[0]) if answer else errno.ECONNABORTED, "listen refused")

    def accept(self, sock: socket.socket) -> tuple[socket.socket, tuple[str, int]]:
        if not self.relayed:
            conn, addr = sock.accept()
            return conn, (addr[0], addr[1])
        words = read_line(sock).split()  # "A <id> <host> <port>", within sock's timeout
        if words[:1] != ["A"] or len(words) != 4:
            raise OSError(errno.ECONNABORTED, "the carrier closed the listener")
        conn, _ = self._to_relay(sock, "J %s" % words[1])
        conn.settimeout(None)  # accept() gives a blocking socket (modsocket.c:438)
        return conn, (words[2], int(words[3]))
