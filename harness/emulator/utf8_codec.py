"""str.encode / bytes.decode as MicroPython 1.13 does them: always UTF-8.

MicroPython 1.13 ignores the encoding argument (py/objstr.c:1905-1915: decode copies the
bytes; encode likewise), so Quectel's ftplib, which passes 'latin-1', sends and reads UTF-8
file names. CPython's str and bytes cannot be patched, so the CPython engine rewrites
device code when it compiles it: `x.encode(...)` and `x.decode(...)` become a call of
CODEC_HELPER, which uses UTF-8 for str and bytes and calls any other object's own method.
Where the build checks UTF-8 (MICROPY_PY_BUILTINS_STR_UNICODE_CHECK, on with unicode
strings), invalid bytes raise UnicodeError; CPython's UnicodeDecodeError is one.
"""

from __future__ import annotations

import ast
import functools
import types
from typing import Any

CODEC_HELPER = "__hil_codec_call__"


def codec_call(obj: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """obj.method(*args): the encoding is ignored for str.encode and bytes.decode."""
    if method == "encode" and isinstance(obj, str):
        return obj.encode("utf-8")
    if method == "decode" and isinstance(obj, bytes | bytearray):
        return bytes(obj).decode("utf-8")
    return getattr(obj, method)(*args, **kwargs)


class _CodecCalls(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("encode", "decode"):
            call = ast.Call(func=ast.Name(CODEC_HELPER, ast.Load()),
                            args=[func.value, ast.Constant(func.attr), *node.args],
                            keywords=node.keywords)
            return ast.copy_location(call, node)
        return node


@functools.lru_cache(maxsize=64)
def compile_utf8_only(source: str, filename: str, mode: str = "exec") -> types.CodeType:
    """compile(), with every .encode()/.decode() call going through CODEC_HELPER.

    Cached: the same device file is imported again after every soft reboot.
    """
    tree = _CodecCalls().visit(ast.parse(source, filename, mode))
    return compile(ast.fix_missing_locations(tree), filename, mode, dont_inherit=True)
