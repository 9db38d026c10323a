"""Text as the firmware keeps it, on the CPython engine.

QuecPython's legacy build (QuecPython/microPython@e7c4b19d, MicroPython 1.13) is built
without unicode strings: its str is a byte string. The newer port (QuecPython/micropython,
MicroPython 1.28) has them. firmware_surface.TEXT lists each behaviour with its file and
line; ModuleConfig.unicode says which build a virtual module is (False: the legacy one).

The model, unicode off (the default)
------------------------------------
A firmware str is held on CPython as a str of one character per byte, U+0000-U+00FF:
the latin-1 view of its bytes. Whatever counts characters then counts bytes, as the
firmware does, with no code of ours: len, indexing, slicing, iteration, find/index,
comparison, hashing, and the widths and precisions of % and format(). Where text crosses
into or out of device code it is converted, each crossing in one place:

    source       the REPL's bytes and device files are read as latin-1 before they are
                 compiled (FirmwareText.source), so a non-ASCII literal is its UTF-8
                 bytes and `\\u00dc` the one byte 0xDC; a str constant above 0xFF (an
                 escape such as `\\u6d4b`) is the firmware's "SyntaxError: invalid syntax"
    encode, decode, str(b, enc), bytes(s, enc), bytearray(s, enc)
                 the bytes as they are, whatever the encoding, never a UTF-8 check;
                 str.decode() and bytes.encode() exist (TextCalls, through the compile step)
    chr, ord     chr() above 255 is a ValueError; ord() of a non-ASCII "character" sees
                 its bytes (TextCalls.chr; ord needs nothing)
    repr, print  bytes 0x80-0xFF stand inside the quotes as they are (FirmwareText.repr)
    console      usys.stdout writes a str's bytes, usys.stdin's text reads bytes
                 (runtime.DeviceStdout, cpython_fw/fw_usys.py)
    files        a name's bytes are the host file's name (UTF-8 on the host, so a test sees
                 the name the module wrote); text-mode files read and write bytes (devfs.py)
    ujson        loads keeps raw bytes and cuts a \\uXXXX escape to its low byte; dumps
                 writes bytes (cpython_fw/ulib.py)
    buffers      a str handed to send/sendall/sendto, uhashlib or ubinascii is its bytes
    str methods  whitespace and case are ASCII's only (split, strip, upper, isspace, ...),
                 which holds with unicode on as well: the firmware looks at bytes

The model, unicode on (ModuleConfig(unicode=True): the newer port)
------------------------------------------------------------------
CPython's str is the firmware's. encode and decode are UTF-8 whatever the encoding (as
1.13), decode checks the bytes (UnicodeError), escapes up to U+10FFFF compile, repr escapes
every non-ASCII character. The str methods keep the ASCII rules above.

CPython's str and bytes cannot be patched, so device code is rewritten when it is compiled
(compile_device_code): `x.encode(...)`, `x.split()`, ... become TextCalls.method(x, ...),
`str(...)`, `bytes(...)`, `bytearray(...)` become TextCalls.call(str, ...), which pass
anything that is not firmware text to the object's own method. Left as CPython does them
(device code has no business there, and the gate keeps text out of device code):
'%r'/'{!r}' of a non-ASCII str, '%c' of a number above 255 (the firmware keeps its low
byte, objstr.c:1243 and 1537: the crossings above do the same).
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import os
import types
from collections.abc import Callable
from typing import Any

from harness.micropython.gate import parse_quietly

TEXT_HELPER = "__hil_text__"
ASCII_SPACE = " \t\n\r\x0b\x0c"  # py/unicode.c:52-69: the only bytes with FL_SPACE
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_TO_UPPER = str.maketrans(_LOWER, _UPPER)
_TO_LOWER = str.maketrans(_UPPER, _LOWER)
_BUFFER_TAKERS = frozenset({"send", "sendall", "sendto"})
_ASCII_RULED = frozenset({"split", "rsplit", "strip", "lstrip", "rstrip", "upper", "lower",
                          "isspace", "isalpha", "isdigit", "isupper", "islower"})
# method calls compile_device_code routes through TextCalls.method
REWRITTEN_METHODS = frozenset({"encode", "decode"}) | _ASCII_RULED | _BUFFER_TAKERS


class FirmwareText:
    """One build's text: bytes (unicode off) or characters (unicode on)."""

    def __init__(self, unicode: bool) -> None:
        self.unicode = unicode

    # -- bytes <-> firmware str ------------------------------------------------

    def bytes_of(self, text: str) -> bytes:
        """The bytes of a firmware str: what a C function taking a buffer reads."""
        if self.unicode:
            return text.encode("utf-8", "surrogatepass")
        try:
            return text.encode("latin-1")
        except UnicodeEncodeError:  # only '%c' % 0x6d4b gets here: the low byte, as there
            return bytes(ord(c) & 0xFF for c in text)

    def text_of(self, data: bytes) -> str:
        """bytes as a firmware str (decode(), str(b, enc)): never checked without unicode
        (py/mpconfig.h:881-882), a bare UnicodeError for invalid UTF-8 with it
        (py/objstr.c:165-169, 184-188)."""
        if not self.unicode:
            return data.decode("latin-1")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise UnicodeError() from None

    def source(self, data: bytes) -> str:
        """Program text as the firmware's lexer sees it: bytes, or UTF-8 with unicode."""
        return data.decode("utf-8", "replace") if self.unicode else data.decode("latin-1")

    @property
    def file_encoding(self) -> str:
        """How a text-mode file's bytes become firmware str."""
        return "utf-8" if self.unicode else "latin-1"

    # -- file names --------------------------------------------------------------

    def host_name(self, name: str) -> str:
        """The host's name of a file the module names `name` (the same bytes)."""
        return name if self.unicode else os.fsdecode(self.bytes_of(name))

    def device_name(self, host_name: str) -> str:
        """The module's name of a host file (the same bytes)."""
        return host_name if self.unicode else os.fsencode(host_name).decode("latin-1")

    # -- printing ------------------------------------------------------------------

    def repr(self, obj: Any) -> str:
        """repr() as the firmware prints it (containers of str included)."""
        if isinstance(obj, str):
            return self._quoted(obj)
        if isinstance(obj, list):
            return "[" + ", ".join(self.repr(x) for x in obj) + "]"
        if isinstance(obj, tuple):
            inner = ", ".join(self.repr(x) for x in obj)
            return "(" + inner + ("," if len(obj) == 1 else "") + ")"
        if isinstance(obj, dict):
            return "{" + ", ".join("%s: %s" % (self.repr(k), self.repr(v))
                                   for k, v in obj.items()) + "}"
        return repr(obj)

    def str_of(self, obj: Any) -> str:
        """str(obj), print(obj): a str as it is, a container through repr()."""
        if isinstance(obj, str):
            return obj
        if isinstance(obj, list | tuple | dict):
            return self.repr(obj)
        return str(obj)

    def _quoted(self, text: str) -> str:
        # quote choice and escapes: py/objstr.c:48-85 (no unicode: bytes >= 0x80 as they
        # are), py/objstrunicode.c:43-85 (unicode: every non-ASCII character escaped)
        quote = '"' if "'" in text and '"' not in text else "'"
        out = [quote]
        for c in text:
            code = ord(c)
            if c == quote or c == "\\":
                out.append("\\" + c)
            elif 32 <= code < 127 or (code >= 0x80 and not self.unicode):
                out.append(c)
            elif c in "\n\r\t":
                out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[c])
            elif code < 0x100:
                out.append("\\x%02x" % code)
            elif code < 0x10000:
                out.append("\\u%04x" % code)
            else:
                out.append("\\U%08x" % code)
        out.append(quote)
        return "".join(out)

    # -- ujson ----------------------------------------------------------------------

    def json_loads(self, text: str | bytes | bytearray) -> Any:
        """ujson.loads: raw bytes are kept; without unicode, a \\uXXXX escape is cut to its
        low byte (extmod/modujson.c:166-176, py/vstr.c:148-174)."""
        if isinstance(text, bytes | bytearray):
            text = self.text_of(bytes(text))
        value = json.loads(text)
        return value if self.unicode else _low_bytes(value)

    def json_dumps(self, obj: Any) -> str:
        """ujson.dumps: text as it is, not \\u-escaped (py/objstr.c:88-110)."""
        return json.dumps(obj, ensure_ascii=False)


def _low_bytes(value: Any) -> Any:
    if isinstance(value, str):
        return value if value.isascii() or max(value) <= "\xff" else \
            "".join(chr(ord(c) & 0xFF) for c in value)
    if isinstance(value, list):
        return [_low_bytes(x) for x in value]
    if isinstance(value, dict):
        return {_low_bytes(k): _low_bytes(v) for k, v in value.items()}
    return value


# -- what compiled device code calls ------------------------------------------------------


class TextCalls:
    """The builtins device code reaches for text, for one build (installed as TEXT_HELPER,
    chr, repr and print in the runtime's builtins)."""

    def __init__(self, text: FirmwareText, write: Callable[[str], Any]) -> None:
        self.text = text
        self._write = write

    def method(self, obj: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        """obj.name(*args): firmware text by the firmware's rules, anything else its own."""
        if not kwargs:
            if isinstance(obj, str):
                done = self._str_method(obj, name, args)
                if done is not _OWN:
                    return done
            elif isinstance(obj, bytes | bytearray) and name == "decode":
                # py/objstr.c:1905-1915: the encoding is never looked at
                return self.text.text_of(bytes(obj))
            elif name == "encode" and type(obj) is bytes and not self.text.unicode:
                return obj  # one method table for str and bytes (objstr.c:1944-1954, 209-211)
            elif name in _BUFFER_TAKERS and args and isinstance(args[0], str) \
                    and not isinstance(obj, types.GeneratorType | types.CoroutineType):
                # a C function reads a str's buffer: its bytes (py/objstr.c:1931-1942)
                args = (self.text.bytes_of(args[0]),) + args[1:]
        return getattr(obj, name)(*args, **kwargs)

    def _str_method(self, s: str, name: str, args: tuple) -> Any:
        if name == "encode":  # the encoding is never looked at (objstr.c:1918-1928)
            return self.text.bytes_of(s)
        if name == "decode":
            # without unicode str and bytes share one table (objstr.c:1944-1954): a str
            # "decodes" to the str of its own bytes (objstr.c:181-189)
            return _OWN if self.text.unicode else s
        if name in ("split", "rsplit") and (not args or args[0] is None):
            limit = args[1] if len(args) > 1 else -1
            if name == "rsplit" and limit >= 0:  # objstr.c:643-656
                raise NotImplementedError("rsplit(None,n)")
            return ascii_split(s, limit)
        if name in ("strip", "lstrip", "rstrip") and not args:
            return getattr(s, name)(ASCII_SPACE)  # objstr.c:803: " \t\n\r\v\f" only
        if name == "upper" and not args:
            return s.translate(_TO_UPPER)  # unicode.c:158-170, per byte (objstr.c:1822-1831)
        if name == "lower" and not args:
            return s.translate(_TO_LOWER)
        if name in ("isspace", "isalpha", "isdigit", "isupper", "islower") and not args:
            return ascii_istype(s, name)
        return _OWN

    def call(self, callee: Any, *args: Any, **kwargs: Any) -> Any:
        """str(...), bytes(...), bytearray(...) as the firmware makes them."""
        if callee is builtins.str:
            if len(args) == 1 and not kwargs:
                return self.text.str_of(args[0])
            if len(args) >= 2 and isinstance(args[0], bytes | bytearray):
                return self.text.text_of(bytes(args[0]))  # objstr.c:157-190
        elif callee is builtins.bytes or callee is builtins.bytearray:
            if len(args) >= 2 and isinstance(args[0], str):
                return callee(self.text.bytes_of(args[0]))  # objstr.c:213-226
        return callee(*args, **kwargs)

    def chr(self, code: int) -> str:
        if not self.text.unicode and not 0 <= code <= 0xFF:
            raise ValueError("chr() arg not in range(256)")  # py/modbuiltins.c:165-172
        return chr(code)

    def repr(self, obj: Any) -> str:
        return self.text.repr(obj)

    def print(self, *args: Any, sep: str = " ", end: str = "\n", file: Any = None) -> None:
        """print(): str as it is, containers with the firmware's repr of their items."""
        out = sep.join(self.text.str_of(a) for a in args) + end
        if file is None:
            self._write(out)
        else:
            file.write(out)


_OWN = object()  # "not ours: call the object's own method"


def ascii_split(s: str, limit: int = -1) -> list[str]:
    """str.split() on the firmware's whitespace only (py/objstr.c:519-545)."""
    out: list[str] = []
    i, n = 0, len(s)
    while i < n and s[i] in ASCII_SPACE:
        i += 1
    while i < n and limit != 0:
        start = i
        while i < n and s[i] not in ASCII_SPACE:
            i += 1
        out.append(s[start:i])
        if i >= n:
            break
        while i < n and s[i] in ASCII_SPACE:
            i += 1
        if limit > 0:
            limit -= 1
    if i < n:
        out.append(s[i:])
    return out


def ascii_istype(s: str, name: str) -> bool:
    """isspace/isalpha/isdigit/isupper/islower by ASCII's table (py/objstr.c:1843-1874)."""
    if not s:
        return False
    if name == "isspace":
        return all(c in ASCII_SPACE for c in s)
    if name == "isdigit":
        return all("0" <= c <= "9" for c in s)
    letters = [c for c in s if c in _LOWER or c in _UPPER]
    if name == "isalpha":
        return len(letters) == len(s)
    wanted = _UPPER if name == "isupper" else _LOWER
    return bool(letters) and all(c in wanted for c in letters)


# -- the compile step ---------------------------------------------------------------------


class _TextRewrite(ast.NodeTransformer):
    """Method calls of REWRITTEN_METHODS and calls of str/bytes/bytearray go through
    TEXT_HELPER (which calls anything else's own)."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        helper = ast.Name(TEXT_HELPER, ast.Load())
        if isinstance(func, ast.Attribute) and func.attr in REWRITTEN_METHODS:
            call = ast.Call(func=ast.Attribute(helper, "method", ast.Load()),
                            args=[func.value, ast.Constant(func.attr), *node.args],
                            keywords=node.keywords)
            return ast.copy_location(call, node)
        if isinstance(func, ast.Name) and func.id in ("str", "bytes", "bytearray"):
            call = ast.Call(func=ast.Attribute(helper, "call", ast.Load()),
                            args=[func, *node.args], keywords=node.keywords)
            return ast.copy_location(call, node)
        return node


@functools.lru_cache(maxsize=64)
def compile_device_code(source: str, filename: str, mode: str = "exec") -> types.CodeType:
    """compile() of device code: `source` is FirmwareText.source's text, already past the
    1.13 gate (runtime.check_mpy_113), which refuses an escape above 0xFF where the build
    has no unicode (the gate's unicode-escape rule). The rewrite is the same for both
    builds: TextCalls applies each one's rules.

    Cached: the same device file is imported again after every soft reboot.
    """
    tree = _TextRewrite().visit(parse_quietly(source, filename, mode))
    return compile(ast.fix_missing_locations(tree), filename, mode, dont_inherit=True)
