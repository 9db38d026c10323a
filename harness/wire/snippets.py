"""Every piece of MicroPython the host sends to the module, in one place.

The module runs MicroPython 1.13 (u-names only, no f-strings). The 1.13 gate
(tests/test_micropython_gate.py) compiles every Snippet below with mpy-cross
v5 and checks it against harness/micropython/gate.py. A template (%-fields) is
checked filled in with its `sample` values, the form the module receives.

Device.eval_json sends a setup snippet, then EVAL_JSON around an expression
snippet; RawRepl, Device and deploy send the rest as they are or filled in.
The device steps themselves are files in device_scripts/ (gated there).

A value filled into a template becomes a literal that every build reads as the same
bytes (mp_literal): the legacy firmware has no unicode strings (its str is the bytes the
literal spells: py/lexer.c:397-411 at QuecPython/microPython@e7c4b19d), the newer port and
the micropython engine have them, and non-ASCII text written as it is (its UTF-8 bytes on
the wire) is the same text to both. repr() is not: it may spell a character as an escape,
which the legacy firmware reads as one byte, or refuses above 0xFF.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness.wire.layout import LIB_DIR, SYNC_PREFIX, USER_DIR, USR, VALUE_PREFIX


@dataclass(frozen=True)
class Snippet:
    """MicroPython source; with %-fields, a template that `fill` fills in."""

    source: str
    sample: tuple[Any, ...] = ()  # a template's values, for the gate

    def fill(self, *values: Any) -> str:
        """The template with its values: a %r field gets mp_literal(value)."""
        return self.source % tuple(v if isinstance(v, int | float) else _Literal(v)
                                   for v in values)


class _Literal:
    """A value in a template: %r spells it with mp_literal, %s as str() does."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return mp_literal(self.value)

    def __str__(self) -> str:
        return str(self.value)


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def mp_literal(value: Any) -> str:
    """`value` (str, bytes, numbers, None, and lists, tuples and dicts of them) as
    MicroPython source every build reads alike: a str keeps its non-ASCII characters as
    they are (UTF-8 on the wire), and escapes only ASCII control characters, the
    backslash and its quote, in \\x form (below 0x80: one byte on every build)."""
    if isinstance(value, str):
        quote = "'" if "'" not in value or '"' in value else '"'
        out = [quote]
        for c in value:
            if c == quote:
                out.append("\\" + c)
            elif c in _ESCAPES:
                out.append(_ESCAPES[c])
            elif c < " " or c == "\x7f":
                out.append("\\x%02x" % ord(c))
            else:
                out.append(c)
        return "".join(out) + quote
    if isinstance(value, list):
        return "[" + ", ".join(mp_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(mp_literal(v) for v in value) + ("," if len(value) == 1
                                                                 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join("%s: %s" % (mp_literal(k), mp_literal(v))
                               for k, v in value.items()) + "}"
    if value is None or isinstance(value, bool | int | float | bytes | bytearray):
        return repr(value)  # ASCII only
    raise TypeError("no MicroPython literal for %s" % type(value).__name__)


def every_snippet() -> dict[str, Snippet]:
    """Name -> snippet, for the gate."""
    return {name: value for name, value in globals().items() if isinstance(value, Snippet)}


# -- the wire (RawRepl) ---------------------------------------------------------

# a no-op with a fresh token: once its output is back, nothing older is left unread
SYNC = Snippet("print(%r + %r)", (SYNC_PREFIX, "18f3a2b4c5d6"))


# -- values back as JSON (Device.eval_json) ---------------------------------------

# one write, so another thread's print cannot split the value line
EVAL_JSON = Snippet("%s\nimport ujson, usys\nusys.stdout.write(%r + ujson.dumps(%s) + '\\n')",
                    ("import uos", VALUE_PREFIX, "uos.listdir('/usr')"))

IMPORT_UOS = Snippet("import uos")
LISTDIR = Snippet("uos.listdir(%r)", ("/usr/hil/run",))
STATVFS = Snippet("uos.statvfs(%r)", (USR,))

# Streams a file through sha256 in 1 KiB blocks; None if the file is missing.
SHA_FUNC = Snippet("""
def _hil_sha(p):
    import uhashlib, ubinascii
    try:
        f = open(p, 'rb')
    except OSError:
        return None
    h = uhashlib.sha256()
    b = bytearray(1024)
    n = 0
    while True:
        k = f.readinto(b)
        if not k:
            break
        h.update(memoryview(b)[:k])
        n += k
    f.close()
    return [ubinascii.hexlify(h.digest()).decode(), n]
""")
FILE_HASH = Snippet("_hil_sha(%r)", ("/usr/hil/hil_ftp.py",))
FILE_HASHES = Snippet("[_hil_sha(p) for p in %r]", (["/usr/hil/hil_ftp.py", "/usr/hil/x.py"],))

REMOVE_FUNC = Snippet("import uos\ndef _hil_rm(p):\n    try:\n        uos.remove(p)\n"
                      "        return True\n    except OSError:\n        return False\n")
REMOVE_ALL = Snippet("[_hil_rm(p) for p in %r]", (["/usr/hil/run/t-up.bin", "/usr/hil/x"],))

EXISTS_FUNC = Snippet("import uos\ndef _hil_exists(p):\n    try:\n        uos.stat(p)\n"
                      "        return True\n    except OSError:\n        return False\n")
EXISTS = Snippet("_hil_exists(%r)", ("/usr/hil/run/t-up.bin",))

# can the module take raw bytes on stdin (the binary push)?
BINARY_PROBE_SETUP = Snippet("import usys, micropython")
BINARY_PROBE = Snippet("hasattr(usys.stdin, 'buffer') and hasattr(micropython, 'kbd_intr')")

INFO_SETUP = Snippet(
    "import uos, usys\ntry:\n    import modem\n    _fw = modem.getDevFwVersion()\n"
    "    _imei = modem.getDevImei()\nexcept Exception:\n    _fw = ''\n    _imei = ''\n"
    "_un = uos.uname()\n_st = uos.statvfs(%r)\n" % USR)
INFO = Snippet(
    "{'uname': [str(x) for x in _un], 'fw': _fw, 'imei': str(_imei), "
    "'mpy': '.'.join([str(x) for x in usys.implementation.version]), "
    "'free': _st[0] * _st[4], 'total': _st[0] * _st[2]}")

# the module's own address, from its data call ('' without one: no dataCall, link down)
DATA_CALL_SETUP = Snippet(
    "try:\n    import dataCall\n    _dc = dataCall.getInfo(1, 0)\n"
    "    _ip = _dc[2][2] if _dc[2][0] == 1 else ''\nexcept Exception:\n    _ip = ''")
DATA_CALL_ADDRESS = Snippet("_ip")

# does `import ftplib` work without our copies on the path (the firmware's own)?
HAS_FTPLIB_FUNC = Snippet(
    "import usys\n"
    "def _hil_has_ftplib():\n"
    "    saved = list(usys.path)\n"
    "    for d in (%r, %r):\n"
    "        while d in usys.path:\n"
    "            usys.path.remove(d)\n"
    "    try:\n"
    "        import ftplib\n"
    "        return True\n"
    "    except ImportError:\n"
    "        return False\n"
    "    finally:\n"
    "        usys.path[:] = saved\n" % (LIB_DIR, USER_DIR))
HAS_FTPLIB = Snippet("_hil_has_ftplib()")


# -- files ------------------------------------------------------------------------

MAKEDIRS = Snippet("import uos\npath = ''\nfor part in %r.strip('/').split('/'):\n"
                   "    path = path + '/' + part\n    try:\n        uos.mkdir(path)\n"
                   "    except OSError:\n        pass\n", ("/usr/hil/run",))

# the base64 push: open once, one exec per chunk, close
BASE64_OPEN = Snippet("import ubinascii\n_hil_f = open(%r, 'wb')\n_hil_w = _hil_f.write\n"
                      "_hil_d = ubinascii.a2b_base64", ("/usr/hil/run/t-up.bin",))
BASE64_WRITE = Snippet("_hil_w(_hil_d(%r))", (b"aGlsLWZ0cA==",))
BASE64_CLOSE = Snippet("_hil_f.close()")

# Reads `size` raw bytes from stdin into a file, acking each block with \x06.
# Ctrl-C is switched off meanwhile so a 0x03 in the data is data. The host
# keeps `ahead` blocks in flight past the last ack (Device._push_binary), so a
# receiver that fails (a full disk: OSError 28) knows exactly how many bytes
# are still coming: it stops acking, reads and drops exactly those, and only
# then turns Ctrl-C back on and raises. No byte of the payload can reach the
# REPL as a keystroke or as program source.
_RECEIVER = """
import usys, micropython, uhashlib, ubinascii
def _hil_recv(path, size, block, ahead):
    f = open(path, 'wb')
    h = uhashlib.sha256()
    src = usys.stdin.buffer
    got = 0
    acked = 0
    micropython.kbd_intr(-1)
    try:
        try:
            usys.stdout.write('\\x06')
            while got < size:
                data = src.read(min(block, size - got))
                got += len(data)
                f.write(data)
                h.update(data)
                acked += 1
                usys.stdout.write('\\x06')
        except Exception:
            left = min(size, (acked + ahead) * block) - got
            while left > 0:
                left -= len(src.read(min(block, left)))
            raise
    finally:
        micropython.kbd_intr(3)
        f.close()
    digest = ubinascii.hexlify(h.digest()).decode()
    usys.stdout.write(%r + digest + ' ' + str(got) + '\\n')
""" % VALUE_PREFIX
PUSH_BINARY = Snippet(_RECEIVER + "_hil_recv(%r, %d, %d, %d)",
                      ("/usr/hil/run/t-up.bin", 4096, 512, 2))


# -- device steps (device_scripts/*.py, pushed to /usr/hil) ----------------------

STEP_IMPORT = Snippet("import usys, ujson\nif %r not in usys.path:\n    usys.path.insert(0, %r)\n"
                      "import %s\n", ("/usr/hil", "/usr/hil", "hil_ftp"))
STEP_RUN = Snippet("%s.run(%r, ujson.loads(%r))\n",
                   ("hil_ftp", "upload", '{"host": "10.0.0.2", "port": 2121}'))


def step_run(module: str, step: str, args: dict[str, Any]) -> str:
    """STEP_RUN for `args`: JSON with its text as it is, never a \\uXXXX escape (a build
    without unicode cuts one to its low byte: extmod/modujson.c:166-176, py/vstr.c:148-174
    at e7c4b19d), so the step gets the bytes the host means on every build."""
    return STEP_RUN.fill(module, step, json.dumps(args, ensure_ascii=False))
# after STEP_IMPORT: import an ftplib kind the way every step will (harness/deploy/ftplib_check.py)
LOAD_FTPLIB = Snippet("%s.load_ftplib(%r)\n", ("hil_ftp", "bundled"))

# Which of `names` an ftplib's class has (harness/deploy/ftplib_check.py): null for
# one it lacks, true for one it has, or, where functions carry __code__ (CPython;
# not MicroPython 1.13), [positional parameters with self, defaults, takes *args,
# parameter names, takes **kwargs]. null: no class.
FTPLIB_NAMES_FUNC = Snippet("""
def _hil_ftp_names(lib, cls, names):
    c = getattr(lib, cls, None)
    if c is None:
        return None
    said = {}
    for n in names:
        f = getattr(c, n, None)
        k = getattr(f, '__code__', None)
        if f is None:
            said[n] = None
        elif k is None:
            said[n] = True
        else:
            said[n] = [k.co_argcount, len(getattr(f, '__defaults__', None) or ()),
                       bool(k.co_flags & 4),
                       list(k.co_varnames[:k.co_argcount + k.co_kwonlyargcount]),
                       bool(k.co_flags & 8)]
    return said
""")
FTPLIB_NAMES = Snippet("_hil_ftp_names(%s.load_ftplib(%r), %r, %r)",
                       ("hil_ftp", "user", "FTP", ["connect", "login", "retrbinary"]))


# -- payloads and precompiled scripts ------------------------------------

# copies a file on the module in 1 KiB blocks (a cached payload into the run's folder)
COPY_FILE = Snippet("""
def _hil_copy(src, dst):
    b = bytearray(1024)
    fi = open(src, 'rb')
    try:
        fo = open(dst, 'wb')
        try:
            while True:
                k = fi.readinto(b)
                if not k:
                    break
                fo.write(memoryview(b)[:k])
        finally:
            fo.close()
    finally:
        fi.close()
_hil_copy(%r, %r)
""", ("/usr/hil/cache/0123456789abcdef", "/usr/hil/run/t-up.bin"))

# The .mpy the module names: usys.implementation.mpy on MicroPython 1.12-1.18
# (QuecPython 1.13: py/modsys.c:71-88), ._mpy from 1.19; None if it names none.
IMPORT_USYS = Snippet("import usys")
MPY_HEADER = Snippet("getattr(usys.implementation, '_mpy', "
                     "getattr(usys.implementation, 'mpy', None))")

# Can the module load a .mpy? Writes a tiny one (its bytes come in the call: no push
# of its own) beside the steps and imports it: 'ok', 'refused: <error>' (a ValueError
# such as "incompatible .mpy file"), or 'no' (no .mpy loader: an ImportError, as on
# CPython).
MPY_PROBE_FUNC = Snippet("""
import usys, uos
def _hil_mpy_probe(folder, name, data):
    try:
        uos.mkdir(folder)
    except OSError:
        pass
    try:
        uos.remove(folder + '/' + name + '.py')
    except OSError:
        pass
    f = open(folder + '/' + name + '.mpy', 'wb')
    f.write(data)
    f.close()
    if folder not in usys.path:
        usys.path.insert(0, folder)
    if name in usys.modules:
        del usys.modules[name]
    try:
        __import__(name)
        return 'ok'
    except ValueError as exc:
        return 'refused: ' + str(exc)
    except ImportError:
        return 'no'
""")
MPY_PROBE = Snippet("_hil_mpy_probe(%r, %r, %r)", ("/usr/hil", "hil_mpy_probe", b"M\x05\x00"))

# does the module have uzlib (a compressed push) and binary stdin?
ZLIB_PROBE_SETUP = Snippet("import usys, micropython\ntry:\n    import uzlib\n"
                           "    _hil_z = True\nexcept ImportError:\n    _hil_z = False")
ZLIB_PROBE = Snippet("_hil_z and hasattr(usys.stdin, 'buffer') "
                     "and hasattr(micropython, 'kbd_intr')")

# Receives files one after another: for each (path, count), `count` frames from stdin,
# each a 2-byte big-endian length and one zlib stream of at most a few KiB, and writes
# what each inflates to; acks each frame with \x06 (one frame in flight: a frame fits
# any USB CDC buffer). One receiver for all the files of a sync: its source crosses
# the link once. Prints each file's sha256 and size at the end. Scripts are text: a
# third of their size crosses the link.
_ZRECEIVER = """
import usys, micropython, uhashlib, ubinascii, uzlib
def _hil_zread(src, n):
    b = b''
    while len(b) < n:
        b += src.read(n - len(b))
    return b
def _hil_zrecv(jobs):
    src = usys.stdin.buffer
    said = []
    micropython.kbd_intr(-1)
    try:
        usys.stdout.write('\\x06')
        for path, count in jobs:
            f = open(path, 'wb')
            h = uhashlib.sha256()
            got = 0
            try:
                for i in range(count):
                    hdr = _hil_zread(src, 2)
                    data = uzlib.decompress(_hil_zread(src, hdr[0] * 256 + hdr[1]))
                    f.write(data)
                    h.update(data)
                    got += len(data)
                    usys.stdout.write('\\x06')
            finally:
                f.close()
            said.append(ubinascii.hexlify(h.digest()).decode() + ' ' + str(got))
    finally:
        micropython.kbd_intr(3)
    for line in said:
        usys.stdout.write(%r + line + '\\n')
""" % VALUE_PREFIX
PUSH_ZLIB = Snippet(_ZRECEIVER + "_hil_zrecv(%r)", ([("/usr/hil/hil_ftp.py", 6)],))

# the payload cache's entries and their sizes: [[name, bytes], ...]
CACHE_SIZES = Snippet("[[n, uos.stat(%r + '/' + n)[6]] for n in uos.listdir(%r)]",
                      ("/usr/hil/cache", "/usr/hil/cache"))

# drops a device script's module after its step (the payload generator), so its
# code does not hold heap while the FTP steps compile
STEP_FORGET = Snippet("import usys, gc\nusys.modules.pop(%r, None)\ntry:\n    del %s\n"
                      "except NameError:\n    pass\ngc.collect()\n", ("hil_gen", "hil_gen"))
