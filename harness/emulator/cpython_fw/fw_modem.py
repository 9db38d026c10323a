"""modem: the module's identity, from its ModuleConfig (mpy/fw_modem.py is the micropython
engine's). Surface: firmware_surface.py (moddev.c)."""

from __future__ import annotations

import types

from ..config import ModuleConfig
from ..cpython_surface import build_module


def build(cfg: ModuleConfig) -> types.ModuleType:
    return build_module("modem", {
        "getDevFwVersion": lambda: cfg.firmware,
        "getDevImei": lambda: cfg.imei,
        "getDevModel": lambda: cfg.model,
        "getDevSN": lambda: "D1Q20" + cfg.imei[-8:],
        "getDevProductId": lambda: "Quectel",
    })
