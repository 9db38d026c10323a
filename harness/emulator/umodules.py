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


# -- usocket ---------------------------------------------------------------


def _os_error(exc: OSError) -> OSError:
    if isinstance(exc, TimeoutError | host_socket.timeout):
        return OSError(errno.ETIMEDOUT)
    return OSError(exc.errno or errno.EIO)


class DeviceSocket:
    """A usocket socket: CPython's, with MicroPython's surface and errors."""

    def __init__(self, af: int = host_socket.AF_INET, kind: int = host_socket.SOCK_STREAM,
                 proto: int = 0, _sock: host_socket.socket | None = None) -> None:
        self._sock = _sock or host_socket.socket(af, kind, proto)

    def _call(self, name: str, *args: Any) -> Any:
        try:
            return getattr(self._sock, name)(*args)
        except OSError as exc:
            raise _os_error(exc) from None

    def connect(self, addr: tuple) -> None:
        self._call("connect", addr)

    def bind(self, addr: tuple) -> None:
        self._call("bind", addr)

    def listen(self, backlog: int = 1) -> None:
        self._call("listen", backlog)

    def accept(self) -> tuple[DeviceSocket, tuple]:
        conn, addr = self._call("accept")
        return DeviceSocket(_sock=conn), addr

    def send(self, data: bytes) -> int:
        return self._call("send", data)

    def sendall(self, data: bytes) -> None:
        self._call("sendall", data)

    def write(self, data: bytes) -> int:
        self._call("sendall", data)
        return len(data)

    def recv(self, size: int) -> bytes:
        return self._call("recv", size)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks: list[bytes] = []
            while True:
                chunk = self.recv(4096)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
        return self.recv(size)

    def readinto(self, buf: bytearray, size: int | None = None) -> int:
        view = memoryview(buf)[: size or len(buf)]
        return self._call("recv_into", view)

    def readline(self) -> bytes:
        # unbuffered, byte by byte, as the module does
        line = bytearray()
        while True:
            ch = self.recv(1)
            if not ch:
                break
            line += ch
            if ch == b"\n":
                break
        return bytes(line)

    def makefile(self, mode: str = "rb", buffering: int = 0) -> DeviceSocket:
        return self

    def settimeout(self, value: float | None) -> None:
        self._sock.settimeout(value)

    def setblocking(self, flag: bool) -> None:
        self._sock.setblocking(flag)

    def setsockopt(self, level: int, opt: int, value: Any) -> None:
        self._call("setsockopt", level, opt, value)

    def getsockname(self) -> tuple:
        return self._call("getsockname")

    def close(self) -> None:
        self._sock.close()

    def fileno(self) -> int:
        return self._sock.fileno()


def _usocket() -> types.ModuleType:
    def getaddrinfo(host: str, port: int, af: int = 0, kind: int = 0, proto: int = 0,
                    flags: int = 0) -> list[tuple]:
        try:
            infos = host_socket.getaddrinfo(host, port, host_socket.AF_INET,
                                            kind or host_socket.SOCK_STREAM)
        except OSError:
            raise OSError(-2) from None  # what lwIP answers for an unknown host
        return [(fam, typ, pro, canon, addr) for fam, typ, pro, canon, addr in infos]

    return _module(
        "usocket",
        socket=DeviceSocket,
        getaddrinfo=getaddrinfo,
        AF_INET=host_socket.AF_INET,
        AF_INET6=host_socket.AF_INET6,
        SOCK_STREAM=host_socket.SOCK_STREAM,
        SOCK_DGRAM=host_socket.SOCK_DGRAM,
        SOCK_RAW=host_socket.SOCK_RAW,
        IPPROTO_TCP=host_socket.IPPROTO_TCP,
        IPPROTO_UDP=host_socket.IPPROTO_UDP,
        SOL_SOCKET=host_socket.SOL_SOCKET,
        SO_REUSEADDR=host_socket.SO_REUSEADDR,
    )


# -- utime -----------------------------------------------------------------

_TICKS_PERIOD = 1 << 30


def _utime() -> types.ModuleType:
    def ticks_ms() -> int:
        return int((time.monotonic() - _BOOT) * 1000) % _TICKS_PERIOD

    def ticks_us() -> int:
        return int((time.monotonic() - _BOOT) * 1_000_000) % _TICKS_PERIOD

    def ticks_diff(new: int, old: int) -> int:
        diff = (new - old) % _TICKS_PERIOD
        return diff - _TICKS_PERIOD if diff >= _TICKS_PERIOD // 2 else diff

    def ticks_add(ticks: int, delta: int) -> int:
        return (ticks + delta) % _TICKS_PERIOD

    return _module(
        "utime",
        ticks_ms=ticks_ms,
        ticks_us=ticks_us,
        ticks_diff=ticks_diff,
        ticks_add=ticks_add,
        sleep=time.sleep,
        sleep_ms=lambda ms: time.sleep(ms / 1000),
        sleep_us=lambda us: time.sleep(us / 1_000_000),
        time=lambda: int(time.time()),
        localtime=lambda secs=None: tuple(time.localtime(secs))[:8],
        mktime=lambda t: int(time.mktime(tuple(t) + (0,) * (9 - len(t)))),
    )


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

    return _module(
        "uos",
        listdir=fs.listdir,
        ilistdir=ilistdir,
        stat=fs.stat,
        remove=fs.remove,
        mkdir=fs.mkdir,
        rmdir=fs.rmdir,
        rename=fs.rename,
        chdir=fs.chdir,
        getcwd=lambda: fs.cwd,
        statvfs=fs.statvfs,
        uname=uname,
        urandom=os.urandom,
        sep="/",
    )


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


def _checknet() -> types.ModuleType:
    return _module("checkNet", waitNetworkReady=lambda timeout=60: (3, 1))


def _modem(rt: DeviceRuntime) -> types.ModuleType:
    cfg = rt.config
    return _module(
        "modem",
        getDevFwVersion=lambda: cfg.firmware,
        getDevImei=lambda: cfg.imei,
        getDevModel=lambda: cfg.model,
        getDevSN=lambda: "D1Q20" + cfg.imei[-8:],
    )


def _misc() -> types.ModuleType:
    def power_restart() -> None:
        raise ModuleRestart

    def power_down() -> None:
        raise ModulePowerDown

    power = types.SimpleNamespace(powerRestart=power_restart, powerDown=power_down)
    return _module("misc", Power=power)


def build_builtin_modules(rt: DeviceRuntime) -> dict[str, types.ModuleType]:
    """Every name `import` finds in the module's firmware."""
    plain = {
        "uhashlib": _uhashlib(),
        "ubinascii": _ubinascii(),
        "usocket": _usocket(),
        "utime": _utime(),
        "uzlib": _uzlib(),
        "ujson": _module("ujson", dumps=json.dumps, loads=json.loads, dump=json.dump,
                         load=json.load),
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
        "checkNet": _checknet(),
        "misc": _misc(),
    }
    plain.update(
        uos=_uos(rt),
        usys=_usys(rt),
        micropython=_micropython(rt),
        gc=_gc(rt),
        modem=_modem(rt),
    )
    return plain
