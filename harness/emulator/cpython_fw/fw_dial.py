"""dial, the C module dataCall wraps (moddatacall.c:467-488; mpy/fw_dial.py is the
micropython engine's): the module's own address is its ModuleConfig's `ip`, while its
network (network.py) is up."""

from __future__ import annotations

import types

from ..config import ModuleConfig
from ..cpython_surface import build_module
from .network import NetworkState


def build(cfg: ModuleConfig, network: NetworkState) -> types.ModuleType:
    ip = cfg.ip

    def get_info(profile: int, ip_type: int = 0) -> tuple | int:
        # (profile, ip_version, [state, reconnect, ip, pri_dns, sec_dns]) for ipType 0;
        # a 4-tuple for ipType 2; addresses read "0.0.0.0" while the link is down
        # (moddatacall.c:226-310)
        if not 1 <= profile <= 8 or ip_type not in (0, 1, 2):
            raise ValueError("invalid value")
        up = 1 if ip and network.up else 0
        v4 = [up, 0, ip if up else "0.0.0.0", "8.8.8.8" if up else "0.0.0.0",
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
