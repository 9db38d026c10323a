"""net, the cellular network (modnet.c; mpy/fw_net.py is the micropython engine's).

setModemFun / getModemFun / getState act on the module's NetworkState (network.py); the
radio queries the virtual module has no answer for return -1, the firmware's answer when
its Helios call fails; setApn / getApn answer 'NOT SUPPORT' as off PLAT_ASR.
Surface and behaviour: firmware_surface.py `_net` and NETWORK_LOSS.
"""

from __future__ import annotations

import types

from ..cpython_surface import build_module
from .network import NetworkState

NOT_SUPPORT = "NOT SUPPORT"  # modnet.c:995-996, 1019-1020 off PLAT_ASR
_LAC, _CID, _ACT_LTE = 0x5A2D, 0x0D3B2C01, 7  # the virtual module's cell


def build(network: NetworkState) -> types.ModuleType:
    def set_modem_fun(level: int, rst: int = 0) -> int:
        if rst:  # applies at the next boot (NETWORK_LOSS["modem.levels"]): nothing now
            return 0
        return network.set_modem_fun(level)

    def get_state() -> tuple[list[int], list[int]]:
        # ([voice stat, lac, cid, act, reject, psc], [data ...]) (modnet.c:335-356)
        stat = network.registration()
        return ([stat, _LAC, _CID, _ACT_LTE, 0, 0], [stat, _LAC, _CID, _ACT_LTE, 0, 0])

    def csq() -> int:
        return 24 if network.up else 99  # 99: not detectable (3GPP TS 27.007 +CSQ), radio off

    return build_module("net", {
        "setModemFun": set_modem_fun,
        "getModemFun": lambda: network.modem_fun,
        "getState": get_state,
        "csqQueryPoll": csq,
        "setCallback": lambda handler: 0,  # registered; the virtual module never calls it
        "setApn": lambda apn, simid: NOT_SUPPORT,
        "getApn": lambda simid: NOT_SUPPORT,
        **{name: (lambda *args: -1) for name in (
            "getConfig", "setConfig", "nitzTime", "operatorName", "getNetMode", "getSignal",
            "getCellInfo", "getCi", "getLac", "getMnc", "getMcc", "getServingCi",
            "getServingLac", "getServingMnc", "getServingMcc")},
    })
