"""The Python-visible surface of QuecPython firmware: one table, engine-neutral data.

What a script on the module can reach in usocket, uos, utime, modem, misc, dataCall (+ the
C module `dial` it wraps), checkNet and net, with the argument counts that the firmware's C
sources declare.  Every entry carries the place the fact was read from. NETWORK_LOSS, at
the end, is behaviour rather than names: what the firmware does when its network goes.

Source tree: github QuecPython/microPython, commit e7c4b19d (2021-12-09, MicroPython core
1.13.0: py/mpconfig.h:31-33).  Argument counts are *positional* counts as Python sees them;
for methods `self` is NOT counted (the C macros count it, so 1 is subtracted).  `max_args`
None means unbounded (a VAR / KW declaration without an upper bound).

Conventions for `platforms`: the port compiles some names only for some chip families
(PLAT_ASR, PLAT_Unisoc, PLAT_RDA, PLAT_Qualcomm); "all" means unconditional.

TEXT (below SURFACE's modules) is how the build keeps a str: the legacy build has no unicode
strings, the newer port QuecPython/micropython has them; each fact with its lines in both.

This file is data only: nothing here is firmware code, only descriptions of it. It was built
from a research helper's reading of the sources (the notes beside the issue-12 work); both
engines of the virtual module (CPython: harness/emulator/cpython_fw/; a real MicroPython
interpreter: harness/emulator/mpy/) take their surface from it, and
tests/test_micropython_gate.py checks device code's attribute uses against it.

The build the virtual module emulates is BUILD: an EC600U (PLAT_Unisoc) on CURRENT
firmware. `on_build` says whether BUILD offers a name; `platforms` says which builds do.
Decisions where the issue's list and the sources differ (the sources win):
- uos.dupterm / dupterm_notify / VfsLfs2 / VfsFat / VfsEfs, modem.backup / setUSBMode,
  misc.Temperature and PWM.PWM1-3 are off BUILD (compile flags or platform: see entries).
- dataCall has no getPdpRange and no `dial()` function at e7c4b19d (dataCall.dial is the
  imported C module, whose getPdpRange is reachable as dataCall.dial.getPdpRange).
- checkNet at e7c4b19d has wait_network_connected only; CURRENT firmware also offers
  waitNetworkReady (QuecPython/quecpython_api_stubs@1eef066d quecpython_stubs/checkNet.pyi),
  which our device scripts use: it is on BUILD.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

REPO = "QuecPython/microPython"
COMMIT = "e7c4b19d"  # e7c4b19d14737a2a8742028030408ef25e565fa5
FTPLIB_REPO = "QuecPython/ftplib"
FTPLIB_COMMIT = "6d957e96"  # 6d957e960cdb0d9bb52e8c74c74fed7cebc35cc5

BUILD = "EC600U (PLAT_Unisoc), current QuecPython firmware (MicroPython core 1.13)"

SRC = "ports/quectel/core/source/"
CORE = "ports/quectel/core/"

Kind = Literal["function", "method", "staticmethod", "const", "class", "module"]


def at(path: str, line: int, what: str) -> str:
    """A `source` string: repository@commit:path:line (declaration)."""
    return f"{REPO}@{COMMIT}:{path}:{line} ({what})"


@dataclass(frozen=True)
class Entry:
    """One name: a callable with its positional-argument range, a constant or a sub-object."""

    kind: Kind
    source: str
    min_args: int | None = None
    max_args: int | None = None  # None with a callable: unbounded
    keywords: bool = False  # accepts keyword arguments
    platforms: str = "all"
    note: str = ""
    on_build: bool = True  # BUILD (EC600U, PLAT_Unisoc, current firmware) offers it


@dataclass(frozen=True)
class ClassSurface:
    """A type exposed by a module (usocket.socket, misc.Power, ...)."""

    source: str
    ctor: tuple[int, int | None] | None  # None: cannot be instantiated from Python
    members: dict[str, Entry]
    platforms: str = "all"
    note: str = ""
    on_build: bool = True


@dataclass(frozen=True)
class ModuleSurface:
    """One importable module."""

    implemented_in: Literal["C", "frozen Python"]
    source: str  # the globals table (C) or the .py file (frozen)
    names: dict[str, Entry]
    classes: dict[str, ClassSurface] = field(default_factory=dict)
    platforms: str = "all"
    note: str = ""


def fn(lo: int, hi: int | None, source: str, **kw: object) -> Entry:
    return Entry("function", source, lo, hi, **kw)  # type: ignore[arg-type]


def meth(lo: int, hi: int | None, source: str, **kw: object) -> Entry:
    return Entry("method", source, lo, hi, **kw)  # type: ignore[arg-type]


def const(source: str, **kw: object) -> Entry:
    return Entry("const", source, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# usocket  (ports/quectel/core/source/modsocket.c, globals table at lines 1178-1196)
# --------------------------------------------------------------------------------------------

_SOCK = SRC + "modsocket.c"
_STREAM = "py/stream.c"

_socket_members: dict[str, Entry] = {
    # stream close is shared by close and __del__ (registered at modsocket.c:1027-1028)
    "close": meth(0, 0, at(_STREAM, 436, "MP_DEFINE_CONST_FUN_OBJ_1 mp_stream_close_obj"),
                  note="registered at modsocket.c:1028; ioctl CLOSE sets fd=-1, a second close "
                       "is a no-op (modsocket.c:1000-1020)"),
    "__del__": meth(0, 0, at(_STREAM, 436, "MP_DEFINE_CONST_FUN_OBJ_1 mp_stream_close_obj")),
    "bind": meth(1, 1, at(_SOCK, 377, "MP_DEFINE_CONST_FUN_OBJ_2 socket_bind_obj"),
                 note="addr tuple is resolved with getaddrinfo and handed to lwip_bind as it "
                      "is (modsocket.c:362-376): a listener bound to the module's address "
                      "is reached there; OSError on failure"),
    "listen": meth(1, 1, at(_SOCK, 392, "MP_DEFINE_CONST_FUN_OBJ_2 socket_listen_obj"),
                   note="backlog is REQUIRED (no default)"),
    "accept": meth(0, 0, at(_SOCK, 447, "MP_DEFINE_CONST_FUN_OBJ_1 socket_accept_obj"),
                   note="returns (socket, (peer ip_str, port)) (modsocket.c:439-443), the "
                        "new socket blocking (modsocket.c:436); EAGAIN when non-blocking, "
                        "ETIMEDOUT after a timeout (modsocket.c:420-425)"),
    "connect": meth(1, 1, at(_SOCK, 534, "MP_DEFINE_CONST_FUN_OBJ_2 socket_connect_obj"),
                    note="with 0 < timeout < 25 s: non-blocking connect + select, ETIMEDOUT "
                         "on expiry (modsocket.c:480-519); otherwise a blocking connect"),
    "send": meth(1, 1, at(_SOCK, 852, "MP_DEFINE_CONST_FUN_OBJ_2 socket_send_obj"),
                 note="returns bytes sent; ETIMEDOUT if nothing could be sent"),
    "sendall": meth(1, 1, at(_SOCK, 866, "MP_DEFINE_CONST_FUN_OBJ_2 socket_sendall_obj"),
                    note="None; ETIMEDOUT if only part was sent"),
    "sendto": meth(2, 2, at(_SOCK, 905, "MP_DEFINE_CONST_FUN_OBJ_3 socket_sendto_obj"),
                   note="IPv4 only (sin_family forced to AF_INET, modsocket.c:880)"),
    "recv": meth(1, 1, at(_SOCK, 800, "MP_DEFINE_CONST_FUN_OBJ_2 socket_recv_obj"),
                 note="see notes: peer FIN -> OSError(ENOTCONN) (modsocket.c:747-757)"),
    "recvfrom": meth(1, 1, at(_SOCK, 815, "MP_DEFINE_CONST_FUN_OBJ_2 socket_recvfrom_obj"),
                     note="returns (bytes, (ip_str, port)), IPv4 formatting"),
    "setsockopt": meth(3, 3, at(_SOCK, 625, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                            "socket_setsockopt_obj, 4, 4 (incl. self)"),
                       note="level ignored; only SO_REUSEADDR, TCP_KEEPALIVE (minutes) and "
                            "20 (event callback) act; others print a warning and return None"),
    "settimeout": meth(1, 1, at(_SOCK, 663, "MP_DEFINE_CONST_FUN_OBJ_2 socket_settimeout_obj"),
                       note="None = blocking; seconds as float"),
    "setblocking": meth(1, 1, at(_SOCK, 674, "MP_DEFINE_CONST_FUN_OBJ_2 "
                                             "socket_setblocking_obj")),
    "makefile": meth(0, 2, at(_SOCK, 917, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                          "socket_makefile_obj, 1, 3 (incl. self)"),
                     note="returns the socket object itself; mode/buffering ignored "
                          "(modsocket.c:913-916)"),
    "fileno": meth(0, 0, at(_SOCK, 911, "MP_DEFINE_CONST_FUN_OBJ_1 socket_fileno_obj")),
    "getsocketsta": meth(0, 0, at(_SOCK, 927, "MP_DEFINE_CONST_FUN_OBJ_1 socket_getstate_obj"),
                         note="int lwIP TCP state (lwip_getTcpState)"),
    # generic stream methods (registered at modsocket.c:1045-1048)
    "read": meth(0, 1, at(_STREAM, 229, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                        "mp_stream_read_obj, 1, 2 (incl. self)"),
                 note="read() = read all until EOF; QuecPython patch: read(n) returns the "
                      "data so far instead of raising when errno is 107/ENOTCONN "
                      "(py/stream.c:203)"),
    "readinto": meth(1, 2, at(_STREAM, 309, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                            "mp_stream_readinto_obj, 2, 3 (incl. self)")),
    "readline": meth(0, 1, at(_STREAM, 403, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                            "mp_stream_unbuffered_readline_obj, 1, 2 "
                                            "(incl. self)"),
                     note="unbuffered, 1 byte per read; the optional arg is a byte limit"),
    "write": meth(1, 3, at(_STREAM, 274, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                         "mp_stream_write_obj, 2, 4 (incl. self)"),
                  note="write(buf) / write(buf, max_len) / write(buf, off, max_len)"),
}

_usocket = ModuleSurface(
    implemented_in="C",
    source=at(_SOCK, 1178, "mp_module_socket_globals_table"),
    names={
        "__init__": fn(0, 0, at(_SOCK, 1176, "MP_DEFINE_CONST_FUN_OBJ_0 socket_initialize_obj")),
        "socket": Entry("class", at(_SOCK, 1178, "globals table: socket -> socket_type "
                                                 "(defined at 1058)")),
        "getaddrinfo": fn(2, 6, at(_SOCK, 1165, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                                "socket_getaddrinfo_obj, 2, 6"),
                          note="args 3..6 accepted and ignored; a failed lookup returns [] "
                               "(return code unused, modsocket.c:1110)"),
        "AF_INET": const(at(_SOCK, 1184, "MP_ROM_INT(AF_INET)")),
        "AF_INET6": const(at(_SOCK, 1185, "MP_ROM_INT(AF_INET6)")),
        "SOCK_STREAM": const(at(_SOCK, 1186, "MP_ROM_INT(SOCK_STREAM)")),
        "SOCK_DGRAM": const(at(_SOCK, 1187, "MP_ROM_INT(SOCK_DGRAM)")),
        "SOCK_RAW": const(at(_SOCK, 1188, "MP_ROM_INT(SOCK_RAW)")),
        "IPPROTO_TCP": const(at(_SOCK, 1189, "MP_ROM_INT(IPPROTO_TCP)")),
        "IPPROTO_UDP": const(at(_SOCK, 1190, "MP_ROM_INT(IPPROTO_UDP)")),
        "IPPROTO_IP": const(at(_SOCK, 1191, "MP_ROM_INT(IPPROTO_IP)")),
        "SOL_SOCKET": const(at(_SOCK, 1192, "MP_ROM_INT(SOL_SOCKET)")),
        "SO_REUSEADDR": const(at(_SOCK, 1193, "MP_ROM_INT(SO_REUSEADDR)")),
        "TCP_KEEPALIVE": const(at(_SOCK, 1194, "MP_ROM_INT(TCP_KEEPALIVE)")),
        "IP_ADD_MEMBERSHIP": const(at(_SOCK, 1195, "MP_ROM_INT(IP_ADD_MEMBERSHIP)"),
                                   note="constant only: the setsockopt case is commented out "
                                        "(modsocket.c:603-617)"),
    },
    classes={
        "socket": ClassSurface(
            source=at(_SOCK, 1058, "socket_type, locals table at 1026-1049"),
            ctor=(0, 3),  # modsocket.c:245 mp_arg_check_num(..., 0, 3, false): no keywords
            members=_socket_members,
            note="socket(af=AF_INET, type=SOCK_STREAM, proto=0), modsocket.c:244-259. "
                 "A new socket is bound to the data call's address, port 0, where the "
                 "current PDP's netif exists (modsocket.c:276-312: Unisoc and RDA always, "
                 "ASR only without a default netif, 277-279; not on Qualcomm, 272-274): "
                 "its connections come from the module's own address (dataCall.getInfo). "
                 "No getsockname/getpeername/shutdown/recv_into/family attribute.",
        ),
    },
    note="Constant values come from the platform lwIP headers (Helios SDK), not in this tree.",
)

# --------------------------------------------------------------------------------------------
# uos  (ports/quectel/core/source/moduos.c, globals table at lines 149-186; VFS functions in
# extmod/vfs.c)
# --------------------------------------------------------------------------------------------

_UOS = SRC + "moduos.c"
_VFS = "extmod/vfs.c"
_LFSX = "extmod/vfs_lfsx.c"

_vfs_lfs1_members: dict[str, Entry] = {
    "mkfs": Entry("staticmethod", at(_LFSX, 268, "MP_DEFINE_CONST_STATICMETHOD_OBJ mkfs_obj "
                                                 "over FUN_OBJ_KW min 0 at 267"), 0, None,
                  keywords=True),
    "open": meth(2, 2, at(_LFSX, 271, "MP_DEFINE_CONST_FUN_OBJ_3 open_obj")),
    "ilistdir": meth(0, 1, at(_LFSX, 335, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN ilistdir_obj, "
                                          "1, 2 (incl. self)")),
    "remove": meth(1, 1, at(_LFSX, 346, "MP_DEFINE_CONST_FUN_OBJ_2 remove_obj")),
    "rmdir": meth(1, 1, at(_LFSX, 357, "MP_DEFINE_CONST_FUN_OBJ_2 rmdir_obj")),
    "rename": meth(2, 2, at(_LFSX, 376, "MP_DEFINE_CONST_FUN_OBJ_3 rename_obj")),
    "mkdir": meth(1, 1, at(_LFSX, 387, "MP_DEFINE_CONST_FUN_OBJ_2 mkdir_obj")),
    "chdir": meth(1, 1, at(_LFSX, 455, "MP_DEFINE_CONST_FUN_OBJ_2 chdir_obj")),
    "getcwd": meth(0, 0, at(_LFSX, 466, "MP_DEFINE_CONST_FUN_OBJ_1 getcwd_obj")),
    "stat": meth(1, 1, at(_LFSX, 505, "MP_DEFINE_CONST_FUN_OBJ_2 stat_obj")),
    "statvfs": meth(1, 1, at(_LFSX, 541, "MP_DEFINE_CONST_FUN_OBJ_2 statvfs_obj")),
    "mount": meth(2, 2, at(_LFSX, 561, "MP_DEFINE_CONST_FUN_OBJ_3 mount_obj")),
    "umount": meth(0, 0, at(_LFSX, 569, "MP_DEFINE_CONST_FUN_OBJ_1 umount_obj")),
}

_uos = ModuleSurface(
    implemented_in="C",
    source=at(_UOS, 149, "os_module_globals_table"),
    names={
        "uname": fn(0, 0, at(_UOS, 116, "MP_DEFINE_CONST_FUN_OBJ_0 os_uname_obj"),
                    note="plain 6-tuple of 'key=value' strings: sysname=, nodename=, release=, "
                         "version=, machine=, qpyver= (moduos.c:96-112)"),
        "uname2": fn(0, 0, at(_UOS, 77, "MP_DEFINE_CONST_FUN_OBJ_0 os_uname2_obj"),
                     note="attribute tuple (sysname, nodename, release, version, machine, "
                          "qpyver) (moduos.c:41-63)"),
        "urandom": fn(1, 1, at(_UOS, 132, "MP_DEFINE_CONST_FUN_OBJ_1 os_urandom_obj")),
        "dupterm": fn(1, 2, "extmod/uos_dupterm.c:199 (MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                            "mp_uos_dupterm_obj, 1, 2); listed at moduos.c:155",
                      on_build=False,
                      platforms="only if MICROPY_PY_OS_DUPTERM (NOT defined anywhere in this "
                                "tree -> absent)"),
        "dupterm_notify": fn(1, 1, at(_UOS, 146, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                                 "os_dupterm_notify_obj"),
                             on_build=False,
                             platforms="only if MICROPY_PY_OS_DUPTERM (absent, as dupterm)"),
        "ilistdir": fn(0, 1, at(_VFS, 485, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                           "mp_vfs_ilistdir_obj, 0, 1"),
                       note="yields (name, type 0x4000/0x8000, 0, size) (vfs_lfsx.c:297-305)"),
        "listdir": fn(0, 1, at(_VFS, 496, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                          "mp_vfs_listdir_obj, 0, 1")),
        "mkdir": fn(1, 1, at(_VFS, 516, "MP_DEFINE_CONST_FUN_OBJ_1 mp_vfs_mkdir_obj")),
        "rmdir": fn(1, 1, at(_VFS, 572, "MP_DEFINE_CONST_FUN_OBJ_1 mp_vfs_rmdir_obj")),
        "chdir": fn(1, 1, at(_VFS, 397, "MP_DEFINE_CONST_FUN_OBJ_1 mp_vfs_chdir_obj")),
        "getcwd": fn(0, 0, at(_VFS, 417, "MP_DEFINE_CONST_FUN_OBJ_0 mp_vfs_getcwd_obj")),
        "remove": fn(1, 1, at(_VFS, 534, "MP_DEFINE_CONST_FUN_OBJ_1 mp_vfs_remove_obj")),
        "rename": fn(2, 2, at(_VFS, 556, "MP_DEFINE_CONST_FUN_OBJ_2 mp_vfs_rename_obj")),
        "stat": fn(1, 1, at(_VFS, 587, "MP_DEFINE_CONST_FUN_OBJ_1 mp_vfs_stat_obj"),
                   note="10-tuple (mode, 0, 0, 0, 0, 0, size, mtime, mtime, mtime); LFS1 has "
                        "no timestamps so mtime = 0 (vfs_lfsx.c:477-503)"),
        "statvfs": fn(1, 1, at(_VFS, 620, "MP_DEFINE_CONST_FUN_OBJ_1 mp_vfs_statvfs_obj"),
                      note="10-tuple (bsize, frsize=bsize, blocks, bfree, bavail=bfree, 0, 0, "
                           "0, 0, namemax) (vfs_lfsx.c:527-538)"),
        "mount": fn(2, 2, at(_VFS, 291, "MP_DEFINE_CONST_FUN_OBJ_KW mp_vfs_mount_obj, 2"),
                    keywords=True,
                    note="mount(fsobj, mount_point, *, readonly=False, mkfs=False) "
                         "(vfs.c:216-224): extra positionals are rejected"),
        "umount": fn(1, 1, at(_VFS, 332, "MP_DEFINE_CONST_FUN_OBJ_1 mp_vfs_umount_obj")),
        "VfsFat": Entry("class", at(_UOS, 172, "mp_fat_vfs_type"),
                        on_build=False, platforms="only if MICROPY_VFS_FAT, i.e. CONFIG_SPI_SDCARD "
                                  "(mpconfigport.h:90-94)"),
        "VfsLfs1": Entry("class", at(_UOS, 176, "mp_type_vfs_lfs1"),
                         platforms="not PLAT_Qualcomm (moduos.c:174); MICROPY_VFS_LFS1=1 at "
                                   "mpconfigport.h:89"),
        "VfsLfs2": Entry("class", at(_UOS, 179, "mp_type_vfs_lfs2"),
                         on_build=False, platforms="only if MICROPY_VFS_LFS2: not set in this tree "
                                   "(extmod.mk not included by the port Makefile) -> absent "
                                   "unless the Helios SDK passes the flag"),
        "VfsEfs": Entry("class", at(_UOS, 183, "mp_type_vfs_efs"), on_build=False,
                        platforms="PLAT_Qualcomm"),
    },
    classes={
        "VfsLfs1": ClassSurface(
            source=at(_LFSX, 608, "VfsLfs1 type (make_new at 191)"),
            ctor=None,  # arg table not transcribed; see vfs_lfsx.c:191
            members=_vfs_lfs1_members,
            platforms="not PLAT_Qualcomm",
        ),
    },
    note="uos has no `sep`, no `getfree`, no `sync` in this tree.",
)

# --------------------------------------------------------------------------------------------
# utime  (ports/quectel/core/source/modutime.c, globals table at lines 181-198; sleep/ticks
# from extmod/utime_mphal.c)
# --------------------------------------------------------------------------------------------

_UTIME = SRC + "modutime.c"
_MPHAL = "extmod/utime_mphal.c"

_utime = ModuleSurface(
    implemented_in="C",
    source=at(_UTIME, 181, "time_module_globals_table"),
    names={
        "localtime": fn(0, 1, at(_UTIME, 118, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                              "time_localtime_obj, 0, 1"),
                        note="8-tuple (Y, M, D, h, m, s, wday, yday); with an argument it "
                             "subtracts 946656000 (2000-01-01 minus 8 h) (modutime.c:41)"),
        "mktime": fn(1, 1, at(_UTIME, 148, "MP_DEFINE_CONST_FUN_OBJ_1 time_mktime_obj"),
                     note="8- or 9-tuple; returns Unix seconds minus 28800 (fixed UTC+8) "
                          "(modutime.c:127, 141-144)"),
        "time": fn(0, 0, at(_UTIME, 158, "MP_DEFINE_CONST_FUN_OBJ_0 time_time_obj"),
                   note="Helios_RTC_GetSecond()"),
        "sleep": fn(1, 1, at(_MPHAL, 48, "MP_DEFINE_CONST_FUN_OBJ_1 mp_utime_sleep_obj"),
                    note="float seconds (MICROPY_FLOAT_IMPL_DOUBLE, mpconfigport.h:104)"),
        "sleep_ms": fn(1, 1, at(_MPHAL, 57, "MP_DEFINE_CONST_FUN_OBJ_1 mp_utime_sleep_ms_obj")),
        "sleep_us": fn(1, 1, at(_MPHAL, 66, "MP_DEFINE_CONST_FUN_OBJ_1 mp_utime_sleep_us_obj")),
        "ticks_ms": fn(0, 0, at(_MPHAL, 71, "MP_DEFINE_CONST_FUN_OBJ_0 mp_utime_ticks_ms_obj")),
        "ticks_us": fn(0, 0, at(_MPHAL, 76, "MP_DEFINE_CONST_FUN_OBJ_0 mp_utime_ticks_us_obj")),
        "ticks_cpu": fn(0, 0, at(_MPHAL, 81, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                             "mp_utime_ticks_cpu_obj")),
        "ticks_diff": fn(2, 2, at(_MPHAL, 93, "MP_DEFINE_CONST_FUN_OBJ_2 "
                                              "mp_utime_ticks_diff_obj")),
        "ticks_add": fn(2, 2, at(_MPHAL, 101, "MP_DEFINE_CONST_FUN_OBJ_2 "
                                              "mp_utime_ticks_add_obj")),
        "setTimeZone": fn(1, 1, at(_UTIME, 170, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                                "time_set_timezone_obj"),
                          note="ValueError outside [-12, 12]; returns 0"),
        "getTimeZone": fn(0, 0, at(_UTIME, 177, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                                "time_get_timezone_obj")),
    },
    note="No time_ns and no gmtime in the table (time_ns exists in utime_mphal.c:107 but is "
         "not registered).",
)

# --------------------------------------------------------------------------------------------
# modem  (ports/quectel/core/source/moddev.c — there is no modmodem.c; table at 118-129)
# --------------------------------------------------------------------------------------------

_DEV = SRC + "moddev.c"

_modem = ModuleSurface(
    implemented_in="C",
    source=at(_DEV, 119, "module globals table, __name__ = modem"),
    names={
        "getDevSN": fn(0, 0, at(_DEV, 51, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                          "queclib_dev_serial_number_obj"),
                       note="str, or int -1 on failure (all getDev* alike)"),
        "getDevImei": fn(0, 0, at(_DEV, 95, "MP_DEFINE_CONST_FUN_OBJ_0 queclib_dev_imei_obj")),
        "getDevModel": fn(0, 0, at(_DEV, 65, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                             "queclib_dev_model_obj")),
        "getDevFwVersion": fn(0, 0, at(_DEV, 79, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                                 "queclib_dev_fw_version_obj")),
        "getDevProductId": fn(0, 0, at(_DEV, 36, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                                 "queclib_dev_product_id_obj")),
        "backup": fn(0, 0, at(_DEV, 105, "MP_DEFINE_CONST_FUN_OBJ_0 queclib_dev_backup_obj"),
                     on_build=False, platforms="PLAT_Qualcomm only (moddev.c:125-128)"),
        "setUSBMode": fn(1, 1, at(_DEV, 113, "MP_DEFINE_CONST_FUN_OBJ_1 set_usbmode_obj"),
                         on_build=False, platforms="PLAT_Qualcomm only (moddev.c:125-128)"),
    },
)

# --------------------------------------------------------------------------------------------
# misc  (ports/quectel/core/source/modmisc.c table 59-79; classes in misc_*.c)
# --------------------------------------------------------------------------------------------

_MISC = SRC + "modmisc.c"
_POWER = SRC + "misc_power.c"
_ADC = SRC + "misc_adc.c"
_PKEY = SRC + "misc_powerkey.c"
_PWM = SRC + "misc_pwm.c"
_USB = SRC + "misc_usb.c"
_TEMP = SRC + "misc_temperature.c"
_USBNET = SRC + "misc_usbnet.c"

# misc.Power's table holds plain 0-argument functions and the type has no make_new: they are
# called on the class (misc.Power.powerDown()), never on an instance.
_power_members: dict[str, Entry] = {
    "powerRestart": fn(0, 0, at(_POWER, 36, "MP_DEFINE_CONST_FUN_OBJ_0 misc_power_reset_obj"),
                       note="returns None (device reboots)"),
    "powerDown": fn(0, 0, at(_POWER, 45, "MP_DEFINE_CONST_FUN_OBJ_0 misc_power_down_obj")),
    "powerOnReason": fn(0, 0, at(_POWER, 64, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                             "misc_power_get_up_reason_obj"), note="int"),
    "powerDownReason": fn(0, 0, at(_POWER, 55, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                               "misc_power_get_down_reason_obj"),
                          platforms="not PLAT_RDA (misc_power.c:54, 80)", note="int"),
    "getVbatt": fn(0, 0, at(_POWER, 73, "MP_DEFINE_CONST_FUN_OBJ_0 misc_power_get_batt_obj"),
                   note="int (mV)"),
    "__name__": const(at(_POWER, 76, "locals entry __name__ = 'misc' (sic)")),
}

_misc = ModuleSurface(
    implemented_in="C",
    source=at(_MISC, 59, "misc_module_globals_table"),
    names={
        "Power": Entry("class", at(_MISC, 61, "misc_power_type")),
        "ADC": Entry("class", at(_MISC, 62, "misc_adc_type")),
        "PowerKey": Entry("class", at(_MISC, 63, "misc_powerkey_type")),
        "replEnable": fn(1, 2, at(_MISC, 57, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                             "qpy_misc_set_replEnable_obj, 1, 2"),
                         platforms="not PLAT_Qualcomm (modmisc.c:64)",
                         note="only args[0] read; returns 0, or -1 if flag not in {0, 1}"),
        "PWM": Entry("class", at(_MISC, 67, "misc_pwm_type"),
                     platforms="not PLAT_Qualcomm and not PLAT_RDA (modmisc.c:64-70)"),
        "USB": Entry("class", at(_MISC, 68, "misc_usb_type"),
                     platforms="not PLAT_Qualcomm and not PLAT_RDA (modmisc.c:64-70)"),
        "Temperature": Entry("class", at(_MISC, 73, "machine_temperature_type"),
                             on_build=False, platforms="PLAT_RDA only (modmisc.c:72-74)"),
        "USBNET": Entry("module", at(_MISC, 77, "misc_usbnet_module"),
                        platforms="PLAT_ASR or PLAT_Unisoc (modmisc.c:76-78)",
                        note="a module object, not a class"),
    },
    classes={
        "Power": ClassSurface(source=at(_POWER, 88, "misc_power_type (no make_new)"),
                              ctor=None, members=_power_members),
        "ADC": ClassSurface(
            source=at(_ADC, 141, "misc_adc_type"),
            ctor=(0, None),  # misc_adc.c:150 mp_arg_check_num(.., 0, MP_OBJ_FUN_ARGS_MAX, true)
            members={
                "open": meth(0, 0, at(_ADC, 57, "MP_DEFINE_CONST_FUN_OBJ_1 Helios_adc_init_obj")),
                "read": meth(1, 1, at(_ADC, 85, "MP_DEFINE_CONST_FUN_OBJ_2 Helios_adc_read_obj")),
                "close": meth(0, 0, at(_ADC, 122, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                                  "Helios_adc_deinit_obj")),
                "ADC0": const(at(_ADC, 130, "MP_ROM_INT(ADC0)")),
                "ADC1": const(at(_ADC, 132, "MP_ROM_INT(ADC1)"), platforms="not Qualcomm"),
                "ADC2": const(at(_ADC, 133, "MP_ROM_INT(ADC2)"), platforms="not Qualcomm"),
                "ADC3": const(at(_ADC, 134, "MP_ROM_INT(ADC3)"), platforms="not Qualcomm"),
            },
        ),
        "PowerKey": ClassSurface(
            source=at(_PKEY, 81, "misc_powerkey_type"),
            ctor=(0, None),  # make_new (misc_powerkey.c:89) checks nothing, returns a singleton
            members={
                "powerKeyEventRegister": meth(1, 1, at(_PKEY, 58, "MP_DEFINE_CONST_FUN_OBJ_2 "
                                                       "misc_powerkey_event_register_obj")),
                "__del__": meth(0, 0, at(_PKEY, 69, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                                    "misc_powerkey__del__obj")),
            },
        ),
        "PWM": ClassSurface(
            source=at(_PWM, 220, "misc_pwm_type"),
            ctor=(4, 4),  # misc_pwm.c:113 mp_arg_check_num(.., 4, 4, true)
            members={
                "open": meth(0, 0, at(_PWM, 168, "MP_DEFINE_CONST_FUN_OBJ_1 misc_pwm_enable_obj")),
                "close": meth(0, 0, at(_PWM, 181, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                                  "misc_pwm_disable_obj")),
                "__del__": meth(0, 0, at(_PWM, 197, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                                    "misc_pwm_deinit_obj")),
                "PWM0": const(at(_PWM, 205, "MP_ROM_INT(PWM0)")),
                "PWM1": const(at(_PWM, 207, "MP_ROM_INT(PWM1)"), on_build=False,
                              platforms="PLAT_ASR"),
                "PWM2": const(at(_PWM, 208, "MP_ROM_INT(PWM2)"), on_build=False,
                              platforms="PLAT_ASR"),
                "PWM3": const(at(_PWM, 209, "MP_ROM_INT(PWM3)"), on_build=False,
                              platforms="PLAT_ASR"),
                "ABOVE_1US": const(at(_PWM, 211, "MP_ROM_INT")),
                "ABOVE_MS": const(at(_PWM, 212, "MP_ROM_INT")),
                "ABOVE_10US": const(at(_PWM, 213, "MP_ROM_INT")),
                "ABOVE_BELOW_US": const(at(_PWM, 214, "MP_ROM_INT")),
            },
            platforms="not PLAT_Qualcomm and not PLAT_RDA",
        ),
        "USB": ClassSurface(
            source=at(_USB, 94, "misc_usb_type"),
            ctor=(0, None),  # misc_usb.c:103
            members={
                "getStatus": meth(0, 0, at(_USB, 70, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                                     "misc_usb_get_status_obj")),
                "setCallback": meth(1, 1, at(_USB, 62, "MP_DEFINE_CONST_FUN_OBJ_2 "
                                                       "misc_usb_register_cb_obj")),
                "__del__": meth(0, 0, at(_USB, 80, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                                   "misc_usb__del__obj")),
            },
            platforms="not PLAT_Qualcomm and not PLAT_RDA",
        ),
        "Temperature": ClassSurface(
            source=at(_TEMP, 57, "machine_temperature_type"),
            ctor=(0, None),  # misc_temperature.c:66
            members={
                "temperature": meth(0, 0, at(_TEMP, 48, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                                        "Helios_Get_temperature_obj")),
            },
            on_build=False, platforms="PLAT_RDA only",
        ),
        "USBNET": ClassSurface(  # really a module object; listed here for its members
            source=at(_USBNET, 99, "misc_usbnet_module, globals table at 85"),
            ctor=None,
            members={
                "set_worktype": fn(1, 1, at(_USBNET, 39, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                                         "misc_usbnet_set_type_obj")),
                "get_worktype": fn(0, 0, at(_USBNET, 52, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                                         "misc_usbnet_get_type_obj")),
                "get_status": fn(0, 0, at(_USBNET, 65, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                                       "misc_usbnet_get_status_obj")),
                "open": fn(0, 0, at(_USBNET, 73, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                                 "misc_usbnet_open_obj")),
                "close": fn(0, 0, at(_USBNET, 81, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                                  "misc_usbnet_close_obj")),
                "Type_ECM": const(at(_USBNET, 92, "MP_ROM_INT(HELIOS_USBNET_TYPE_ECM)")),
                "Type_RNDIS": const(at(_USBNET, 93, "MP_ROM_INT(HELIOS_USBNET_TYPE_RNDIS)")),
            },
            platforms="PLAT_ASR or PLAT_Unisoc",
        ),
    },
    platforms="whole module under #ifdef MICROPY_PY_MISC (=1 at mpconfigport.h:186)",
)

# --------------------------------------------------------------------------------------------
# dial  (C: ports/quectel/core/source/moddatacall.c, table 467-481) and dataCall (frozen
# Python wrapper: ports/quectel/core/dataCall.py, frozen by Makefile:678/700/731)
# --------------------------------------------------------------------------------------------

_DIAL = SRC + "moddatacall.c"
_DCPY = CORE + "dataCall.py"

_dial = ModuleSurface(
    implemented_in="C",
    source=at(_DIAL, 467, "mp_module_datacall_globals_table, __name__ = dial"),
    names={
        "__qpy_module_deinit__": fn(0, 0, at(_DIAL, 465, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                                         "qpy_module_datacall_deinit_obj")),
        "start": fn(5, 6, at(_DIAL, 105, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                         "qpy_datacall_start_obj, 5, 6"),
                    note="reads args[5] unconditionally: effectively needs 6"),
        "setAutoConnect": fn(1, 2, at(_DIAL, 204, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                                  "qpy_datacall_set_autoconnect_obj, 1, 2"),
                             note="reads args[1] unconditionally: effectively needs 2"),
        "getInfo": fn(1, 2, at(_DIAL, 310, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                           "qpy_datacall_get_info_obj, 1, 2"),
                      note="reads args[1] unconditionally: effectively needs 2; see notes for "
                           "the return shape. The ip is the data call's own address "
                           "(Helios_DataCall_GetInfo, moddatacall.c:250-270), not what a "
                           "server sees behind carrier NAT"),
        "setCallback": fn(1, 1, at(_DIAL, 355, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                               "qpy_register_usr_callback_obj"),
                          note="callback gets a 3-tuple (profile_idx, nw_status, sim_id) "
                               "(moddatacall.c:316-330)"),
        "recordApn": fn(5, 7, at(_DIAL, 181, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                             "qpy_datacall_record_apn_obj, 5, 7"),
                        note="reads args[5] and args[6] unconditionally: effectively needs 7"),
        "setAsynMode": fn(1, 1, at(_DIAL, 223, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                               "qpy_datacall_set_asynmode_obj")),
        "getPdpRange": fn(0, 0, at(_DIAL, 369, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                               "qpy_get_pdp_range_obj"),
                          note="(min, max) tuple"),
        "getApn": fn(1, 2, at(_DIAL, 427, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                          "qpy_datacall_get_apn_obj, 1, 2"),
                     note="getApn(simid[, pid]) -> str or -1; 'NOT SUPPORT' off ASR/Unisoc"),
        "setDnsserver": fn(4, 4, at(_DIAL, 453, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                                "qpy_datacall_set_dns_server_obj, 4, 4"),
                           platforms="PLAT_ASR or PLAT_Unisoc (moddatacall.c:428, 478-480)"),
    },
)

_dataCall = ModuleSurface(
    implemented_in="frozen Python",
    source=f"{REPO}@{COMMIT}:{_DCPY}",
    names={
        "start": fn(6, 6, f"{REPO}@{COMMIT}:{_DCPY}:24 (def start, 6 params -> dial.start)"),
        "getInfo": fn(2, 2, f"{REPO}@{COMMIT}:{_DCPY}:28 (def getInfo -> dial.getInfo)"),
        "setApn": fn(6, 6, f"{REPO}@{COMMIT}:{_DCPY}:32 (def setApn: validates, writes "
                           "/usr/user_apn.json, then dial.start)"),
        "recordApn": fn(7, 7, f"{REPO}@{COMMIT}:{_DCPY}:64 (def recordApn -> dial.recordApn)"),
        "setAsynMode": fn(1, 1, f"{REPO}@{COMMIT}:{_DCPY}:68 (def setAsynMode)"),
        "setCallback": fn(1, 1, f"{REPO}@{COMMIT}:{_DCPY}:72 (def setCallback)"),
        "setAutoConnect": fn(2, 2, f"{REPO}@{COMMIT}:{_DCPY}:76 (def setAutoConnect)"),
        "getApn": fn(0, None, f"{REPO}@{COMMIT}:{_DCPY}:79 (def getApn(*args) -> "
                              "dial.getApn, which takes 1..2)"),
        "setDnsserver": fn(4, 4, f"{REPO}@{COMMIT}:{_DCPY}:82 (def setDnsserver)",
                           note="dial.setDnsserver exists only on ASR/Unisoc: AttributeError "
                                "elsewhere"),
        # module-level imports are attributes too (dir(dataCall) shows them)
        "dial": Entry("module", f"{REPO}@{COMMIT}:{_DCPY}:21 (import dial)"),
        "ujson": Entry("module", f"{REPO}@{COMMIT}:{_DCPY}:22 (import ujson)"),
    },
    note="No getPdpRange and no `dial()` function at this commit: `dataCall.dial` is the "
         "imported C module; getPdpRange is reachable only as dial.getPdpRange / "
         "dataCall.dial.getPdpRange.",
)

# --------------------------------------------------------------------------------------------
# checkNet  (frozen Python: ports/quectel/core/checkNet.py; frozen only in the non-RDA,
# non-Qualcomm branch of Makefile, lines 730 and 763)
# --------------------------------------------------------------------------------------------

_CN = CORE + "checkNet.py"

_checkNet = ModuleSurface(
    implemented_in="frozen Python",
    source=f"{REPO}@{COMMIT}:{_CN}",
    names={
        "CheckNetwork": Entry("class", f"{REPO}@{COMMIT}:{_CN}:27 (class CheckNetwork)"),
        "wait_network_connected": fn(0, 1, f"{REPO}@{COMMIT}:{_CN}:114 "
                                           "(def wait_network_connected(timeout_s=60))",
                                     note="returns (stage, state); (3, 1) when ready; "
                                          "OSError if timeout_s outside [1, 3600]"),
        "waitNetworkReady": fn(0, 1, "QuecPython/quecpython_api_stubs@1eef066d:"
                                     "quecpython_stubs/checkNet.pyi (waitNetworkReady("
                                     "timeout_s=60))",
                               platforms="current firmware (absent at e7c4b19d, which has "
                                         "wait_network_connected only)",
                               note="alias of wait_network_connected: (3, 1) when ready"),
        # imported names
        "sim": Entry("module", f"{REPO}@{COMMIT}:{_CN}:20"),
        "net": Entry("module", f"{REPO}@{COMMIT}:{_CN}:21"),
        "utime": Entry("module", f"{REPO}@{COMMIT}:{_CN}:22"),
        "modem": Entry("module", f"{REPO}@{COMMIT}:{_CN}:23"),
        "dataCall": Entry("module", f"{REPO}@{COMMIT}:{_CN}:24"),
        "Power": Entry("class", f"{REPO}@{COMMIT}:{_CN}:25 (from misc import Power)"),
    },
    classes={
        "CheckNetwork": ClassSurface(
            source=f"{REPO}@{COMMIT}:{_CN}:27",
            ctor=(2, 2),  # (proj_name, proj_version), checkNet.py:28
            members={
                "poweron_print_once": meth(0, 0, f"{REPO}@{COMMIT}:{_CN}:34"),
                "check_datacall_status": Entry("staticmethod", f"{REPO}@{COMMIT}:{_CN}:45",
                                               0, 0, note="1 if any PDP 1..7 is up, else 0"),
                "wait_network_connected": meth(0, 1, f"{REPO}@{COMMIT}:{_CN}:65"),
            },
        ),
    },
    platforms="PLAT_ASR / PLAT_Unisoc builds only (Makefile:717-785 branch)",
    note="No waitNetworkReady at this commit; later firmware adds waitNetworkReady("
         "timeout_s=60) as an alias of wait_network_connected (QuecPython/quecpython_api_stubs "
         "quecpython_stubs/checkNet.pyi).",
)

# --------------------------------------------------------------------------------------------
# net  (ports/quectel/core/source/modnet.c, globals table at lines 1119-1151; a built-in module
# of every platform branch: mpconfigport.h:405 RDA, 430 ASR/Unisoc, 458 Qualcomm)
# --------------------------------------------------------------------------------------------

_NET = SRC + "modnet.c"


def _net_query(line: int, c_name: str, what: str) -> Entry:
    return fn(0, 0, at(_NET, line, "MP_DEFINE_CONST_FUN_OBJ_0 %s" % c_name),
              note="%s; -1 when the Helios call fails" % what)


_net = ModuleSurface(
    implemented_in="C",
    source=at(_NET, 1119, "net_module_globals_table"),
    names={
        "__qpy_module_deinit__": fn(0, 0, at(_NET, 1116, "MP_DEFINE_CONST_FUN_OBJ_0 "
                                                         "qpy_module_net_deinit_obj")),
        "csqQueryPoll": _net_query(136, "qpy_net_get_csq_obj",
                                   "CSQ 0..31; 99 with no SIM (modnet.c:113-121)"),
        "getState": _net_query(360, "qpy_net_get_reg_status_obj",
                               "([voice stat, lac, cid, act, reject, psc], [data stat, ...]) "
                               "(modnet.c:335-356); checkNet waits for data stat 1 or 5"),
        "getConfig": _net_query(95, "qpy_net_get_configuration_obj",
                                "(net_mode, roaming) (modnet.c:86-92)"),
        "setConfig": fn(1, 2, at(_NET, 69, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                           "qpy_net_set_configuration_obj, 1, 2"),
                        note="setConfig(mode[, roaming]); -1 for a roaming other than 0/1"),
        "nitzTime": _net_query(168, "qpy_net_get_nitz_time_obj", "(time, timestamp, dst)"),
        "operatorName": _net_query(216, "qpy_net_get_operator_name_obj",
                                   "(long, short, mcc, mnc)"),
        "getNetMode": _net_query(314, "qpy_net_get_selection_obj",
                                 "(selection, mcc, mnc, act)"),
        "getSignal": _net_query(401, "qpy_net_get_signal_strength_obj",
                                "(gw list, lte list)"),
        "getCellInfo": _net_query(912, "qpy_net_get_cell_info_obj", "(gsm, umts, lte) lists"),
        "getCi": _net_query(770, "qpy_net_get_cid_obj", "list of neighbour cell ids"),
        "getLac": _net_query(666, "qpy_net_get_lac_obj", "list of neighbour LACs"),
        "getMnc": _net_query(456, "qpy_net_get_mnc_obj", "list of neighbour MNCs"),
        "getMcc": _net_query(561, "qpy_net_get_mcc_obj", "list of neighbour MCCs"),
        "setModemFun": fn(1, 2, at(_NET, 975, "MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN "
                                              "qpy_net_set_modem_fun_obj, 1, 2"),
                          note="setModemFun(fun[, rst]): 0 on success, -1 on error "
                               "(modnet.c:969-973); see NETWORK_LOSS"),
        "getModemFun": _net_query(937, "qpy_net_get_modem_fun_obj",
                                  "the CFUN level (modnet.c:930-934)"),
        "setCallback": fn(1, 1, at(_NET, 1094, "MP_DEFINE_CONST_FUN_OBJ_1 "
                                               "qpy_net_add_event_handler_obj"),
                          platforms="not PLAT_RDA (modnet.c:1093, 1138)",
                          note="callback gets (event, stat, lac, cid, act) on a data "
                               "registration change (modnet.c:1031-1049)"),
        "setApn": fn(2, 2, at(_NET, 999, "MP_DEFINE_CONST_FUN_OBJ_2 qpy_net_set_apn_obj"),
                     note="'NOT SUPPORT' off PLAT_ASR (modnet.c:979, 995-996): on BUILD too"),
        "getApn": fn(1, 1, at(_NET, 1023, "MP_DEFINE_CONST_FUN_OBJ_1 qpy_net_get_apn_obj"),
                     note="'NOT SUPPORT' off PLAT_ASR (modnet.c:1003, 1019-1020)"),
        "getServingCi": _net_query(820, "qpy_net_get_cid_servingcell_obj", "serving cell id"),
        "getServingLac": _net_query(716, "qpy_net_get_lac_servingcell_obj", "serving LAC"),
        "getServingMnc": _net_query(506, "qpy_net_get_mnc_servingcell_obj", "serving MNC"),
        "getServingMcc": _net_query(611, "qpy_net_get_mcc_servingcell_obj", "serving MCC"),
    },
    note="setNetMode is commented out of the table (modnet.c:1128; its code under #if 0 at "
         "218-284).",
)

# --------------------------------------------------------------------------------------------
# Text: how the build keeps a str. The legacy build (REPO@COMMIT) has no unicode strings; the
# newer port (NEW_REPO@NEW_COMMIT, MicroPython 1.28) has them. Each fact says what each does,
# with sources; `probe` is device code that shows it through the REPL, printing `legacy` on a
# build without unicode and `unicode` on one with it (an error as its last traceback line).
# The CPython engine follows ModuleConfig.unicode (firmware_text.py); the micropython engine's
# interpreter is unicode whatever the build, and compiles by the build (the 1.13 gate).
# tests/test_firmware_text.py runs every probe on both engines.
# --------------------------------------------------------------------------------------------

NEW_REPO = "QuecPython/micropython"
NEW_COMMIT = "6ebc2402"  # 6ebc2402e9b11ec4ffc99d3f6939d5fa4772516b (2026-03-26, MicroPython 1.28.0)


def span(path: str, first: int, last: int, what: str) -> str:
    """A `source` string for lines first-last of the legacy build."""
    return f"{REPO}@{COMMIT}:{path}:{first}-{last} ({what})"


def at_new(path: str, line: int | str, what: str) -> str:
    """A `source` string in the newer port."""
    return f"{NEW_REPO}@{NEW_COMMIT}:{path}:{line} ({what})"


@dataclass(frozen=True)
class TextFact:
    """One way the build's str shows, without unicode (legacy) and with it (unicode)."""

    source: str  # the legacy build's lines
    legacy: str  # what the legacy build does
    unicode: str  # what a build with unicode does (the newer port)
    unicode_source: str = ""
    probe: str = ""  # device code showing it ("" where no REPL line can)
    legacy_out: str = ""  # what the probe prints on the legacy build
    unicode_out: str = ""  # ... and on a build with unicode
    emulated_by: str = ""  # where the CPython engine does it (harness/emulator/...)


TEXT: dict[str, TextFact] = {
    "build": TextFact(
        span(SRC + "mpconfigport.h", 42, 66, "the MICROPY_PY_BUILTINS_* settings: no "
             "STR_UNICODE") + "; " + span("py/mpconfig.h", 876, 882, "STR_UNICODE defaults "
                                           "to 0, STR_UNICODE_CHECK to STR_UNICODE"),
        legacy="str is a byte string; nothing checks that it holds UTF-8",
        unicode="str is unicode, checked UTF-8",
        unicode_source=at_new("ports/quectel/mpconfigport.h", 67, "MICROPY_CONFIG_ROM_LEVEL "
                              "(MICROPY_CONFIG_ROM_LEVEL_EXTRA_FEATURES)") + "; " + at_new(
            "py/mpconfig.h", "1351-1356", "STR_UNICODE (ROM_LEVEL_AT_LEAST_EXTRA_FEATURES), "
            "STR_UNICODE_CHECK (STR_UNICODE)"),
        probe="print(len('测'))", legacy_out="3", unicode_out="1",
        emulated_by="config.py ModuleConfig.unicode; firmware_text.py FirmwareText"),
    "literal": TextFact(
        span("py/lexer.c", 408, 411, "a character that is not an escape is added as a "
             "byte"),
        legacy="a non-ASCII literal is its UTF-8 bytes: '测' == '\\xe6\\xb5\\x8b'",
        unicode="the same bytes, read as characters: '测' is one character",
        probe="print('测' == '\\xe6\\xb5\\x8b')", legacy_out="True", unicode_out="False",
        emulated_by="firmware_text.py FirmwareText.source (latin-1 before compile)"),
    "escape-byte": TextFact(
        span("py/lexer.c", 397, 400, "without unicode every escape is added as an 8-bit "
             "byte"),
        legacy="'\\u00dc' is the one byte 0xDC, not UTF-8",
        unicode="'\\u00dc' is U+00DC, two bytes in UTF-8",
        unicode_source=span("py/lexer.c", 386, 391, "with unicode: vstr_add_char"),
        probe="print('\\u00dc'.encode())", legacy_out="b'\\xdc'",
        unicode_out="b'\\xc3\\x9c'",
        emulated_by="firmware_text.py FirmwareText.source"),
    "escape-wide": TextFact(
        span("py/lexer.c", 401, 405, "an escape above 0xFF makes the token invalid") + "; "
        + span("py/parse.c", 1157, 1158, "'invalid syntax'"),
        legacy="an escape above 0xFF ('\\u6d4b', '\\U0001f600', '\\777') is SyntaxError: "
               "invalid syntax; nothing in the program runs",
        unicode="compiles (up to U+10FFFF)",
        unicode_source=at_new("py/lexer.c", "495-498", "a valid unicode character in a "
                              "str"),
        probe="x = '\\u6d4b'\nprint(len(x))", legacy_out="SyntaxError: invalid syntax",
        unicode_out="1",
        emulated_by="harness/micropython/gate.py rule unicode-escape, through "
                    "runtime.check_mpy_113 (both engines: the micropython engine compiles "
                    "by the build)"),
    "len-index-slice": TextFact(
        span("py/obj.c", 516, 524, "len() of a str is its byte count") + "; " + span(
            "py/objstr.c", 417, 447, "index and slice by byte; an index gives a 1-byte "
            "str") + "; " + span("py/objstr.c", 2201, 2212, "iteration by byte"),
        legacy="len, index, slice and iteration count bytes: '测'[0] is b'\\xe6' as a str",
        unicode="they count characters",
        unicode_source=at_new("py/objstrunicode.c", "106-107", "len: utf8_charlen"),
        probe="print('测'[0].encode(), '测'[1:].encode(), len([c for c in '测']))",
        legacy_out="b'\\xe6' b'\\xb5\\x8b' 3", unicode_out="b'\\xe6\\xb5\\x8b' b'' 1",
        emulated_by="firmware_text.py: the latin-1 view (one character per byte)"),
    "find": TextFact(
        span("py/objstr.c", 723, 739, "find/index answer a byte offset without unicode"),
        legacy="find() and index() give byte offsets",
        unicode="character offsets",
        unicode_source=span("py/objstr.c", 734, 737, "utf8_ptr_to_index with unicode"),
        probe="print('a测b'.find('b'))", legacy_out="4", unicode_out="2",
        emulated_by="firmware_text.py: the latin-1 view"),
    "encode": TextFact(
        span("py/objstr.c", 1905, 1928, "decode and encode never look at the encoding"),
        legacy="encode() gives the str's bytes whatever the encoding ('latin-1' included)",
        unicode="the same: UTF-8 whatever the encoding",
        probe="print('测'.encode('latin-1'))", legacy_out="b'\\xe6\\xb5\\x8b'",
        unicode_out="b'\\xe6\\xb5\\x8b'",
        emulated_by="firmware_text.py TextCalls.method"),
    "decode": TextFact(
        span("py/objstr.c", 157, 190, "str(bytes, enc): utf8_check only with "
             "STR_UNICODE_CHECK"),
        legacy="decode() takes any bytes: b'\\xff'.decode() is a 1-byte str",
        unicode="invalid UTF-8 is a bare UnicodeError",
        unicode_source=at_new("py/objstr.c", "219-223", "utf8_check, UnicodeError"),
        probe="print(len(b'\\xff'.decode('utf-8')))", legacy_out="1",
        unicode_out="UnicodeError:",
        emulated_by="firmware_text.py FirmwareText.text_of"),
    "str-decode": TextFact(
        span("py/objstr.c", 1944, 1954, "without unicode str and bytes share one method "
             "table, with encode and decode") + "; " + span("py/objstr.c", 209, 211,
                                                             "bytes(b) is b"),
        legacy="str has decode() and bytes has encode(): each gives its own bytes back",
        unicode="AttributeError: 'str' object has no attribute 'decode'",
        probe="print('ab'.decode(), b'ab'.encode())", legacy_out="ab b'ab'",
        unicode_out="AttributeError: 'str' object has no attribute 'decode'",
        emulated_by="firmware_text.py TextCalls.method"),
    "buffer": TextFact(
        span("py/objstr.c", 1931, 1942, "a str's buffer is its bytes"),
        legacy="a str given where a buffer goes (socket send, uhashlib, ubinascii, a "
               "binary file's write) is its bytes",
        unicode="the same: its UTF-8 bytes",
        probe="import uhashlib, ubinascii\n"
              "print(ubinascii.hexlify(uhashlib.sha256('测').digest())[:12])",
        legacy_out="b'eb11d56ba8b5'", unicode_out="b'eb11d56ba8b5'",
        emulated_by="firmware_text.py TextCalls.method (send, sendall, sendto); "
                    "cpython_fw/ulib.py; devfs.py DeviceFile.write"),
    "chr-ord": TextFact(
        span("py/modbuiltins.c", 165, 172, "chr() without unicode: range(256)") + "; "
        + span("py/modbuiltins.c", 358, 381, "ord() of a str counts its bytes"),
        legacy="chr() above 255 is ValueError: chr() arg not in range(256); ord('测') is "
               "TypeError: ord() expected a character, but string of length 3 found",
        unicode="chr(0x6d4b) is '测', ord('测') is 27979",
        unicode_source=span("py/modbuiltins.c", 138, 164, "chr() with unicode"),
        probe="print(ord('测'), chr(0x6d4b).encode())",
        legacy_out="TypeError: ord() expected a character, but string of length 3 found",
        unicode_out="27979 b'\\xe6\\xb5\\x8b'",
        emulated_by="firmware_text.py TextCalls.chr (ord needs nothing)"),
    "repr": TextFact(
        span("py/objstr.c", 48, 85, "repr: bytes 0x80-0xFF of a str as they are") + "; "
        + span("py/objstr.c", 113, 134, "print(str): its bytes"),
        legacy="repr() and print() of a str write its bytes inside the quotes: "
               "print(['é']) shows ['é']",
        unicode="repr() escapes every non-ASCII character: ['\\xe9']",
        unicode_source=span("py/objstrunicode.c", 43, 85, "uni_print_quoted"),
        probe="print(['é'], len(repr('é')))", legacy_out="['é'] 4",
        unicode_out="['\\xe9'] 6",
        emulated_by="firmware_text.py FirmwareText.repr, TextCalls.print"),
    "format": TextFact(
        span("py/mpprint.c", 62, 65, "a width pads by bytes") + "; " + span(
            "py/objstr.c", 1373, 1382, "'{:.N}' cuts at N bytes") + "; " + span(
            "py/objstr.c", 1568, 1587, "'%.Ns' likewise"),
        legacy="widths and precisions count bytes: '%-4s|' % 'é' is 'é  |'",
        unicode="the same (the lengths are bytes there too)",
        probe="print('%-4s|' % 'é', '{:.2}'.format('测').encode())",
        legacy_out="é  | b'\\xe6\\xb5'", unicode_out="é  | b'\\xe6\\xb5'",
        emulated_by="firmware_text.py: the latin-1 view (not with unicode on the CPython "
                    "engine: see tests/test_firmware_text.py CPYTHON_UNICODE_GAPS)"),
    "json-dumps": TextFact(
        span("py/objstr.c", 88, 110, "JSON: bytes from 0x20 up as they are"),
        legacy="ujson.dumps writes text as it is, never \\u-escaped",
        unicode="the same",
        probe="import ujson\nprint(ujson.dumps(['é']))", legacy_out='["é"]',
        unicode_out='["é"]', emulated_by="firmware_text.py FirmwareText.json_dumps"),
    "json-loads": TextFact(
        span("extmod/modujson.c", 166, 180, "a \\uXXXX escape through vstr_add_char, "
             "anything else a byte") + "; " + span("py/vstr.c", 148, 174, "vstr_add_char "
                                                    "without unicode: one byte"),
        legacy="ujson.loads keeps raw UTF-8 bytes, and cuts a \\uXXXX escape to its low "
               "byte: '\"\\\\u6d4b\"' gives 'K'",
        unicode="the escape is its UTF-8",
        unicode_source=at_new("extmod/modjson.c", "224-233", "vstr_add_char"),
        probe="import ujson\nprint(ujson.loads('\"\\\\u6d4b\"').encode(), "
              "len(ujson.loads('\"测\"')))",
        legacy_out="b'K' 3", unicode_out="b'\\xe6\\xb5\\x8b' 1",
        emulated_by="firmware_text.py FirmwareText.json_loads"),
    "text-file": TextFact(
        span("py/stream.c", 112, 196, "read(n) of a text stream counts characters only "
             "with unicode"),
        legacy="a text-mode file's read(n) gives n bytes",
        unicode="n characters",
        probe="f = open('/usr/hil-text.txt', 'w')\nf.write('测x')\nf.close()\n"
              "f = open('/usr/hil-text.txt')\nprint(f.read(1).encode())\nf.close()",
        legacy_out="b'\\xe6'", unicode_out="b'\\xe6\\xb5\\x8b'",
        emulated_by="devfs.py DeviceFs.open (the file's encoding)"),
    "file-names": TextFact(
        at(_LFSX, 179, "a path's bytes in: mp_obj_str_get_str") + "; " + at(
            _LFSX, 300, "a name's bytes out as a str: mp_obj_new_str"),
        legacy="a file name is its bytes: uos.listdir gives '测.t' as 5 bytes",
        unicode="as characters",
        probe="import uos\nopen('/usr/测.t', 'w').close()\n"
              "print([len(n) for n in uos.listdir('/usr') if n.endswith('.t')])",
        legacy_out="[5]", unicode_out="[3]",
        emulated_by="devfs.py DeviceFs.host / listdir (FirmwareText.host_name)"),
    "ascii-rules": TextFact(
        span("py/unicode.c", 52, 69, "the only character table is ASCII's") + "; " + span(
            "py/objstr.c", 519, 545, "split() on it") + "; " + span(
            "py/objstr.c", 797, 815, "strip() on ' \\t\\n\\r\\v\\f'") + "; " + span(
            "py/objstr.c", 1822, 1874, "upper/lower/isX byte by byte"),
        legacy="whitespace and case are ASCII's: 'é'.upper() is 'é', '\\xa0' is no space",
        unicode="the same: these look at bytes with unicode too",
        probe="print('é'.upper() == 'é', '\\xa0'.isspace(), len('a\\x85b'.split()))",
        legacy_out="True False 1", unicode_out="True False 1",
        emulated_by="firmware_text.py TextCalls (split, strip, upper, isspace, ...)"),
    "mpy-flag": TextFact(
        span("py/persistentcode.h", 47, 50, "a .mpy's feature flags: bit 1 is "
             "STR_UNICODE") + "; " + span("py/persistentcode.c", 553, 559, "a .mpy whose "
                                            "flags differ is an incompatible .mpy file"),
        legacy="loads only .mpy compiled with -mno-unicode; says mpy 5 in "
               "sys.implementation",
        unicode="a v5 build with unicode says 517 (5 | 0x200)",
        emulated_by="harness/micropython/mpy_cross.py (deploy compiles for the module's "
                    "flags); cpython_fw/fw_usys.py implementation.mpy"),
    "no-splitlines": TextFact(
        span("py/mpconfig.h", 906, 907, "MICROPY_PY_BUILTINS_STR_SPLITLINES (0); the port "
             "does not set it"),
        legacy="str has no splitlines()",
        unicode="(a build setting, not unicode's)",
        emulated_by="harness/micropython/gate.py rule missing-str-method"),
}

SURFACE: dict[str, ModuleSurface] = {
    "usocket": _usocket,
    "uos": _uos,
    "utime": _utime,
    "modem": _modem,
    "misc": _misc,
    "dial": _dial,
    "dataCall": _dataCall,
    "checkNet": _checkNet,
    "net": _net,
}



# --------------------------------------------------------------------------------------------
# What the firmware does when its network goes: behaviour, not names, each fact with the
# line it was read from. QuecPython's C modules call lwIP's socket API (modsocket.c:262
# lwip_socket, :740 lwip_recvfrom, :821 lwip_write); the Helios SDK ships its lwIP and its
# data-call code as binaries, so the socket facts are stock lwIP 2.1.2's, and the one step
# between them (the data call's end takes its interface away) is marked as assumed.
# --------------------------------------------------------------------------------------------

LWIP = "lwip-tcpip/lwip@159e31b6 (STABLE-2_1_2_RELEASE)"
WIKI = "QuecPython/wiki@f2d6221 en-us/api/QuecPythonClasslib.md"
HELIOS = "QuecPython/Helios-SDK@deb5ab04"


@dataclass(frozen=True)
class Fact:
    """One behaviour of the firmware, with where it was read; `value` where it is a number."""

    what: str
    source: str
    value: int | None = None


NETWORK_LOSS: dict[str, Fact] = {
    "modem.levels": Fact(
        "net.setModemFun(0) is minimum functionality, 4 airplane mode, 1 full functionality "
        "(the default); an optional rst=1 applies it at the next boot",
        "%s:3151-3165; %s system/dev/helios_dev.h:25-33 (Helios_DevModemFunction: 0 MIN, "
        "1 FULL, 3, 4 RF off, 5, 6); %s" % (WIKI, HELIOS,
                                           at(_NET, 945, "'1 - turn off flight mode, 4 - turn on "
                                                         "flight mode', 945-946"))),
    "modem.returns": Fact(
        "setModemFun releases the GIL for Helios_Dev_SetModemFunction and returns 0 on "
        "success, -1 on error; getModemFun returns the level or -1",
        at(_NET, 966, "GIL released, 966-968; return 0 / -1 at 969-973; getModemFun 930-935")),
    "modem.datacall": Fact(
        "setModemFun does nothing to the data call itself (modnet.c has no data-call code); "
        "the modem's detach ends it (dataCall's callback: 'network not connected') and "
        "setModemFun(1) re-dials by itself ('network connected' later)",
        "%s; %s:475-479" % (at(_NET, 953, "qpy_net_set_modem_fun, 953-975"), WIKI)),
    "datacall.no_deactivate": Fact(
        "at this commit dataCall offers no deactivate, stop or activate: start, "
        "setAutoConnect, getInfo, setCallback, recordApn, setAsynMode, getPdpRange, getApn, "
        "setDnsserver only; the network goes with setModemFun alone",
        at(SRC + "moddatacall.c", 467, "mp_module_datacall_globals_table, 467-481")),
    "datacall.detached": Fact(
        "getInfo reports the data call's state and address from Helios_DataCall_GetInfo; "
        "while there is none: (1, 0, [0, 0, '0.0.0.0', '0.0.0.0', '0.0.0.0'])",
        "%s; %s:536" % (at(SRC + "moddatacall.c", 250, "ipv4 list at 260-266"), WIKI)),
    "checknet.wait": Fact(
        "checkNet waits in 100 ms polls: the SIM (stage 1; status 0 returns at once), "
        "net.getState()[1][0] in (1, 5) (stage 2), a data call up on PDP 1..7 (stage 3); "
        "(3, 1) when ready, else (stage, state) at the timeout; timeout_s outside [1, 3600] "
        "raises OSError",
        "%s@%s:%s:114-160 (wait_network_connected; SIM 0 at 124-125; stage 2 at 134-149; "
        "stage 3 at 151-160 via check_datacall_status 45-52; range check 115-116)"
        % (REPO, COMMIT, CORE + "checkNet.py")),
    "socket.errno": Fact(
        "usocket raises lwIP's errno as it is (only EADDRINUSE and EINPROGRESS are "
        "renumbered); the numbers are MicroPython's internal ones, the same as lwIP's "
        "(py/stream.c:203 compares with a literal 107)",
        "%s; py/mperrno.h:75/79/82 (ECONNABORTED 103, ENOTCONN 107, EHOSTUNREACH 113) with "
        "MICROPY_USE_INTERNAL_ERRNO at mpconfigport.h:22; %s src/include/lwip/errno.h:152, "
        "156, 162" % (at(_SOCK, 159, "exception_from_errno, 159-167"), LWIP)),
    "socket.abort": Fact(
        "when the interface's address goes, lwIP aborts every TCP connection bound to it at "
        "once (listening sockets are kept); ASSUMED: the data call's end removes its "
        "interface or clears its address (the Helios SDK does it in binary code)",
        "%s src/core/netif.c:750-754 (netif_remove) and :471 (address change) -> "
        "src/core/tcp.c:2299-2323 (tcp_abort); listeners: tcp.c:2339-2348" % LWIP),
    "socket.aborted_first": Fact(
        "the abort is stored as the connection's pending error and wakes a recv or send "
        "blocked on it; the next recv or send on it raises OSError(ECONNABORTED) at once",
        "%s src/api/api_msg.c:432-492 (err_tcp), src/api/err.c:62 (ERR_ABRT -> "
        "ECONNABORTED), src/api/sockets.c:958; %s (recv at 769-771), :829-831 (send)"
        % (LWIP, at(_SOCK, 740, "lwip_recvfrom")), value=103),
    "socket.aborted_after": Fact(
        "the pending error is read once: every later recv or send on that socket raises "
        "OSError(ENOTCONN)",
        "%s src/api/api_lib.c:1147-1148 (netconn_err clears it), :594 and :609 (recv: "
        "ERR_CONN), src/api/api_msg.c:1845 (write: ERR_CONN), src/api/err.c:60 (ERR_CONN -> "
        "ENOTCONN)" % LWIP, value=107),
    "socket.queued": Fact(
        "data lwIP had already queued for the socket is handed over before the error",
        "%s src/api/api_lib.c:598-611 (recvmbox fetched before the pending error)" % LWIP),
    "socket.connect_offline": Fact(
        "a socket made while the data call is down binds to nothing ('find netif cfg "
        "failed') and its connect raises OSError(EHOSTUNREACH) at once: no route",
        "%s; %s src/core/tcp.c:1092-1094 (ERR_RTE), src/api/err.c:53 (-> EHOSTUNREACH)"
        % (at(_SOCK, 284, "bind to the PDP's netif, 284-350; log at 349; connect 518-525"),
           LWIP), value=113),
    "socket.peer": Fact(
        "the abort's RST goes out on an interface that is going: the server hears nothing "
        "until its own timeout, or until the module, back on the network, answers a segment "
        "of the dead connection with a RST",
        "%s src/core/tcp.c:618 (tcp_abandon's RST), src/core/tcp_in.c:575-580 (RST for a "
        "segment of no connection)" % LWIP),
}

ECONNABORTED = NETWORK_LOSS["socket.aborted_first"].value
ENOTCONN_AFTER_ABORT = NETWORK_LOSS["socket.aborted_after"].value
EHOSTUNREACH = NETWORK_LOSS["socket.connect_offline"].value

CALLABLE_KINDS = ("function", "method", "staticmethod")
DATA_KINDS = ("const", "class", "module")


def offered(module: str) -> dict[str, Entry]:
    """The names BUILD's `module` offers (dunder entries included)."""
    return {name: e for name, e in SURFACE[module].names.items() if e.on_build}


def offered_members(module: str, type_name: str) -> dict[str, Entry]:
    """The members BUILD offers on one type (or module object) of `module`."""
    return {name: e for name, e in SURFACE[module].classes[type_name].members.items()
            if e.on_build}


def arg_range(entry: Entry) -> tuple[int, int | None]:
    """(min, max) positional arguments of a callable entry; self is not counted."""
    if entry.kind not in CALLABLE_KINDS or entry.min_args is None:
        raise ValueError("not a callable entry: %s" % entry.source)
    return entry.min_args, entry.max_args


def callables(module: str) -> dict[str, tuple[int, int | None]]:
    """{name: (min, max)} for the functions BUILD's `module` offers."""
    return {name: arg_range(e) for name, e in offered(module).items()
            if e.kind in CALLABLE_KINDS}


if __name__ == "__main__":  # print the table: python -m harness.emulator.firmware_surface
    print(BUILD)
    for mod_name, mod in SURFACE.items():
        print("%s [%s] %s" % (mod_name, mod.implemented_in, mod.platforms))
        for name, e in mod.names.items():
            rng = "" if e.kind in DATA_KINDS else "(%s, %s)" % (e.min_args, e.max_args)
            mark = "" if e.on_build else "  [not on BUILD: %s]" % e.platforms
            print("  %-24s %-12s %-10s%s" % (name, e.kind, rng, mark))
        for cls_name, cls in mod.classes.items():
            print("  class %s ctor=%s%s" % (cls_name, cls.ctor, "" if cls.on_build else
                                            "  [not on BUILD]"))
            for name, e in cls.members.items():
                print("    %-22s %-12s (%s, %s)" % (name, e.kind, e.min_args, e.max_args))
    print("when the network goes:")
    for key, loss in NETWORK_LOSS.items():
        print("  %-24s %s\n  %-24s   [%s]" % (key, loss.what, "", loss.source))
    print("text (legacy build: no unicode strings; with unicode: %s@%s)" % (NEW_REPO,
                                                                          NEW_COMMIT))
    for name, fact in TEXT.items():
        print("  %-16s %s\n  %-16s with unicode: %s\n  %-16s %s" % (
            name, fact.legacy, "", fact.unicode, "", fact.source))
