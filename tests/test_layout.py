"""The module's layout has one home on the host (harness/wire/layout.py); the device
script, which runs on the module and cannot import it, keeps copies that must
say the same. Read from hil_ftp.py's source, never by importing it."""

from __future__ import annotations

import ast
from pathlib import Path

from harness.wire import layout

HIL_FTP = Path(__file__).resolve().parents[1] / "device_scripts" / "hil_ftp.py"
HIL_COMMON = HIL_FTP.with_name("hil_common.py")  # what the device scripts share


def module_constants(path: Path) -> dict[str, object]:
    """Top-level NAME = <literal> assignments of a file, evaluated as literals."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue  # not a literal (a function call, a name): not a layout constant
    return found


def test_device_steps_print_the_result_prefix_the_host_parses():
    assert module_constants(HIL_COMMON)["RESULT_PREFIX"] == layout.RESULT_PREFIX


def test_the_result_prefix_has_one_home_on_each_side():
    # the host: harness/wire/layout.py; the module: device_scripts/hil_common.py
    host = [p for p in (HIL_FTP.parents[1] / "harness").rglob("*.py")
            if "RESULT_PREFIX" in module_constants(p)]
    device = [p.name for p in HIL_FTP.parent.glob("*.py") if "RESULT_PREFIX" in module_constants(p)]
    assert [p.name for p in host] == ["layout.py"] and device == ["hil_common.py"]


def test_hil_ftp_looks_for_ftplib_where_the_host_puts_it():
    assert module_constants(HIL_FTP)["FTPLIB_DIRS"] == layout.FTPLIB_DIRS
    assert layout.FTPLIB_DIRS == {"bundled": layout.LIB_DIR, "user": layout.USER_DIR}


def test_every_harness_folder_is_under_the_harness_folder():
    for folder in (layout.LIB_DIR, layout.USER_DIR, layout.RUN_DIR):
        assert folder.startswith(layout.DEVICE_DIR + "/")
    assert layout.DEVICE_DIR.startswith(layout.USR + "/")


def test_the_reader_sees_a_changed_constant(tmp_path):
    # the check above could fail: a copy that drifts is read as it is
    drifted = tmp_path / "hil_ftp.py"
    drifted.write_text(HIL_FTP.read_text(encoding="utf-8").replace(
        "'/usr/hil/lib'", "'/usr/lib'"), encoding="utf-8")
    assert module_constants(drifted)["FTPLIB_DIRS"] != layout.FTPLIB_DIRS
