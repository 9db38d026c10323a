"""Where the harness keeps its files on the module, and how the module marks
the lines the host reads back. The one home of these names on the host side.

    /usr/hil/*.py           the device steps (device_scripts/, minus ftplib.py)
    /usr/hil/lib/ftplib.py  our MicroPython ftplib ("bundled")
    /usr/hil/user/ftplib.py a user's own ftplib ("--ftplib=PATH")
    /usr/hil/run/           files the scenarios create; cleaned per test
    /usr/hil/cache/<sha>    payloads pushed once, named by content (sha256[:16])

The device scripts run on the module and cannot import this file: they keep their
own copies (FTPLIB_DIRS in hil_ftp.py, RESULT_PREFIX in hil_common.py), and
tests/test_layout.py checks that they still say the same.
"""

from __future__ import annotations

USR = "/usr"  # the module's user partition (littlefs); / is not writable
DEVICE_DIR = USR + "/hil"  # everything the harness puts on the module lives here
LIB_DIR = DEVICE_DIR + "/lib"  # the bundled ftplib
USER_DIR = DEVICE_DIR + "/user"  # a user's own ftplib
RUN_DIR = DEVICE_DIR + "/run"  # the only folder on the module the scenarios write to
CACHE_DIR = DEVICE_DIR + "/cache"  # pushed payloads, by content: never pushed twice
CACHE_NAME_CHARS = 16  # a cached file's name: the first hex digits of its sha256

# the ftplib kinds that live in a folder of their own, as hil_ftp.py names them
FTPLIB_DIRS = {"bundled": LIB_DIR, "user": USER_DIR}

# the device scripts the host imports on the module (device_scripts/)
STEPS_MODULE = "hil_ftp"  # every FTP step: upload, download, session, fill, net
GEN_MODULE = "hil_gen"  # payloads made on the module from a seed

RESULT_PREFIX = "HIL-RESULT "  # a device step's one result line (harness/wire/results.py)
VALUE_PREFIX = "HIL-VALUE "  # the line Device.eval_json reads, among any other output
SYNC_PREFIX = "HIL-SYNC-"  # the no-op RawRepl runs to know the module's output is read
