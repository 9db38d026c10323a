"""The module's built-in names on the CPython engine: one file per firmware module.

    fw_usocket.py      usocket over CPython's socket
    net_path.py        how its sockets reach the network: the module's address, the carrier
    fw_uos.py          uos over the module's /usr (devfs.py)
    fw_utime.py        utime, ticks and the time zone
    fw_usys.py         usys: stdin from the link, the importer's path and modules
    fw_micropython.py  micropython: kbd_intr
    fw_modem.py        modem: the module's identity
    fw_misc.py         misc: Power (reboot, power down) and hardware stubs
    fw_dial.py         dial: the data call, the module's own address
    fw_net.py          net: the modem's functionality level (setModemFun) and registration
    fw_datacall.py     dataCall, frozen Python over dial
    fw_checknet.py     checkNet, frozen Python: is the network ready
    fw_uzlib.py        uzlib: decompress
    ulib.py            MicroPython's own modules (uhashlib, ujson, gc, ...), from CPython's
    board.py           Board: what they reach of the running module (DeviceRuntime is one)
    network.py         NetworkState: the module's network, which the sockets consult
    host_sockets.py    CPython's socket API on that network and path, for CPython's ftplib
                       (the firmware's own on this engine: one private copy per module)

Each fw_X.py here mirrors the micropython engine's mpy/fw_X.py and offers what QuecPython
offers and no more (firmware_surface.py, made real by cpython_surface.py).
build_builtin_modules() is the one entry point: the runtime calls it with itself.
"""

from __future__ import annotations

import types

from . import (
    fw_checknet,
    fw_datacall,
    fw_dial,
    fw_micropython,
    fw_misc,
    fw_modem,
    fw_net,
    fw_uos,
    fw_usocket,
    fw_usys,
    fw_utime,
    fw_uzlib,
)
from .board import Board
from .ulib import library_modules

__all__ = ["Board", "build_builtin_modules"]


def build_builtin_modules(board: Board) -> dict[str, types.ModuleType]:
    """Every name `import` finds in the module's firmware."""
    found = library_modules(board.text)
    network = board.network
    found.update(
        usocket=fw_usocket.build(network, board.plan),
        utime=fw_utime.build(),
        uzlib=fw_uzlib.build(),
        misc=fw_misc.build(),
        uos=fw_uos.build(board.fs, board.config),
        usys=fw_usys.build(board),
        micropython=fw_micropython.build(board),
        modem=fw_modem.build(board.config),
        dial=fw_dial.build(board.config, network),
        net=fw_net.build(network),
    )
    # the frozen Python modules import the C ones they stand on
    found["dataCall"] = fw_datacall.build(found["dial"], found["ujson"])
    found["checkNet"] = fw_checknet.build(found["utime"], found["modem"], found["dataCall"],
                                          found["net"], network)
    return found
