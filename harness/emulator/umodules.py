"""The module's built-in names (uos, usocket, uhashlib, ...), built on CPython.

Each one offers what QuecPython offers and no more where that matters to
device scripts: uhashlib has no hexdigest(), uos.uname() answers with
key=value strings, usocket timeouts are OSError(110), file errors carry a
bare errno.
"""

from __future__ import annotations

import array
import binascii
import collections
import errno
import gc as host_gc
import hashlib
import io
import json
import math
import os
import random
import re
import socket as host_socket
import struct
import sys
import time
import types
import zlib
from typing import TYPE_CHECKING, Any

from .cpython_surface import (
    FirmwareModule,
    FirmwareObject,
    arity_message,
    build_module,
    firmware_type,
)
from .events import ModulePowerDown, ModuleRestart

if TYPE_CHECKING:  # annotations only: the runtime imports this module, not the other way
    from .runtime import DeviceRuntime

_BOOT = time.monotonic()


def _module(name: str, **attrs: Any) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    return mod


# -- uhashlib: update() and digest() only, as on the module -----------------


class _Hash:
    def __init__(self, name: str, data: bytes = b"") -> None:
        self._h = hashlib.new(name)
        if data:
            self._h.update(data)

    def update(self, data: bytes) -> None:
        self._h.update(data)

    def digest(self) -> bytes:
        return self._h.digest()


def _uhashlib() -> types.ModuleType:
    return _module(
        "uhashlib",
        sha256=lambda data=b"": _Hash("sha256", data),
        sha1=lambda data=b"": _Hash("sha1", data),
        md5=lambda data=b"": _Hash("md5", data),
    )


def _ubinascii() -> types.ModuleType:
    def hexlify(data: bytes, sep: bytes | None = None) -> bytes:
        return binascii.hexlify(data, sep) if sep else binascii.hexlify(data)

    return _module(
        "ubinascii",
        hexlify=hexlify,
        unhexlify=binascii.unhexlify,
        a2b_base64=binascii.a2b_base64,
        b2a_base64=lambda data: binascii.b2a_base64(data),
        crc32=binascii.crc32,
    )


# -- usocket ----------------------------------------------------------------
# Surface: firmware_surface.py (modsocket.c). Behaviour from the notes on modsocket.c:
# recv at the peer's FIN raises OSError(ENOTCONN=107) (modsocket.c:747-757); read(n) returns
# what it has instead (py/stream.c:203-207); readline/readinto raise it; makefile returns the
# socket itself (modsocket.c:913-917); getaddrinfo answers [] for an unknown host (:1110).

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
        try:
            return getattr(self._sock, name)(*args)
        except OSError as exc:
            raise _os_error(exc) from None

    def connect(self, addr: tuple) -> None:
        self._call("connect", addr)

    def bind(self, addr: tuple) -> None:
        self._call("bind", addr)

    def listen(self, backlog: int) -> None:  # backlog is required (modsocket.c:392)
        self._call("listen", backlog)

    def accept(self) -> tuple[DeviceSocket, tuple]:
        conn, addr = self._call("accept")
        return DeviceSocket._wrap(conn), (addr[0], addr[1])

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
        self._sock.close()  # a second close does nothing (modsocket.c:1000-1020)

    def __del__(self) -> None:
        sock = getattr(self, "_sock", None)
        if sock is not None:
            sock.close()


def _getaddrinfo(host: str, port: int, *ignored: Any) -> list[tuple]:
    # arguments 3-6 are ignored; "" is 0.0.0.0; a failed lookup is [] (modsocket.c:1106-1165)
    try:
        infos = host_socket.getaddrinfo(host or "0.0.0.0", port, host_socket.AF_INET,
                                        host_socket.SOCK_STREAM)
    except OSError:
        return []
    return [(fam, typ, 0, host, (addr[0], addr[1])) for fam, typ, _, _, addr in infos]


def _usocket() -> types.ModuleType:
    return build_module("usocket", {
        "__init__": lambda: None,
        "socket": DeviceSocket,
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


# -- utime -----------------------------------------------------------------

_TICKS_PERIOD = 1 << 30


def _utime() -> types.ModuleType:
    # surface: modutime.c + extmod/utime_mphal.c (firmware_surface.py)
    zone = [0]

    def ticks_ms() -> int:
        return int((time.monotonic() - _BOOT) * 1000) % _TICKS_PERIOD

    def ticks_us() -> int:
        return int((time.monotonic() - _BOOT) * 1_000_000) % _TICKS_PERIOD

    def ticks_diff(new: int, old: int) -> int:
        diff = (new - old) % _TICKS_PERIOD
        return diff - _TICKS_PERIOD if diff >= _TICKS_PERIOD // 2 else diff

    def ticks_add(ticks: int, delta: int) -> int:
        return (ticks + delta) % _TICKS_PERIOD

    def set_time_zone(offset: int) -> int:
        if not -12 <= offset <= 12:  # modutime.c:160-170
            raise ValueError("timezone out of range")
        zone[0] = offset
        return 0

    return build_module("utime", {
        "ticks_ms": ticks_ms,
        "ticks_us": ticks_us,
        "ticks_cpu": ticks_us,
        "ticks_diff": ticks_diff,
        "ticks_add": ticks_add,
        "sleep": time.sleep,
        "sleep_ms": lambda ms: time.sleep(ms / 1000),
        "sleep_us": lambda us: time.sleep(us / 1_000_000),
        "time": lambda: int(time.time()),
        "localtime": lambda secs=None: tuple(time.localtime(secs))[:8],
        "mktime": lambda t: int(time.mktime(tuple(t) + (0,) * (9 - len(t)))),
        "setTimeZone": set_time_zone,
        "getTimeZone": lambda: zone[0],
    })


def _uzlib() -> types.ModuleType:
    return _module("uzlib", decompress=lambda data, wbits=15: zlib.decompress(data, wbits))


# -- the ones that need the runtime ------------------------------------------


def _uos(rt: DeviceRuntime) -> types.ModuleType:
    fs = rt.fs
    cfg = rt.config

    def ilistdir(path: str = ""):
        for name in fs.listdir(path):
            full = fs.virtual((path or fs.cwd).rstrip("/") + "/" + name)
            st = fs.stat(full)
            yield (name, st[0], 0, st[6])

    def uname() -> tuple[str, ...]:
        return (
            "sysname=%s" % cfg.model,
            "nodename=%s" % cfg.model,
            "release=1.13.0",
            "version=v1.13 on %s" % cfg.build_date,
            "machine=%s with QUECTEL" % cfg.model,
            "qpyver=V0001",
        )

    def uname2() -> types.SimpleNamespace:
        # the attribute tuple (moduos.c:41-77)
        fields = [part.split("=", 1) for part in uname()]
        return types.SimpleNamespace(**{k: v for k, v in fields})

    return build_module("uos", {
        "listdir": fs.listdir,
        "ilistdir": ilistdir,
        "stat": fs.stat,
        "remove": fs.remove,
        "mkdir": fs.mkdir,
        "rmdir": fs.rmdir,
        "rename": fs.rename,
        "chdir": fs.chdir,
        "getcwd": lambda: fs.cwd,
        "statvfs": fs.statvfs,
        "uname": uname,
        "uname2": uname2,
        "urandom": os.urandom,
        # mount, umount and VfsLfs1 are stubs: /usr is mounted at boot
    })


class _StdinBuffer:
    def __init__(self, rt: DeviceRuntime) -> None:
        self._rt = rt

    def read(self, size: int = 1) -> bytes:
        return self._rt.read_stdin(size)

    def readinto(self, buf: bytearray) -> int:
        data = self._rt.read_stdin(len(buf))
        buf[: len(data)] = data
        return len(data)


class _Stdin:
    def __init__(self, rt: DeviceRuntime) -> None:
        self._raw = _StdinBuffer(rt)
        if rt.config.binary_stdin:
            self.buffer = self._raw

    def read(self, size: int = 1) -> str:
        return self._raw.read(size).decode("latin-1")

    def readline(self) -> str:
        line = bytearray()
        while not line.endswith(b"\r") and not line.endswith(b"\n"):
            line += self._raw.read(1)
        return line.decode("utf-8", "replace")


def _usys(rt: DeviceRuntime) -> types.ModuleType:
    impl = types.SimpleNamespace(name="micropython", version=(1, 13, 0), mpy=5)
    return _module(
        "usys",
        path=rt.path,
        modules=rt.modules,
        argv=[],
        byteorder="little",
        maxsize=2**31 - 1,
        implementation=impl,
        platform=rt.config.model,
        version="3.4.0",
        stdin=_Stdin(rt),
        stdout=rt.stdout,
        stderr=rt.stdout,
        exit=sys.exit,
        print_exception=lambda exc, file=None: rt.stdout.write(rt.format_exception(exc)),
    )


def _micropython(rt: DeviceRuntime) -> types.ModuleType:
    def kbd_intr(char: int) -> None:
        rt.kbd_intr_enabled = char == 3

    return _module(
        "micropython",
        const=lambda value: value,
        kbd_intr=kbd_intr,
        opt_level=lambda level=None: 0,
        mem_info=lambda verbose=None: rt.stdout.write("stack: 1024 out of 16384\n"),
        heap_lock=lambda: None,
        heap_unlock=lambda: None,
    )


def _gc(rt: DeviceRuntime) -> types.ModuleType:
    heap = 512 * 1024

    def mem_alloc() -> int:
        return min(heap - 1024, 64 * 1024)

    return _module(
        "gc",
        collect=host_gc.collect,
        enable=host_gc.enable,
        disable=host_gc.disable,
        isenabled=host_gc.isenabled,
        mem_alloc=mem_alloc,
        mem_free=lambda: heap - mem_alloc(),
        threshold=lambda value=None: -1,
    )


def _dial(rt: DeviceRuntime) -> types.ModuleType:
    # the C module dataCall wraps (moddatacall.c:467-488)
    ip = rt.config.ip

    def get_info(profile: int, ip_type: int = 0) -> tuple | int:
        # (profile, ip_version, [state, reconnect, ip, pri_dns, sec_dns]) for ipType 0;
        # a 4-tuple for ipType 2; addresses read "0.0.0.0" while the link is down
        # (moddatacall.c:226-310)
        if not 1 <= profile <= 8 or ip_type not in (0, 1, 2):
            raise ValueError("invalid value")
        up = 1 if ip else 0
        v4 = [up, 0, ip or "0.0.0.0", "8.8.8.8" if up else "0.0.0.0",
              "114.114.114.114" if up else "0.0.0.0"]
        v6 = [0, 0, "::", "::", "::"]
        if ip_type == 2:
            return (profile, 2, v4, v6)
        return (profile, ip_type, v6 if ip_type == 1 else v4)

    return build_module("dial", {
        "getInfo": get_info,
        "getPdpRange": lambda: (1, 8),
        "getApn": lambda simid, pid=1: "",
    })


def _datacall(rt: DeviceRuntime, dial: types.ModuleType, ujson: types.ModuleType) \
        -> types.ModuleType:
    # frozen Python over dial (ports/quectel/core/dataCall.py)
    return build_module("dataCall", {
        "getInfo": lambda profile, ip_type: dial.getInfo(profile, ip_type),
        "getApn": lambda *args: dial.getApn(*args),
        "dial": dial,
        "ujson": ujson,
    }, python=True)


def _checknet(utime: types.ModuleType, modem: types.ModuleType, datacall: types.ModuleType,
              power: type) -> types.ModuleType:
    # frozen Python (ports/quectel/core/checkNet.py); the virtual module is always online
    def ready(timeout_s: int = 60) -> tuple[int, int]:
        if not 1 <= timeout_s <= 3600:  # checkNet.py:114-155
            raise OSError("timeout_s should be in [1, 3600]")
        return (3, 1)

    @firmware_type("checkNet", "CheckNetwork", python=True)
    class CheckNetwork(FirmwareObject):
        def __init__(self, proj_name: str, proj_version: str) -> None:
            self.proj_name = proj_name
            self.proj_version = proj_version

        def poweron_print_once(self) -> None:
            print("PROJECT_NAME: %s, PROJECT_SOFTVERSION: %s" % (self.proj_name,
                                                                   self.proj_version))

        @staticmethod
        def check_datacall_status() -> int:
            return 1

        def wait_network_connected(self, timeout_s: int = 60) -> tuple[int, int]:
            return ready(timeout_s)

    return build_module("checkNet", {
        "CheckNetwork": CheckNetwork,
        "wait_network_connected": ready,
        "waitNetworkReady": ready,
        # what checkNet.py imports (sim and net are not in the table: bare modules)
        "sim": FirmwareModule("sim"),
        "net": FirmwareModule("net"),
        "utime": utime,
        "modem": modem,
        "dataCall": datacall,
        "Power": power,
    }, python=True)


def _modem(rt: DeviceRuntime) -> types.ModuleType:
    cfg = rt.config
    return build_module("modem", {
        "getDevFwVersion": lambda: cfg.firmware,
        "getDevImei": lambda: cfg.imei,
        "getDevModel": lambda: cfg.model,
        "getDevSN": lambda: "D1Q20" + cfg.imei[-8:],
        "getDevProductId": lambda: "Quectel",
    })


@firmware_type("misc", "Power")
class _Power(FirmwareObject):
    # no make_new: 0-argument functions called on the class (misc_power.c:88-92)
    @staticmethod
    def powerRestart() -> None:  # noqa: N802 (the firmware's names)
        raise ModuleRestart

    @staticmethod
    def powerDown() -> None:  # noqa: N802
        raise ModulePowerDown

    @staticmethod
    def powerOnReason() -> int:  # noqa: N802
        return 1  # power key

    @staticmethod
    def powerDownReason() -> int:  # noqa: N802
        return 1

    @staticmethod
    def getVbatt() -> int:  # noqa: N802
        return 3800  # mV


_Power._no_ctor = True


def _misc() -> types.ModuleType:
    return build_module("misc", {
        "Power": _Power,
        "replEnable": lambda flag, *rest: 0 if flag in (0, 1) else -1,
    })


def build_builtin_modules(rt: DeviceRuntime) -> dict[str, types.ModuleType]:
    """Every name `import` finds in the module's firmware."""
    ujson = _module("ujson", dumps=json.dumps, loads=json.loads, dump=json.dump,
                    load=json.load)
    plain = {
        "uhashlib": _uhashlib(),
        "ubinascii": _ubinascii(),
        "usocket": _usocket(),
        "utime": _utime(),
        "uzlib": _uzlib(),
        "ujson": ujson,
        "uerrno": _module("uerrno", **{k: v for k, v in vars(errno).items() if k.isupper()},
                          errorcode=errno.errorcode),
        "ustruct": _module("ustruct", pack=struct.pack, unpack=struct.unpack,
                           calcsize=struct.calcsize, pack_into=struct.pack_into,
                           unpack_from=struct.unpack_from),
        "uio": _module("uio", BytesIO=io.BytesIO, StringIO=io.StringIO),
        "ure": _module("ure", compile=re.compile, match=re.match, search=re.search,
                       sub=re.sub),
        "urandom": _module("urandom", getrandbits=random.getrandbits, randint=random.randint,
                           random=random.random, choice=random.choice, seed=random.seed),
        "ucollections": _module("ucollections", namedtuple=collections.namedtuple,
                                OrderedDict=collections.OrderedDict, deque=collections.deque),
        "math": math,
        "array": _module("array", array=array.array),
        "misc": _misc(),
    }
    dial = _dial(rt)
    plain.update(
        uos=_uos(rt),
        usys=_usys(rt),
        micropython=_micropython(rt),
        gc=_gc(rt),
        modem=_modem(rt),
        dial=dial,
        dataCall=_datacall(rt, dial, ujson),
    )
    plain["checkNet"] = _checknet(plain["utime"], plain["modem"], plain["dataCall"], _Power)
    return plain
