"""dataCall, frozen Python over dial (ports/quectel/core/dataCall.py; mpy/fw_datacall.py
is the micropython engine's)."""

from __future__ import annotations

import types

from ..cpython_surface import build_module


def build(dial: types.ModuleType, ujson: types.ModuleType) -> types.ModuleType:
    # dial and ujson are what dataCall.py imports: dir(dataCall) shows them
    return build_module("dataCall", {
        "getInfo": lambda profile, ip_type: dial.getInfo(profile, ip_type),
        "getApn": lambda *args: dial.getApn(*args),
        "dial": dial,
        "ujson": ujson,
    }, python=True)
