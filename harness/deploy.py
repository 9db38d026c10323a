"""Put the device scripts and the chosen ftplib on the module (where: harness/layout.py).

Files whose sha256 already matches on the module are not sent again.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from . import snippets
from .device import Device
from .layout import DEVICE_DIR, LIB_DIR, USER_DIR

BUNDLED_FTPLIB = "ftplib.py"


def deploy_scripts(device: Device, scripts_dir: Path) -> list[str]:
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
    return pushed


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
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "ftplib.py").write_bytes(user_ftplib.read_bytes())
        device.sync_folder(Path(tmp), USER_DIR)
