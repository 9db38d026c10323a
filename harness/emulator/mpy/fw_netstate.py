# The virtual module's cellular network, for the micropython engine: attached or not, and
# what that does to its sockets (harness/emulator/cpython_fw/network.py is the CPython
# engine's, with the same behaviour; each fact: firmware_surface.NETWORK_LOSS).
#   setModemFun(0) / (4): the network goes at once; every connected TCP socket is aborted:
#     its next recv or send raises ECONNABORTED, later ones ENOTCONN; a new connect raises
#     EHOSTUNREACH. The host socket stays open (the server hears nothing) until the module
#     is back, then it is reset (RST), as the module's lwIP answers a dead connection.
#   setModemFun(1): registration and the data call come back CONFIG["reattach_ms"] later.
# One interpreter is one module: the state is this module's globals.
import socket as _s
import struct as _struct
import time as _t

from fw_link import CONFIG as _CONFIG

# NETWORK_LOSS["socket.aborted_first"], ["socket.aborted_after"], ["socket.connect_offline"]
ECONNABORTED, ENOTCONN, EHOSTUNREACH = 103, 107, 113
FULL, MINIMUM, AIRPLANE = 1, 0, 4
REGISTERED, NOT_REGISTERED, SEARCHING = 1, 0, 2
_SO_LINGER = getattr(_s, "SO_LINGER", 13)  # 13: Linux, where this engine runs

_REATTACH_MS = int(_CONFIG.get("reattach_ms", 200))
_state = {"fun": FULL, "up": True, "back_at": None}
_connected = []  # usocket wrappers holding a TCP connection
_aborted = {}  # id(wrapper) -> [wrapper, ECONNABORTED raised yet, closed by the module]
_stranded = []  # aborted wrappers whose host socket stays open until the module is back


def modem_fun():
    return _state["fun"]


def set_modem_fun(level):
    if level in (MINIMUM, AIRPLANE):
        _state["fun"] = level
        _state["back_at"] = None
        if _state["up"]:
            _state["up"] = False
            _abort_connections()
        return 0
    if level == FULL:
        if _state["fun"] != FULL:
            _state["fun"] = FULL
            _state["back_at"] = _t.ticks_add(_t.ticks_ms(), _REATTACH_MS)
        _settle()
        return 0
    return -1


def up():
    _settle()
    return _state["up"]


def registration():
    _settle()
    if _state["up"]:
        return REGISTERED
    return SEARCHING if _state["back_at"] is not None else NOT_REGISTERED


def wait_up(timeout_ms):
    # checkNet's wait: the firmware polls; this sleeps the same span
    if up():
        return True
    back_at = _state["back_at"]
    if back_at is None or _t.ticks_diff(back_at, _t.ticks_ms()) > timeout_ms:
        _t.sleep_ms(timeout_ms)
        return up()
    _t.sleep_ms(max(0, _t.ticks_diff(back_at, _t.ticks_ms())))
    return up()


def _settle():
    back_at = _state["back_at"]
    if back_at is not None and _t.ticks_diff(_t.ticks_ms(), back_at) >= 0:
        _state["back_at"] = None
        _state["up"] = True
        _reset_stranded()


def connected(sock):
    # a TCP connection the module now holds (after connect or accept)
    _connected.append(sock)


def check(sock, operation):
    # raise the firmware's OSError for `operation` on `sock`, if the network says so
    _settle()
    entry = _aborted.get(id(sock))
    if entry is not None:
        reported = entry[1]
        entry[1] = True
        raise OSError(ENOTCONN if reported else ECONNABORTED)
    if operation == "connect" and not _state["up"]:
        raise OSError(EHOSTUNREACH)


def closing(sock):
    # the module closes `sock`: True if its host socket must stay open (no FIN to the
    # server for an aborted connection not yet reset)
    for i in range(len(_connected)):
        if _connected[i] is sock:
            del _connected[i]
            break
    entry = _aborted.get(id(sock))
    for held in _stranded:
        if held is sock:
            entry[2] = True  # forgotten once the module is back
            return True
    _aborted.pop(id(sock), None)  # closed for good: its id may be reused
    return False


def _abort_connections():
    for sock in _connected:
        _aborted[id(sock)] = [sock, False, False]
        _stranded.append(sock)
    del _connected[:]


def _reset_stranded():
    stranded = _stranded[:]
    del _stranded[:]
    for key in [k for k, entry in _aborted.items() if entry[2]]:
        del _aborted[key]
    for sock in stranded:
        host = sock._sock
        try:
            # a RST, not a FIN: the server must not take a cut upload for a whole one
            host.setsockopt(_s.SOL_SOCKET, _SO_LINGER, _struct.pack("ii", 1, 0))
        except OSError:
            pass
        host.close()
