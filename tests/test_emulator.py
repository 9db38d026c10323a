"""The virtual module, byte for byte, through a real pseudo-terminal and pyserial."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.conftest import read_until

RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"


def enter_raw(port) -> None:
    port.write(b"\r\x03")
    port.write(b"\x01")
    read_until(port, RAW_PROMPT)


def run_raw(port, code: bytes) -> bytes:
    """Send code in plain raw REPL; everything up to the next prompt."""
    port.write(code + b"\x04")
    return read_until(port, b"\x04>")


def test_banner_and_friendly_prompt(start_module, raw_port) -> None:
    module = start_module(model="EC200U")
    port = raw_port(module.port)
    port.write(b"\x02")  # Ctrl-B: friendly REPL, banner again
    port.write(b"6*7\r")
    seen = read_until(port, b"6*7\r\n42\r\n>>> ")
    # pyserial flushes input on open, so the power-on banner may be gone; Ctrl-B's is not
    banner = b"Quecpython v1.12 on 2023-03-01; EC200U with QUECTEL\r\n"
    assert banner + b'Type "help()" for more information.\r\n>>> 6*7' in seen


def test_raw_repl_framing(start_module, raw_port) -> None:
    port = raw_port(start_module().port)
    enter_raw(port)
    assert run_raw(port, b"print('hi')") == b"OKhi\r\n\x04\x04>"
    reply = run_raw(port, b"1/0")
    out, err, rest = reply.split(b"\x04")
    assert out == b"OK"
    assert err.startswith(b"Traceback (most recent call last):\r\n")
    assert err.endswith(b"ZeroDivisionError: division by zero\r\n")
    assert rest == b">"


def test_globals_persist_until_soft_reboot(start_module, raw_port) -> None:
    port = raw_port(start_module().port)
    enter_raw(port)
    run_raw(port, b"x = 41")
    assert run_raw(port, b"print(x + 1)") == b"OK42\r\n\x04\x04>"
    port.write(b"\x04")  # empty line: soft reboot
    assert read_until(port, RAW_PROMPT) == b"OK\r\nMPY: soft reboot\r\n" + RAW_PROMPT
    assert b"NameError" in run_raw(port, b"print(x)")


def test_friendly_ctrl_d_soft_reboots(start_module, raw_port) -> None:
    port = raw_port(start_module().port)
    port.write(b"\x02")
    port.write(b"y = 5\r")
    read_until(port, b"y = 5\r\n>>> ")
    port.write(b"\x04")
    assert b"MPY: soft reboot\r\n" in read_until(port, b">>> ")
    port.write(b"y\r")
    assert b"NameError" in read_until(port, b">>> ")


def test_raw_paste_flow_control(start_module, raw_port) -> None:
    port = raw_port(start_module(paste_window=64).port)
    enter_raw(port)
    port.write(b"\x05A\x01")
    assert read_until(port, b"\x01", timeout=2) == b"R\x01\x40\x00\x01"
    code = b"a = 'x' * 10\n" * 20  # 260 bytes: four full windows of 64
    port.write(code + b"\x04")
    reply = read_until(port, b"\x04>")
    credits = reply[: reply.index(b"\x04")]
    assert credits == b"\x01" * (len(code) // 64)
    assert reply.endswith(b"\x04\x04\x04>")  # ack, then empty output and no error


@pytest.mark.parametrize("mode,answer", [("refuse", b"R\x00>"), ("unknown", RAW_PROMPT)])
def test_firmware_without_raw_paste(start_module, raw_port, mode: str, answer: bytes) -> None:
    port = raw_port(start_module(raw_paste=mode).port)
    enter_raw(port)
    port.write(b"\x05A\x01")
    assert read_until(port, answer).endswith(answer)
    assert run_raw(port, b"print(3)") == b"OK3\r\n\x04\x04>"


@pytest.mark.parametrize("name", ["os", "time", "socket", "binascii", "json", "sys", "hashlib"])
def test_only_u_names_import(start_module, raw_port, name: str) -> None:
    port = raw_port(start_module().port)
    enter_raw(port)
    reply = run_raw(port, b"import " + name.encode())
    assert b"ImportError: no module named '" + name.encode() + b"'" in reply
    ok = run_raw(port, b"import u" + name.encode() if name not in ("gc",) else b"import gc")
    assert ok == b"OK\x04\x04>"


def test_module_names_behave_like_the_module(start_module, raw_port) -> None:
    port = raw_port(start_module(firmware="FW-TEST-1", imei="866000000000042").port)
    enter_raw(port)
    reply = run_raw(port, b"import uhashlib, modem, checkNet, uos\n"
                          b"print(hasattr(uhashlib.sha256(), 'hexdigest'))\n"
                          b"print(modem.getDevFwVersion(), modem.getDevImei())\n"
                          b"print(checkNet.waitNetworkReady(5))\n"
                          b"print(uos.uname()[0])")
    assert reply == (b"OKFalse\r\nFW-TEST-1 866000000000042\r\n(3, 1)\r\nsysname=EC600U\r\n"
                     b"\x04\x04>")


def test_usr_partition_fills_up_with_errno_28(start_module, raw_port) -> None:
    module = start_module(usr_bytes=64 * 1024)
    port = raw_port(module.port)
    enter_raw(port)
    reply = run_raw(port, b"import uos\n"
                          b"f = open('/usr/big.bin', 'wb')\n"
                          b"n = 0\n"
                          b"try:\n"
                          b"    while True:\n"
                          b"        f.write(bytearray(1024))\n"
                          b"        n += 1\n"
                          b"except OSError as e:\n"
                          b"    print('errno', e.args[0], 'after', n)\n"
                          b"f.close()\n"
                          b"st = uos.statvfs('/usr')\n"
                          b"print('free', st[0] * st[3])")
    assert reply == b"OKerrno 28 after 64\r\nfree 0\r\n\x04\x04>"
    assert module.usr_path("big.bin").stat().st_size == 64 * 1024


def test_root_and_bak_are_not_writable(start_module, raw_port) -> None:
    port = raw_port(start_module().port)
    enter_raw(port)
    for path in (b"/x.txt", b"/bak/x.txt"):
        reply = run_raw(port, b"open('" + path + b"', 'w')")
        assert b"OSError: [Errno" in reply
    assert run_raw(port, b"f = open('usr/rel.txt', 'w')\nf.write('ok')\nf.close()\n"
                         b"print(open('/usr/rel.txt').read())") == b"OKok\r\n\x04\x04>"


def test_ctrl_c_interrupts_a_running_program(start_module, raw_port) -> None:
    port = raw_port(start_module().port)
    enter_raw(port)
    port.write(b"import utime\nprint('looping')\nwhile True:\n    utime.sleep_ms(5)\n\x04")
    read_until(port, b"looping\r\n")
    port.write(b"\x03")
    reply = read_until(port, b"\x04>")
    assert reply.endswith(b"KeyboardInterrupt: \r\n\x04>")


def test_reachable_as_socket_url(start_module, raw_port) -> None:
    module = start_module(use_socket=True)
    assert module.port.startswith("socket://127.0.0.1:")
    port = raw_port(module.port)
    enter_raw(port)
    assert run_raw(port, b"print('tcp')") == b"OKtcp\r\n\x04\x04>"


def test_standalone_emulator_prints_its_port(tmp_path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "harness", "emulator"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        lines = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "/dev/pts/" in line or "socket://" in line or not line:
                break
        assert any(("/dev/pts/" in x or "socket://" in x) for x in lines), lines
    finally:
        proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("code", [b"x = 1\nprint(f'{x}')", b"if (n := 3):\n    pass"])
def test_what_micropython_1_13_cannot_compile_fails_here_too(start_module, raw_port,
                                                             code: bytes) -> None:
    port = raw_port(start_module().port)
    enter_raw(port)
    reply = run_raw(port, code)
    assert reply.startswith(b"OK\x04Traceback (most recent call last):\r\n")
    assert b"SyntaxError: invalid syntax\r\n\x04>" in reply
    assert b'line %d' % (2 if code.startswith(b"x") else 1) in reply



def test_error_text_is_written_after_the_program_stops_taking_ctrl_c(tmp_path) -> None:
    # A Ctrl-C that lands while the REPL formats a traceback must not be raised
    # in the REPL itself (it once killed the virtual module): the runtime marks
    # the program finished before it formats anything.
    from harness.emulator.config import ModuleConfig
    from harness.emulator.runtime import DeviceRuntime, InputQueue

    rt = DeviceRuntime(ModuleConfig(), tmp_path, lambda data: None, InputQueue())
    seen: list[bool] = []
    original = rt.format_exception

    def spy(exc: BaseException) -> str:
        seen.append(rt.executing)
        return original(exc)

    rt.format_exception = spy  # type: ignore[method-assign]
    error = rt.execute("import micropython\nmicropython.kbd_intr(3)\n1/0")
    assert error is not None and error.endswith("ZeroDivisionError: division by zero\n")
    assert seen == [False]
