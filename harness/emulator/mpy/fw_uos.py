# uos as the firmware offers it. Surface: /work/wt/notes/firmware_surface_draft.py `_uos`
# (QuecPython/microPython@e7c4b19d ports/quectel/core/source/moduos.c:149-186): no sep, no
# getfree, no dupterm (MICROPY_PY_OS_DUPTERM undefined), VfsLfs1 only on ASR/Unisoc.
import os as _os

import vfs as _vfs
from fw_link import CONFIG as _CONFIG

listdir = _os.listdir
ilistdir = _os.ilistdir
mkdir = _os.mkdir
rmdir = _os.rmdir
chdir = _os.chdir
getcwd = _os.getcwd
remove = _os.remove
rename = _os.rename
stat = _os.stat
statvfs = _os.statvfs
mount = _vfs.mount
umount = _vfs.umount
urandom = _os.urandom
VfsLfs1 = _vfs.VfsLfs1


def uname():
    # a plain 6-tuple of key=value strings (moduos.c:96-112)
    model = _CONFIG["model"]
    return ("sysname=" + model, "nodename=" + model, "release=1.13.0",
            "version=v1.13 on " + _CONFIG["build_date"], "machine=" + model + " with QUECTEL",
            "qpyver=V0001")


def uname2():
    return uname()
