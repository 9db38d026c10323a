"""Will the module take this code? Asked once, before the first scenario.

Two looks, each ending in one line that names the file and the line:

- on the host, for a user's ftplib (--ftplib=PATH), before any module is touched:
  host_refusal(path) -> "ftplib.py, line 3: SyntaxError: invalid syntax", or None.
  The MicroPython 1.13 gate (harness/micropython/gate.py) and mpy-cross v5 say whether
  the module's compiler takes it, and which imports run at import time and name a
  module the firmware lacks (`import os`: QuecPython has uos only).
- on the module, once its files are there: load_on_module(device, kind) imports
  the device steps and that ftplib the very way every step will (hil_ftp.load_ftplib),
  and ModuleRefusedCode carries the module's own error line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

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
