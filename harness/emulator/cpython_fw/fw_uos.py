"""uos as the firmware offers it, over the module's filesystem (devfs.py); mpy/fw_uos.py
is the micropython engine's.

Surface: firmware_surface.py (moduos.c): no sep, no getfree, no dupterm. uname() answers
with key=value strings; file errors carry a bare errno (devfs.py).
"""

from __future__ import annotations

import os
import types

from ..config import ModuleConfig
from ..cpython_surface import build_module
from ..devfs import DeviceFs


def build(fs: DeviceFs, cfg: ModuleConfig) -> types.ModuleType:
    def ilistdir(path: str = ""):
        for name in fs.listdir(path):
            full = fs.virtual((path or fs.cwd).rstrip("/") + "/" + name)
            st = fs.stat(full)
            yield (name, st[0], 0, st[6])

    def uname() -> tuple[str, ...]:
        return (
            "sysname=%s" % cfg.model,
            "nodename=%s" % cfg.model,
            "release=1.13.0",
            "version=v1.13 on %s" % cfg.build_date,
            "machine=%s with QUECTEL" % cfg.model,
            "qpyver=V0001",
        )

    def uname2() -> types.SimpleNamespace:
        # the attribute tuple (moduos.c:41-77)
        fields = [part.split("=", 1) for part in uname()]
        return types.SimpleNamespace(**{k: v for k, v in fields})

    return build_module("uos", {
        "listdir": fs.listdir,
        "ilistdir": ilistdir,
        "stat": fs.stat,
        "remove": fs.remove,
        "mkdir": fs.mkdir,
        "rmdir": fs.rmdir,
        "rename": fs.rename,
        "chdir": fs.chdir,
        "getcwd": lambda: fs.cwd,
        "statvfs": fs.statvfs,
        "uname": uname,
        "uname2": uname2,
        "urandom": os.urandom,
        # mount, umount and VfsLfs1 are stubs: /usr is mounted at boot
    })
