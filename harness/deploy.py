"""What the harness puts on the module, and where.

    /usr/hil/*.py          the device steps (device_scripts/, minus ftplib.py)
    /usr/hil/lib/ftplib.py our MicroPython ftplib ("bundled")
    /usr/hil/user/ftplib.py a user's own ftplib ("--ftplib=PATH")
    /usr/hil/run/          files the scenarios create; cleaned per test

Files whose sha256 already matches on the module are not sent again.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from .device import DEVICE_DIR, Device

LIB_DIR = DEVICE_DIR + "/lib"
USER_DIR = DEVICE_DIR + "/user"
BUNDLED_FTPLIB = "ftplib.py"


def deploy_scripts(device: Device, scripts_dir: Path, user_ftplib: Path | None = None) -> list[str]:
    """Sync device scripts to the module; the names of the files actually pushed."""
    pushed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        steps = Path(tmp, "steps")
        lib = Path(tmp, "lib")
        steps.mkdir()
        lib.mkdir()
        for path in sorted(scripts_dir.glob("*.py")):
            target = lib if path.name == BUNDLED_FTPLIB else steps
            (target / path.name).write_bytes(path.read_bytes())
        pushed += device.sync_folder(steps, DEVICE_DIR)
        if any(lib.iterdir()):
            pushed += ["lib/" + n for n in device.sync_folder(lib, LIB_DIR)]
    if user_ftplib is not None:
        deploy_scripts_user(device, user_ftplib)
    return pushed


FTPLIB_KINDS = ("auto", "bundled", "firmware")


def firmware_has_ftplib(device: Device) -> bool:
    """True if `import ftplib` works on the module without our copies on the path."""
    return bool(device.eval_json(
        "_hil_has_ftplib()",
        setup="import usys\n"
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
              "        usys.path[:] = saved\n" % (LIB_DIR, USER_DIR)))


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
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "ftplib.py").write_bytes(user_ftplib.read_bytes())
        device.sync_folder(Path(tmp), USER_DIR)
