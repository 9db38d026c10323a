"""The host's raw REPL and Device, against the virtual module on a real pty."""

from __future__ import annotations

import os
import time

import pytest
import serial

from conftest import read_until
from harness.deploy.zpush import push_compressed
from harness.errors import DeviceExecError, DeviceNotFound, DeviceNotResponding, DeviceTimeout
from harness.wire.device import Device


@pytest.fixture
def device(start_module):
    module = start_module()
    dev = Device.open(module.port)
    yield dev
    dev.close()


def test_exec_returns_output_and_keeps_noise_out_of_values(device: Device) -> None:
    assert device.exec("print('a')\nprint('b')") == "a\r\nb\r\n"
    assert device.eval_json("[1, 'x', None]", setup="print('+CREG: 1')") == [1, "x", None]


def test_exec_error_carries_the_device_traceback(device: Device) -> None:
    with pytest.raises(DeviceExecError) as info:
        device.exec("import uos\nuos.stat('/usr/nope')")
    assert info.value.exception_line == "OSError: [Errno 2] ENOENT"
    assert "Traceback" in info.value.device_traceback


def test_enter_raw_from_a_running_program(start_module) -> None:
    module = start_module()
    first = Device.open(module.port)
    # leave a program running, as an application would be, and walk away once it runs (a
    # Ctrl-C that reaches the module while it still compiles is input, not an interrupt:
    # tests/test_bench_link.py::test_friendly_repl_busy_printing says more)
    first.repl.write(b"import utime\nprint('looping')\nwhile True:\n    utime.sleep_ms(10)\n\x04")
    assert first.repl.read_until(b"looping", 5) is not None
    first.repl.port.close()
    second = Device.open(module.port)
    assert second.exec("print('back')") == "back\r\n"
    second.close()


def test_enter_raw_from_friendly_repl(start_module) -> None:
    module = start_module()
    dev = Device.open(module.port)
    dev.repl.exit_raw()  # friendly prompt now
    dev.repl.port.close()
    again = Device.open(module.port)
    assert again.eval_json("1 + 1") == 2
    again.close()


@pytest.mark.parametrize("mode", ["refuse", "unknown"])
def test_falls_back_to_plain_raw_repl(start_module, mode: str) -> None:
    dev = Device.open(start_module(raw_paste=mode).port)
    code = "x = 0\n" + "x += 1\n" * 200  # longer than several raw-paste windows
    assert dev.eval_json("x", setup=code) == 200
    assert dev.repl.use_raw_paste is False
    assert dev.eval_json("x + 1") == 201  # the connection stays on plain raw REPL
    dev.close()


def test_raw_paste_with_a_small_window(start_module) -> None:
    dev = Device.open(start_module(paste_window=32).port)
    code = "".join("v%d = %d\n" % (i, i) for i in range(300))
    assert dev.eval_json("v299", setup=code) == 299
    assert dev.repl.use_raw_paste is True
    dev.close()


def test_push_is_verified_by_sha256_on_the_module(device: Device) -> None:
    data = os.urandom(10_000)
    digest = device.push(data, "/usr/p.bin")
    assert device.file_hash("/usr/p.bin") == (digest, len(data))
    assert device.remove("/usr/p.bin") is True
    assert device.file_hash("/usr/p.bin") is None


def test_sync_folder_skips_files_that_match(device: Device, tmp_path) -> None:
    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "b.py").write_text("B = 2\n")
    assert device.sync_folder(tmp_path, "/usr/sync") == ["a.py", "b.py"]
    assert device.sync_folder(tmp_path, "/usr/sync") == []
    (tmp_path / "b.py").write_text("B = 3\n")
    assert device.sync_folder(tmp_path, "/usr/sync") == ["b.py"]


def test_step_past_its_timeout_raises_device_timeout(device: Device) -> None:
    started = time.monotonic()
    with pytest.raises(DeviceTimeout, match="did not finish within 0.5 s"):
        device.exec("import utime\nutime.sleep(30)", timeout=0.5)
    assert time.monotonic() - started < 5


def test_missing_port_is_a_clear_error() -> None:
    with pytest.raises(DeviceNotFound, match="cannot open /dev/ttyNOPE0.*plugged in"):
        Device.open("/dev/ttyNOPE0")


def test_silent_port_gives_up_in_bounded_time() -> None:
    # a pseudo-terminal with nothing behind it: opens fine, never answers
    master, slave = os.openpty()
    try:
        started = time.monotonic()
        with pytest.raises(DeviceNotResponding, match="no raw REPL prompt on .* after 2 tries"):
            Device.open(os.ttyname(slave), prompt_timeout=0.3, tries=2)
        assert time.monotonic() - started < 3
    finally:
        os.close(master)
        os.close(slave)


def test_cli_exec_writes_utf8_and_keeps_line_ends_whatever_the_console(start_module) -> None:
    """A Windows console's code page (cp1252 here) cannot spell a check mark:
    `python -m harness exec` writes the module's bytes as they came."""
    import subprocess
    import sys

    module = start_module()
    # the text itself, not \u escapes: its UTF-8 bytes are what every build writes back
    code = "import usys\nusys.stdout.write('ok \u2713 caf\u00e9\\r\\nbare lf\\nend')"
    env = dict(os.environ, PYTHONIOENCODING="cp1252", PYTHONUTF8="0")
    proc = subprocess.run([sys.executable, "-m", "harness", "exec", "--device", module.port,
                           code], capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    direct = Device.open(module.port)
    assert proc.stdout == direct.exec_bytes(code)  # byte for byte what the module sent
    assert "ok \u2713 caf\u00e9\r".encode() in proc.stdout and proc.stdout.endswith(b"\nend")
    direct.close()


# -- code the host stopped waiting for (a Ctrl-C on the bench PC) ---------------------


class HostInterrupted(KeyboardInterrupt):
    """What a Ctrl-C raises in the host, here from a push's progress callback."""


def interrupt_after(calls: int):
    def progress(done: int, total: int) -> None:
        progress.calls += 1  # type: ignore[attr-defined]
        if progress.calls >= calls:  # type: ignore[attr-defined]
            raise HostInterrupted
    progress.calls = 0  # type: ignore[attr-defined]
    return progress


def test_a_step_left_running_is_interrupted_before_the_next_one(start_module) -> None:
    dev = Device.open(start_module().port, prompt_timeout=1.5)
    dev.repl.start_exec("import utime\nwhile True:\n    utime.sleep_ms(10)")
    assert dev.repl.busy  # the host stopped waiting (Ctrl-C) with the loop running
    assert dev.eval_json("'next'") == "next"
    assert not dev.repl.busy


@pytest.mark.parametrize("how", ["binary", "compressed"])
def test_a_push_cut_short_on_the_host_gives_the_module_back(start_module, how: str) -> None:
    dev = Device.open(start_module().port, prompt_timeout=1.5)
    data = (b"\x01\x03\x04 text that compresses " * 400)  # control bytes: never keystrokes
    dev.push_progress = interrupt_after(2)
    with pytest.raises(HostInterrupted):
        if how == "binary":
            dev.push(data, "/usr/cut.bin")
        else:
            push_compressed(dev, data, "/usr/cut.bin")
    assert dev.repl.busy and dev.repl.owed  # its receiver waits, Ctrl-C off
    dev.push_progress = None
    assert dev.eval_json("'back'") == "back"  # fed what it waited for, then interrupted
    assert dev.push(b"\x03\x04after", "/usr/after.bin")


def test_close_leaves_the_module_at_its_repl_even_mid_step(start_module) -> None:
    module = start_module()
    dev = Device.open(module.port, prompt_timeout=1.5)
    dev.repl.start_exec("import utime\nwhile True:\n    utime.sleep_ms(10)")
    dev.close()
    port = serial.serial_for_url(module.port, baudrate=115200, timeout=0.05)
    try:
        port.write(b"\r\n")
        assert read_until(port, b">>> ", timeout=3.0)  # the friendly prompt: nothing runs
    finally:
        port.close()
