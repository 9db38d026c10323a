"""MicroPython's own modules, the same on the firmware, made from CPython's.

uhashlib, ubinascii, ujson, uerrno, ustruct, uio, ure, urandom, ucollections, math,
array and gc are MicroPython's, not QuecPython's (none is in firmware_surface.py): the
micropython engine gives the interpreter's own (mpy/runner.py), this engine CPython's
under the module's names, trimmed where a device script would notice (uhashlib has no
hexdigest()).
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
import random
import re
import struct
import types
from typing import Any


def plain_module(name: str, **attrs: Any) -> types.ModuleType:
    """A module outside the firmware table: exactly `attrs`, no argument checks."""
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
    return plain_module(
        "uhashlib",
        sha256=lambda data=b"": _Hash("sha256", data),
        sha1=lambda data=b"": _Hash("sha1", data),
        md5=lambda data=b"": _Hash("md5", data),
    )


def _ubinascii() -> types.ModuleType:
    def hexlify(data: bytes, sep: bytes | None = None) -> bytes:
        return binascii.hexlify(data, sep) if sep else binascii.hexlify(data)

    return plain_module(
        "ubinascii",
        hexlify=hexlify,
        unhexlify=binascii.unhexlify,
        a2b_base64=binascii.a2b_base64,
        b2a_base64=lambda data: binascii.b2a_base64(data),
        crc32=binascii.crc32,
    )


def _gc() -> types.ModuleType:
    heap = 512 * 1024

    def mem_alloc() -> int:
        return min(heap - 1024, 64 * 1024)

    return plain_module(
        "gc",
        collect=host_gc.collect,
        enable=host_gc.enable,
        disable=host_gc.disable,
        isenabled=host_gc.isenabled,
        mem_alloc=mem_alloc,
        mem_free=lambda: heap - mem_alloc(),
        threshold=lambda value=None: -1,
    )


def library_modules() -> dict[str, types.ModuleType]:
    """Each of MicroPython's own modules by the name `import` finds it under."""
    return {
        "uhashlib": _uhashlib(),
        "ubinascii": _ubinascii(),
        "ujson": plain_module("ujson", dumps=json.dumps, loads=json.loads, dump=json.dump,
                              load=json.load),
        "uerrno": plain_module("uerrno", **{k: v for k, v in vars(errno).items()
                                            if k.isupper()}, errorcode=errno.errorcode),
        "ustruct": plain_module("ustruct", pack=struct.pack, unpack=struct.unpack,
                                calcsize=struct.calcsize, pack_into=struct.pack_into,
                                unpack_from=struct.unpack_from),
        "uio": plain_module("uio", BytesIO=io.BytesIO, StringIO=io.StringIO),
        "ure": plain_module("ure", compile=re.compile, match=re.match, search=re.search,
                            sub=re.sub),
        "urandom": plain_module("urandom", getrandbits=random.getrandbits,
                                randint=random.randint, random=random.random,
                                choice=random.choice, seed=random.seed),
        "ucollections": plain_module("ucollections", namedtuple=collections.namedtuple,
                                     OrderedDict=collections.OrderedDict,
                                     deque=collections.deque),
        "math": math,
        "array": plain_module("array", array=array.array),
        "gc": _gc(),
    }
