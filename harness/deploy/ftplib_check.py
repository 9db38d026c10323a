"""Will the module take this code, and can the steps use it? Asked once, before the
first scenario.

Two looks at whether the module takes it, each ending in one line that names the
file and the line:

- on the host, for a user's ftplib (--ftplib=PATH), before any module is touched:
  host_refusal(path) -> "ftplib.py, line 3: SyntaxError: invalid syntax", or None.
  The MicroPython 1.13 gate (harness/micropython/gate.py) and mpy-cross v5 say whether
  the module's compiler takes it, and which imports run at import time and name a
  module the firmware lacks (`import os`: QuecPython has uos only).
- on the module, once its files are there: load_on_module(device, kind) imports
  the device steps and that ftplib the very way every step will (hil_ftp.load_ftplib),
  and ModuleRefusedCode carries the module's own error line.

Then whether it has what the steps call (harness/deploy/ftplib_calls.py: the FTP
class, its methods, how many arguments the steps pass), in one line naming what is
missing ("no class FTP"; "FTP lacks connect, login"; "FTP.retrbinary(cmd, callback)
takes 2 arguments, the steps pass 3: cmd, callback, blocksize"):

- host_gaps(path), for a user's ftplib.py: read with ast, nothing run, so the class,
  its methods (and those of base classes in the same file) and their parameters;
  a class it imports or builds at run time is left to the module;
- module_gaps(device, kind), for any ftplib once the module imported it: the module
  says which names FTP has (getattr on the class, inherited methods included).
  MicroPython 1.13 cannot say how many arguments a method takes: a bytecode function
  answers no attribute but __name__, and that only where MICROPY_PY_FUNCTION_ATTRS
  is on (QuecPython/microPython@e7c4b19 py/objfun.c:351-358; py/mpconfig.h:834 makes
  it 0 and ports/quectel/core/source/mpconfigport.h leaves it so), so no __code__ or
  __defaults__. There only the names are checked, and a firmware ftplib's argument
  counts (no source on the host) first show as a TypeError in a scenario. CPython
  (the virtual module's engine) says, and the counts are checked too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.deploy.ftplib_calls import CALLS, Call, required
from harness.errors import DeviceExecError, HarnessError
from harness.micropython import gate
from harness.micropython.mpy_cross import MpyCrossError, compile_v5
from harness.wire import snippets
from harness.wire.device import Device
from harness.wire.layout import DEVICE_DIR, STEPS_MODULE

IMPORT_RULES = {  # the gate's rule -> why, for a top-level name
    "u-module": "QuecPython has only u%s",
    "cpython-only-module": "MicroPython 1.13 has no %s module",
    "future-import": "MicroPython has no %s module",
}
_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+)')


class ModuleRefusedCode(HarnessError):
    """The module could not import what the harness pushed; the message is its own error."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


# -- on the host -------------------------------------------------------------


def host_refusal(path: Path) -> str | None:
    """What the module would say on importing `path` ("FILE, line N: Error: ..."), or None."""
    try:
        source = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return "%s: SyntaxError: not UTF-8 (byte %d)" % (path, exc.start)
    syntax = gate.first_syntax_violation(source, str(path))
    if syntax is not None:
        return "%s, line %d: %s" % (path, syntax.line,
                                    syntax.mp_error or gate.INVALID_SYNTAX)
    try:
        compile_v5(path)
    except MpyCrossError as exc:
        if exc.stderr:  # mpy-cross ran and refused the file (not: could not run it)
            last = exc.stderr.strip().splitlines()[-1]
            return "%s%s: %s" % (path, ", line %d" % exc.line if exc.line else "", last)
    imported = _import_time_names(ast.parse(source, str(path)))
    for violation in gate.check_source(source, str(path)):
        missing = [name for name in imported.get(violation.line, ()) if _lacks(name)]
        if violation.rule in IMPORT_RULES and missing:
            top = missing[0].split(".", 1)[0]
            return "%s, line %d: ImportError: no module named '%s' (%s)" % (
                path, violation.line, missing[0], IMPORT_RULES[violation.rule] % top)
    return None


def _lacks(name: str) -> bool:
    top = name.split(".", 1)[0]
    return top in gate.U_MODULES or top in gate.CPYTHON_ONLY_MODULES \
        or top == "__future__"


def _import_time_names(tree: ast.Module) -> dict[int, list[str]]:
    """line -> modules imported there while the file is imported (not in a function)."""
    found: dict[int, list[str]] = {}
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue  # runs only when called
        if isinstance(node, ast.Import):
            found[node.lineno] = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found[node.lineno] = [node.module]
        pending.extend(ast.iter_child_nodes(node))
    return found


# -- on the module -----------------------------------------------------------


def load_on_module(device: Device, kind: str, timeout: float = 60.0) -> None:
    """Import the device steps and the `kind` ftplib on the module, as a step would
    (and kept loaded, as a step keeps it); ModuleRefusedCode with the module's error."""
    code = (snippets.STEP_IMPORT.fill(DEVICE_DIR, DEVICE_DIR, STEPS_MODULE)
            + snippets.LOAD_FTPLIB.fill(STEPS_MODULE, kind))
    try:
        device.exec(code, timeout)
    except DeviceExecError as exc:
        raise ModuleRefusedCode(error_line(exc.device_traceback)) from None


def error_line(device_traceback: str) -> str:
    """A MicroPython traceback in one line: the deepest file and line, and the error."""
    lines = [line.strip() for line in device_traceback.strip().splitlines() if line.strip()]
    error = lines[-1] if lines else "an error with no message"
    places = [m for m in (_FILE_LINE.search(line) for line in lines) if m and
              not m.group(1).startswith("<")]
    if not places:
        return error
    return "%s, line %s: %s" % (places[-1].group(1), places[-1].group(2), error)


# -- what the steps call -----------------------------------------------------------

CLASS = "FTP"


@dataclass(frozen=True)
class Arity:
    """How many positional arguments (after self) a method takes, and which by name."""

    required: int
    most: int | None  # None: it takes *args
    shown: str = ""  # its parameters as written, where known
    names: tuple[str, ...] | None = None  # its parameters; None: any name (**kwargs)

    def takes(self, count: int) -> bool:
        return self.required <= count and (self.most is None or count <= self.most)

    def lacks(self, keywords: Iterable[str]) -> list[str]:
        """Of `keywords`, those it has no parameter for."""
        return [] if self.names is None else [k for k in keywords if k not in self.names]


# per method name: Arity, True (there, its arguments unknown) or None (not there)
Found = dict[str, Arity | bool | None]


def gaps_line(found: Found | None, calls: Iterable[Call] | None = None) -> str | None:
    """What `found` (the names FTP has; None: no FTP class) lacks of the steps' calls,
    in one line; None when nothing is missing."""
    calls = list(required() if calls is None else calls)
    if found is None:
        return "no class %s (the steps call %s)" % (
            CLASS, ", ".join(c.call_text() for c in calls if c.kind != "attribute set"))
    methods = [c for c in calls if c.kind in ("class", "method")]
    missing = [c.method for c in methods if c.kind == "method" and found.get(c.method) is None]
    problems = ["%s lacks %s" % (CLASS, ", ".join(missing))] if missing else []
    for call in methods:
        arity = found.get(call.method)
        if not isinstance(arity, Arity):
            continue
        shown = "%s.%s%s" % (CLASS, call.method, "(%s)" % arity.shown if arity.shown else "")
        if not arity.takes(len(call.passes)):
            problems.append("%s takes %s, the steps pass %d%s" % (
                shown, _count(arity), len(call.passes),
                ": " + ", ".join(call.passes) if call.passes else ""))
        for name in arity.lacks(call.keywords):
            problems.append("%s has no %s, which the steps pass by name" % (shown, name))
    return "; ".join(problems) or None


def _count(arity: Arity) -> str:
    if arity.most is None:
        return "%d or more arguments" % arity.required
    if arity.most == arity.required:
        return "%d argument%s" % (arity.required, "s"[:arity.required != 1])
    return "%d to %d arguments" % (arity.required, arity.most)


def host_gaps(path: Path) -> str | None:
    """What the steps call that this ftplib.py lacks, in one line, or None; read with
    ast (call-free: nothing of it runs). None too where it cannot tell (a class
    imported or built at run time): the module's look (module_gaps) follows."""
    tree = ast.parse(path.read_bytes().decode("utf-8"), str(path))
    classes = {node.name: node for node in _top_level(tree.body)
               if isinstance(node, ast.ClassDef)}
    if CLASS not in classes:
        bound = any(CLASS in _names_bound(node) for node in _top_level(tree.body))
        return None if bound else gaps_line(None)
    found = _methods(classes[CLASS], classes)
    return None if found is None else gaps_line(found)


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run when the file is imported (inside if / try too, not in functions)."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody"):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield from _top_level(getattr(node, field, []) or [])
        for handler in getattr(node, "handlers", []) or []:
            yield from _top_level(handler.body)


def _names_bound(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    return {t.id for t in targets if isinstance(t, ast.Name)}


def _methods(cls: ast.ClassDef, classes: dict[str, ast.ClassDef],
             seen: frozenset[str] = frozenset()) -> Found | None:
    """Method name -> Arity for a class and the bases defined beside it; None when a
    base is not (imported, or built): its methods cannot be known here."""
    found: Found = {}
    for base in cls.bases:
        if not (isinstance(base, ast.Name) and base.id in classes and base.id not in seen):
            if isinstance(base, ast.Name) and base.id == "object":
                continue
            return None
        inherited = _methods(classes[base.id], classes, seen | {cls.name})
        if inherited is None:
            return None
        found.update(inherited)
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = _arity(node)
        else:
            for name in _names_bound(node):
                found[name] = True  # `debug = set_debuglevel`: there, arguments unknown
    return found


def _arity(func: ast.FunctionDef | ast.AsyncFunctionDef) -> Arity | bool:
    if func.decorator_list:
        return True  # a decorator may change what it takes
    params = [*func.args.posonlyargs, *func.args.args][1:]  # after self (or cls)
    shown = ast.unparse(func.args).split(", ", 1)
    names = tuple(a.arg for a in [*func.args.args, *func.args.kwonlyargs])
    return Arity(len(params) - len(func.args.defaults),
                 None if func.args.vararg else len(params),
                 shown[1] if len(shown) > 1 else "",
                 None if func.args.kwarg else names)


# -- on the module: which names FTP has ----------------------------------------------


def module_gaps(device: Device, kind: str, timeout: float = 30.0) -> str | None:
    """What the steps call that the module's `kind` ftplib lacks, in one line, or None."""
    names = sorted({call.method for call in CALLS if call.kind in ("class", "method")})
    setup = (snippets.STEP_IMPORT.fill(DEVICE_DIR, DEVICE_DIR, STEPS_MODULE)
             + snippets.FTPLIB_NAMES_FUNC.source)
    said = device.eval_json(snippets.FTPLIB_NAMES.fill(STEPS_MODULE, kind, CLASS, names),
                            timeout=timeout, setup=setup)
    return gaps_line(None if said is None else {name: _said_arity(value)
                                                for name, value in said.items()})


def _said_arity(value: Any) -> Arity | bool | None:
    """The module's word on one name: null (not there), true (there), or CPython's
    [co_argcount with self, defaults, takes *args, parameter names, takes **kwargs]."""
    if not isinstance(value, list):
        return None if value is None else True
    count, defaults, star, names, starstar = value
    return Arity(count - 1 - defaults, None if star else count - 1,
                 names=None if starstar else tuple(names))
