# dial, the C module dataCall wraps: /work/wt/notes/firmware_surface_draft.py `_dial`
# (moddatacall.c:467-481). getInfo's shape is moddatacall.c:277-307.
import fw_netstate as _net
from fw_link import CONFIG as _CONFIG

_PROFILES = (1, 7)


def getInfo(profileIdx, ipType):
    if not _PROFILES[0] <= profileIdx <= _PROFILES[1] or not 0 <= ipType <= 2:
        raise ValueError("invalid value")  # moddatacall.c:241-248
    # the module's own address (ModuleConfig.ip); "" is no data call, and so is a network
    # that went (NETWORK_LOSS["datacall.detached"]): addresses "0.0.0.0"
    ip = _CONFIG.get("ip", "")
    up = 1 if ip and _net.up() else 0
    v4 = [up, 0, ip if up else "0.0.0.0", "8.8.8.8" if up else "0.0.0.0",
          "114.114.114.114" if up else "0.0.0.0"]
    if ipType == 2:
        return (profileIdx, 2, v4, [0, 0, "::", "::", "::"])
    return (profileIdx, ipType, v4)


def start(profileIdx, ipType, apn, username, password, authType):
    return 0


def setAutoConnect(profileIdx, enable):
    return 0


def setCallback(callback):
    return 0


def recordApn(profileIdx, ipType, apn, username, password, authType, enable):
    return 0


def setAsynMode(mode):
    return 0


def getPdpRange():
    return _PROFILES


def getApn(simid, *pid):
    return ""


def setDnsserver(profileIdx, simid, priDns, secDns):
    return 0
