# uos as the firmware offers it. Surface: /work/wt/notes/firmware_surface_draft.py `_uos`
# (QuecPython/microPython@e7c4b19d ports/quectel/core/source/moduos.c:149-186): no sep, no
# getfree, no dupterm (MICROPY_PY_OS_DUPTERM undefined), VfsLfs1 only on ASR/Unisoc.
import os

import vfs
from fw_link import CONFIG

listdir = os.listdir
ilistdir = os.ilistdir
mkdir = os.mkdir
rmdir = os.rmdir
chdir = os.chdir
getcwd = os.getcwd
remove = os.remove
rename = os.rename
stat = os.stat
statvfs = os.statvfs
mount = vfs.mount
umount = vfs.umount
urandom = os.urandom
VfsLfs1 = vfs.VfsLfs1


def uname():
    # a plain 6-tuple of key=value strings (moduos.c:96-112)
    model = CONFIG["model"]
    return ("sysname=" + model, "nodename=" + model, "release=1.13.0",
            "version=v1.13 on " + CONFIG["build_date"], "machine=" + model + " with QUECTEL",
            "qpyver=V0001")


def uname2():
    return uname()
