"""uzlib: decompress only, as on the firmware (mpy/fw_uzlib.py is the micropython
engine's, over newer MicroPython's deflate)."""

from __future__ import annotations

import types
import zlib

from .ulib import plain_module


def build() -> types.ModuleType:
    return plain_module("uzlib", decompress=lambda data, wbits=15: zlib.decompress(data, wbits))
