# net, the cellular network: firmware_surface.py `_net` (modnet.c:1119-1151) and
# NETWORK_LOSS; cpython_fw/fw_net.py is the CPython engine's. setModemFun, getModemFun and
# getState act on fw_netstate; the radio queries the virtual module has no answer for
# return -1 (the firmware's answer when its Helios call fails); setApn / getApn answer
# 'NOT SUPPORT' as off PLAT_ASR (modnet.c:995-996, 1019-1020).
import fw_netstate as _net

_NOT_SUPPORT = "NOT SUPPORT"
_LAC, _CID, _ACT_LTE = 0x5A2D, 0x0D3B2C01, 7  # the virtual module's cell


def __qpy_module_deinit__():
    return 0


def setModemFun(fun, rst=0):
    if rst:  # applies at the next boot (NETWORK_LOSS["modem.levels"]): nothing now
        return 0
    return _net.set_modem_fun(fun)


def getModemFun():
    return _net.modem_fun()


def getState():
    # ([voice stat, lac, cid, act, reject, psc], [data ...]) (modnet.c:335-356)
    stat = _net.registration()
    return ([stat, _LAC, _CID, _ACT_LTE, 0, 0], [stat, _LAC, _CID, _ACT_LTE, 0, 0])


def csqQueryPoll():
    return 24 if _net.up() else 99  # 99: not detectable (3GPP TS 27.007 +CSQ), radio off


def setCallback(handler):
    return 0  # registered; the virtual module never calls it


def setApn(apn, simid):
    return _NOT_SUPPORT


def getApn(simid):
    return _NOT_SUPPORT


def setConfig(mode, roaming=0):
    return -1


def getConfig():
    return -1


def nitzTime():
    return -1


def operatorName():
    return -1


def getNetMode():
    return -1


def getSignal():
    return -1


def getCellInfo():
    return -1


def getCi():
    return -1


def getLac():
    return -1


def getMnc():
    return -1


def getMcc():
    return -1


def getServingCi():
    return -1


def getServingLac():
    return -1


def getServingMnc():
    return -1


def getServingMcc():
    return -1
