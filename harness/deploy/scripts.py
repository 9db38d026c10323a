"""Put the device scripts and the chosen ftplib on the module (where: harness/wire/layout.py).

Scripts go precompiled (.mpy: no parse tree to build on the module, a fraction
of the heap and of the bytes on the link) where the module loads a .mpy, and as
.py where it cannot: the virtual module's CPython engine has no .mpy loader, and
a module refuses a .mpy of another version ("ValueError: incompatible .mpy file").
A .py goes without its comments (the same code, on the same lines).

Which .mpy is learned once per module: the version the module names in
its sys.implementation (harness/micropython/mpy_cross.py) is tried first, the other known
versions after it, each by importing a tiny .mpy built by that version's mpy-cross.

Files whose sha256 already matches on the module are not sent again.
"""

from __future__ import annotations

import io
import posixpath
import tempfile
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.deploy.zpush import push_compressed_files
from harness.micropython.mpy_cross import KNOWN_VERSIONS, MpyCrossError, MpyTarget, compile_for
from harness.wire import snippets
from harness.wire.device import Device, sha256_bytes
from harness.wire.layout import DEVICE_DIR, LIB_DIR, USER_DIR

BUNDLED_FTPLIB = "ftplib.py"
PROBE_MODULE = "hil_mpy_probe"  # the tiny module whose import says whether .mpy loads


@dataclass
class Deployment:
    """What deploy_scripts did: the files it pushed and the form the scripts took."""

    form: str = "py"  # "mpy" or "py"
    note: str = ""  # one line for the report: which form, and why not .mpy
    pushed: list[str] = field(default_factory=list)
    target: MpyTarget | None = None  # the .mpy the scripts were built for


def deploy_scripts(device: Device, scripts_dir: Path) -> list[str]:
    """Sync device scripts to the module; the names of the files actually pushed."""
    return deploy(device, scripts_dir).pushed


def deploy(device: Device, scripts_dir: Path,
           versions: Sequence[int] = KNOWN_VERSIONS) -> Deployment:
    """Sync device scripts to the module, precompiled for the .mpy version it loads
    (of `versions`), else as .py."""
    with tempfile.TemporaryDirectory() as tmp:
        done = Deployment()
        done.target, why = mpy_target(device, Path(tmp), versions)
        done.form = "py" if done.target is None else "mpy"
        done.note = ("precompiled .mpy %s (mpy-cross)" % done.target if done.target
                     else ".py source: %s" % why)
        steps: dict[str, bytes] = {}
        lib: dict[str, bytes] = {}
        for path in sorted(scripts_dir.glob("*.py")):
            name, data = _in_form(path, done.target, Path(tmp))
            (lib if path.name == BUNDLED_FTPLIB else steps)[name] = data
        files = {posixpath.join(DEVICE_DIR, n): d for n, d in steps.items()}
        files.update((posixpath.join(LIB_DIR, n), d) for n, d in lib.items())
        done.pushed += [posixpath.relpath(p, DEVICE_DIR) for p in sync_paths(device, files)]
    return done


def reported_target(device: Device) -> MpyTarget | None:
    """The .mpy the module names in its sys.implementation (None: it names none)."""
    header = device.eval_json(snippets.MPY_HEADER.source, setup=snippets.IMPORT_USYS.source)
    return MpyTarget.from_header(header) if isinstance(header, int) else None


def candidates(reported: MpyTarget | None, versions: Sequence[int]) -> list[MpyTarget]:
    """The module's own word first, then the other versions (a module may say v5 and
    load v6: the virtual module's real-MicroPython engine reports 1.13's usys)."""
    first = [reported] if reported is not None and reported.version in versions else []
    return first + [MpyTarget(v) for v in versions if not first or v != first[0].version]


def mpy_target(device: Device, tmp: Path,
               versions: Sequence[int] = KNOWN_VERSIONS) -> tuple[MpyTarget | None, str]:
    """(the .mpy the module imports, "") or (None, why none): decided once per module."""
    probe_py = tmp / (PROBE_MODULE + ".py")
    probe_py.write_text("ok = 1\n", encoding="utf-8")
    probe = tmp / (PROBE_MODULE + ".mpy")
    whys = []
    for target in candidates(reported_target(device), versions):
        try:
            compile_for(target, probe_py, probe)
        except MpyCrossError as exc:
            whys.append("mpy-cross for .mpy %s is not usable here (%s)" % (target, exc))
            continue
        said = str(device.eval_json(
            snippets.MPY_PROBE.fill(DEVICE_DIR, PROBE_MODULE, probe.read_bytes()),
            setup=snippets.MPY_PROBE_FUNC.source))
        if said == "ok":
            return target, ""
        if not said.startswith("refused"):
            return None, "the module has no .mpy loader"
        whys.append("the module refused .mpy %s (%s)" % (target, said[len("refused: "):]))
    return None, "; ".join(whys) or "no .mpy version to try"


def _in_form(path: Path, target: MpyTarget | None, tmp: Path) -> tuple[str, bytes]:
    """(file name on the module, its bytes) of one script: .mpy for `target`, else .py."""
    if target is None:
        return path.name, without_comments(path.read_text(encoding="utf-8")).encode("utf-8")
    out = tmp / (path.stem + ".mpy")
    compile_for(target, path, out)
    return out.name, out.read_bytes()


def without_comments(source: str) -> str:
    """The source with its comments cut: a fifth fewer bytes on the link, the same code,
    every line where it was (a traceback's line numbers still match device_scripts/)."""
    lines = source.splitlines(keepends=True)
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in [t for t in tokens if t.type == tokenize.COMMENT]:
        row, col = token.start
        line = lines[row - 1]
        end = line[len(line.rstrip("\r\n")):]
        lines[row - 1] = line[:col].rstrip() + end
    return "".join(lines)


def sync_files(device: Device, files: dict[str, bytes], remote: str) -> list[str]:
    """Push each file (name: bytes) to the folder `remote` whose sha256 differs on the
    module; the names pushed."""
    pushed = sync_paths(device, {posixpath.join(remote, n): d for n, d in files.items()})
    return [posixpath.basename(p) for p in pushed]


def sync_paths(device: Device, files: dict[str, bytes]) -> list[str]:
    """Push each file (path on the module: bytes) whose sha256 differs there; the paths
    pushed. One look at the module for all of them, one push for those that differ.

    The other form of a script (x.py beside x.mpy) is removed: MicroPython
    imports the .py when both are there, so a stale one would win.
    """
    folders = {posixpath.dirname(p) for p in files}
    for folder in sorted(folders):
        if not any(f.startswith(folder + "/") for f in folders):  # its parents come too
            device.makedirs(folder)
    others = {path: _other_form(path) for path in files}
    on_device = device.file_hashes(list(files) + list(others.values()))
    stale = {path: data for path, data in files.items()
             if on_device.get(path) != (sha256_bytes(data), len(data))}
    if stale:
        push_compressed_files(device, stale)
    for path in files:
        if on_device.get(others[path]) is not None:
            device.remove(others[path])
    return list(stale)


def _other_form(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    return stem + (".py" if suffix == "mpy" else ".mpy") if dot else name + ".mpy"


def firmware_has_ftplib(device: Device) -> bool:
    """True if `import ftplib` works on the module without our copies on the path."""
    return bool(device.eval_json(snippets.HAS_FTPLIB.source,
                                 setup=snippets.HAS_FTPLIB_FUNC.source))


def resolve_ftplib(device: Device, choice: str) -> str:
    """'auto' -> 'firmware' if the module has an ftplib, else 'bundled'.

    A path to a user's ftplib.py is pushed to /usr/hil/user and becomes 'user'.
    """
    if choice == "auto":
        return "firmware" if firmware_has_ftplib(device) else "bundled"
    if choice in ("bundled", "firmware"):
        return choice
    path = Path(choice)
    if not path.is_file():
        raise FileNotFoundError("--ftplib=%s: no such file; give auto, bundled, firmware or "
                                "the path of your ftplib.py" % choice)
    deploy_scripts_user(device, path)
    return "user"


def deploy_scripts_user(device: Device, user_ftplib: Path) -> None:
    # a user's ftplib goes as they gave it: their source, their line numbers
    sync_files(device, {"ftplib.py": user_ftplib.read_bytes()}, USER_DIR)
