# usocket as the firmware offers it, over the unix port's socket. Surface and behaviour:
# /work/wt/notes/firmware_surface_draft.py `_usocket` and firmware_surface_notes.md
# "usocket behaviour" (QuecPython/microPython@e7c4b19d modsocket.c). No getsockname,
# getpeername, shutdown, gettimeout or recv_into (modsocket.c:1026-1049).
import socket as _s

import fw_netpath as _netpath  # where the module is: its own address, the carrier
import fw_netstate as _net  # the module's network: the sockets consult it (NETWORK_LOSS)

AF_INET = _s.AF_INET
AF_INET6 = _s.AF_INET6
SOCK_STREAM = _s.SOCK_STREAM
SOCK_DGRAM = _s.SOCK_DGRAM
SOCK_RAW = _s.SOCK_RAW
IPPROTO_IP = 0
IPPROTO_TCP = 6
IPPROTO_UDP = 17
SOL_SOCKET = _s.SOL_SOCKET
SO_REUSEADDR = _s.SO_REUSEADDR
TCP_KEEPALIVE = 2  # lwIP's value; the SDK header is not in the firmware tree (notes)
IP_ADD_MEMBERSHIP = 0x400  # the local fallback (modsocket.c:66-68)

_ENOTCONN, _ETIMEDOUT, _EAGAIN, _EINPROGRESS = 107, 110, 11, 115


def _sockaddr(addr):
    # connect/bind resolve the tuple; an empty result is OSError(-2) (modsocket.c:232-242)
    try:
        found = _s.getaddrinfo(addr[0] or "0.0.0.0", addr[1])
    except OSError:
        found = []
    if not found:
        raise OSError(-2)
    return found[0][-1]


def _tuple(sockaddr):
    family, ip, port = _s.sockaddr(sockaddr)
    return (_s.inet_ntop(family, ip), port)


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):
    # args 3..6 ignored, hints fixed at SOCK_STREAM; a failed lookup returns []
    # (modsocket.c:201-222, 1106-1165)
    try:
        found = _s.getaddrinfo(host or "0.0.0.0", port)
    except OSError:
        return []
    return [(f, t, 0, host, _tuple(sa)) for f, t, p, c, sa in found if t == SOCK_STREAM]


class socket:
    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0):
        self._sock = _s.socket(af, type, proto) if af is not None else None
        self._stream = type == SOCK_STREAM
        self._timeout = None
        self._bound = False

    def _err(self, exc):
        # a timeout is _ETIMEDOUT on the module, _EAGAIN when non-blocking (modsocket.c:777)
        code = exc.errno if hasattr(exc, "errno") else exc.args[0]
        if code in (_EAGAIN, _EINPROGRESS) and self._timeout:
            return OSError(_ETIMEDOUT)
        return OSError(code)

    def close(self):
        if self._sock is not None and not _net.closing(self):
            self._sock.close()

    # bind, listen, accept and connect go the module's way: its own address, or the
    # carrier (fw_netpath.py)
    def bind(self, addr):
        try:
            self._sock = _netpath.bind(self._sock, self._stream, self._timeout, addr,
                                         _sockaddr)
        except OSError as exc:
            raise self._err(exc) from None
        self._bound = True

    def listen(self, backlog):
        try:
            _netpath.listen(self._sock, backlog)
        except OSError as exc:
            raise self._err(exc) from None

    def accept(self):
        try:
            if _netpath.RELAY:
                conn, peer = _netpath.accept_relayed(self._sock, self._timeout, _sockaddr)
            else:
                conn, sa = self._sock.accept()
                peer = _tuple(sa)
        except OSError as exc:
            raise self._err(exc) from None
        wrapped = socket(None)
        wrapped._sock = conn
        _net.connected(wrapped)
        return wrapped, peer

    def connect(self, addr):
        _net.check(self, "connect")
        try:
            self._sock = _netpath.connect(self._sock, self._bound, self._timeout, addr,
                                            _sockaddr)
        except OSError as exc:
            raise self._err(exc) from None
        _net.connected(self)

    def send(self, data):
        _net.check(self, "send")
        try:
            return self._sock.send(data)
        except OSError as exc:
            raise self._err(exc) from None

    def sendall(self, data):
        _net.check(self, "send")
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise self._err(exc) from None

    def sendto(self, data, addr):
        return self._sock.sendto(data, _sockaddr(addr))

    def recv(self, size):
        _net.check(self, "recv")
        try:
            data = self._sock.recv(size)
        except OSError as exc:
            raise self._err(exc) from None
        if not data and size and self._stream:
            raise OSError(_ENOTCONN)  # the peer closed: lwIP's _ENOTCONN (modsocket.c:747-757)
        return data

    def recvfrom(self, size):
        data, sa = self._sock.recvfrom(size)
        return data, _tuple(sa)

    def setsockopt(self, level, opt, value):
        if opt == SO_REUSEADDR:
            self._sock.setsockopt(level, opt, value)
        # other options: the firmware prints a warning and carries on (modsocket.c:619-620)

    def settimeout(self, value):
        self._timeout = value
        self._sock.settimeout(value)

    def setblocking(self, flag):
        self.settimeout(None if flag else 0)

    def makefile(self, *args):
        return self  # mode and buffering ignored (modsocket.c:913-917)

    def fileno(self):
        return self._sock.fileno()

    def getsocketsta(self):
        return 4  # lwIP ESTABLISHED; the emulator does not track TCP states

    # stream methods (py/stream.c)

    def read(self, size=-1):
        chunks = []
        got = 0
        while size < 0 or got < size:
            try:
                chunk = self.recv(4096 if size < 0 else size - got)
            except OSError as exc:
                # QuecPython's patch: read(n) returns what it has on _ENOTCONN (stream.c:203)
                if size >= 0 and exc.args[0] == _ENOTCONN:
                    break
                raise
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def readinto(self, buf, size=None):
        view = memoryview(buf)[:size if size is not None else len(buf)]
        got = 0
        while got < len(view):
            _net.check(self, "recv")
            try:
                n = self._sock.readinto(view[got:])
            except OSError as exc:
                raise self._err(exc) from None
            if not n:
                raise OSError(_ENOTCONN)
            got += n
        return got

    def readline(self, limit=-1):
        # unbuffered, a byte at a time; a line cut short by FIN raises (stream.c:352-401)
        line = bytearray()
        while limit < 0 or len(line) < limit:
            ch = self.recv(1)
            line += ch
            if ch == b"\n":
                break
        return bytes(line)

    def write(self, buf, *args):
        self.sendall(buf)
        return len(buf)
