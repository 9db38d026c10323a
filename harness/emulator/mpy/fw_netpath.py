# How a module socket reaches the network on the micropython engine (cpython_fw/net_path.py
# is the CPython engine's and says why): from the module's own address, or through the
# carrier relay (harness/emulator/carrier.py), one request line per connect, bind/listen
# and accept. CONFIG['net'] is the NetworkPlan (harness/emulator/netplan.py).
# MicroPython code: runs inside the `micropython` unix port.
import socket as _s

from fw_link import CONFIG

_NET = CONFIG.get("net") or {}
RELAY = _NET.get("relay")
_ANY = ("", "0.0.0.0")
_ECONNABORTED = 103
_SO_SNDBUF, _SO_RCVBUF = 7, 8  # Linux's values: the unix port names neither
_SMALL_BUFFER = 16384  # a send blocks while the link is slow (harness/emulator/pipe.py)


def host_for_bind(host):
    if host in _ANY or host == _NET.get("own"):
        return _NET.get("listen", "127.0.0.1")
    return _NET.get("loopback", "127.0.0.1")


def read_line(sock):
    line = b""
    while not line.endswith(b"\n"):
        byte = sock.recv(1)
        if not byte or len(line) > 200:
            raise OSError(_ECONNABORTED)
        line += byte
    return line.decode().split()


def _to_relay(timeout, request, sockaddr_of):
    sock = _s.socket(_s.AF_INET, _s.SOCK_STREAM)
    try:
        sock.setsockopt(_s.SOL_SOCKET, _SO_SNDBUF, _SMALL_BUFFER)
        sock.setsockopt(_s.SOL_SOCKET, _SO_RCVBUF, _SMALL_BUFFER)
        sock.settimeout(timeout)
        sock.connect(sockaddr_of((RELAY[0], RELAY[1])))
        sock.sendall((request + "\n").encode())
        words = read_line(sock)
    except Exception:
        sock.close()
        raise
    code = int(words[0]) if words else _ECONNABORTED
    if code:
        sock.close()
        raise OSError(code)
    return sock, words[1:]


def connect(sock, bound, timeout, addr, sockaddr_of):
    # the socket to hold from now on
    if not RELAY:
        if not bound:  # not bound by the program: from the module's address
            sock.bind(sockaddr_of((_NET.get("source", "127.0.0.1"), 0)))
        sock.connect(sockaddr_of(addr))
        return sock
    new, _ = _to_relay(timeout, "C %s %d" % (addr[0], addr[1]), sockaddr_of)
    sock.close()
    return new


def bind(sock, stream, timeout, addr, sockaddr_of):
    if not RELAY or not stream:
        sock.bind(sockaddr_of((host_for_bind(addr[0]), addr[1])))
        return sock
    ctl, _ = _to_relay(timeout, "B %s %d" % (addr[0] or "0.0.0.0", addr[1]), sockaddr_of)
    sock.close()
    return ctl


def listen(sock, backlog):
    if not RELAY:
        sock.listen(backlog)
        return
    sock.sendall(b"L %d\n" % backlog)
    words = read_line(sock)
    if words[:1] != ["0"]:
        raise OSError(int(words[0]) if words else _ECONNABORTED)


def accept_relayed(ctl, timeout, sockaddr_of):
    # (socket, (host, port)) of the next connection the carrier announces
    words = read_line(ctl)
    if words[:1] != ["A"] or len(words) != 4:
        raise OSError(_ECONNABORTED)
    conn, _ = _to_relay(timeout, "J " + words[1], sockaddr_of)
    conn.settimeout(None)
    return conn, (words[2], int(words[3]))
