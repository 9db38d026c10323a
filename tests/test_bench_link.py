"""A module less polite than the default one: every misbehaviour has a switch
on the virtual module, and the host recovers from each of them."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest
from port_double import VanishingPort

from harness.errors import (
    DeviceDisconnected,
    DeviceExecError,
    DeviceNotResponding,
    DeviceRebooted,
    DeviceTimeout,
    ReplRefused,
)
from harness.wire.device import Device
from harness.wire.power import ResetCommand, ResetCommandError
from harness.wire.serial_log import SerialLog

NOISE = ["+CREG: 1", "+CSQ: 23,99", "app: heartbeat > ok"]
# a program that never ends without spending a core while the host's recovery waits its
# seconds out (a busy `while True: pass`, what test_step_past_its_timeout_... interrupts,
# would take one from the tests beside it)
IDLE_HANG = "import utime\nwhile True:\n    utime.sleep_ms(5)"


def open_device(start_module, **config) -> Device:
    return Device.open(start_module(**config).port, log=SerialLog(), prompt_timeout=1.5)


def test_app_loop_that_ignores_ctrl_c_is_soft_rebooted(start_module) -> None:
    module = start_module(ignore_ctrl_c=True)
    first = Device.open(module.port)
    first.repl.start_exec("import utime\nwhile True:\n    utime.sleep_ms(10)\n")
    first.repl.port.close()  # another tool left the application running
    dev = Device.open(module.port, prompt_timeout=1.5)
    assert dev.eval_json("1 + 1") == 2
    assert b"MPY: soft reboot" in dev.log.raw()


def test_friendly_repl_busy_printing(start_module) -> None:
    module = start_module()
    busy = Device.open(module.port)
    busy.repl.exit_raw()
    # a program started from the friendly prompt that prints without pause
    busy.repl.write(b"\x05import utime\rwhile True:\r    print('busy', utime.ticks_ms())\r\x04")
    # the program's own lines, not paste mode's echo of its source: it runs, and a Ctrl-C
    # reaches it. One sent while the module still compiles it waits in its input, as on
    # the firmware (QuecPython/microPython@e7c4b19 lib/utils/pyexec.c:113-124: Ctrl-C
    # interrupts only from mp_call_function_0 on), and only the second try of
    # enter_raw, 3 s on, would stop it.
    busy.repl.read_until(b"\nbusy ", 5)
    busy.repl.port.close()
    dev = Device.open(module.port)
    assert dev.exec("print('quiet now')") == "quiet now\r\n"


def test_boot_output_after_soft_reboot(start_module) -> None:
    dev = open_device(start_module, boot_lines=["main.py: starting app", "+QIND: PB DONE"])
    dev.soft_reset()
    assert dev.eval_json("'after boot'") == "after boot"
    assert b"+QIND: PB DONE" in dev.log.raw()


def test_repl_disabled_by_the_application(start_module) -> None:
    with pytest.raises(ReplRefused, match="REPL refuse.*disabled the REPL"):
        open_device(start_module, repl_refuse=True)


def test_noise_never_corrupts_results_and_stays_in_the_log(start_module) -> None:
    dev = open_device(start_module, noise=NOISE, noise_interval_ms=2)
    data = os.urandom(20_000)
    for _ in range(20):
        assert dev.eval_json("[1, 'two', {'x': 3}]") == [1, "two", {"x": 3}]
        assert "done" in dev.exec("print('done')")
    assert dev.push(data, "/usr/noisy.bin")
    dev.push_mode = "base64"
    assert dev.push(data, "/usr/noisy64.bin")
    assert dev.file_hash("/usr/noisy64.bin") == dev.file_hash("/usr/noisy.bin")
    log = dev.log.raw()
    # every kind of line the application printed is kept (how many depends on the
    # pace of its thread, which a loaded machine slows: not counted)
    assert all(line.encode() + b"\r\n" in log for line in NOISE)


def test_step_past_its_timeout_is_interrupted_and_the_next_runs(start_module) -> None:
    dev = open_device(start_module)
    with pytest.raises(DeviceTimeout, match="within 0.5 s \\(interrupted with Ctrl-C\\)"):
        dev.exec("while True:\n    pass", timeout=0.5)
    assert dev.eval_json("'next'") == "next"


def test_hang_that_ignores_ctrl_c_is_recovered_by_soft_reboot(start_module) -> None:
    dev = open_device(start_module, ignore_ctrl_c=True)
    dev.exec("marker = 1")
    dev.repl.prompt_timeout = 0.5  # two of the recovery's waits time out by design
    with pytest.raises(DeviceTimeout, match="recovered with a soft reboot"):
        dev.exec(IDLE_HANG, timeout=0.5)
    assert dev.eval_json("'next'") == "next"
    with pytest.raises(DeviceExecError, match="NameError"):
        dev.exec("print(marker)")  # the soft reboot cleared the globals


def test_reboot_in_the_middle_of_a_step(start_module) -> None:
    dev = open_device(start_module)
    with pytest.raises(DeviceRebooted, match="rebooted in the middle of a step"):
        dev.exec("import misc\nprint('half way')\nmisc.Power.powerRestart()\nprint('never')")
    assert dev.eval_json("'alive'") == "alive"


def test_module_that_disappears_mid_step(start_module) -> None:
    dev = open_device(start_module)
    with pytest.raises(DeviceDisconnected, match="went away"):
        dev.exec("import misc\nmisc.Power.powerDown()", timeout=5)
    started = time.monotonic()
    with pytest.raises(DeviceDisconnected):
        dev.exec("print(1)")  # fails at once: no second wait on a dead port
    assert time.monotonic() - started < 1


def test_reconnect_reopens_a_port_that_came_back(start_module) -> None:
    dev = open_device(start_module)
    dev.exec("import uos")
    dev.repl.port.close()  # as a USB re-enumeration does
    dev.reconnect(timeout=5)
    assert dev.eval_json("'again'") == "again"


def test_reconnect_gives_up_on_a_port_that_stays_away(start_module) -> None:
    dev = open_device(start_module)
    dev.port = "/dev/ttyNOPE-gone"  # the module's port never re-appears
    with pytest.raises(DeviceDisconnected, match="did not come back within 1 s"):
        dev.reconnect(timeout=1)


def unplug_for_good(dev: Device) -> None:
    """The module's port vanishes (pyserial's errors from then on) and never comes back:
    its pty name is not polled again, another test's module may get that number."""
    logged = dev.repl.port.inner
    double = VanishingPort(logged.port, "posix")
    double.vanished = True
    logged.port = double
    dev.port = "/dev/ttyNOPE-gone"


def test_a_module_gone_for_good_is_never_waited_for_again(start_module) -> None:
    dev = open_device(start_module)
    unplug_for_good(dev)
    with pytest.raises(DeviceDisconnected, match="went away"):
        dev.exec("print(1)")
    started = time.monotonic()
    with pytest.raises(DeviceDisconnected, match="did not come back within 1 s"):
        dev.reconnect(timeout=1)
    assert time.monotonic() - started >= 1 and dev.gone and dev.lost == dev.gone
    started = time.monotonic()
    for again in (lambda: dev.reconnect(timeout=30), lambda: dev.exec("print(1)")):
        with pytest.raises(DeviceDisconnected, match="did not come back within 1 s"):
            again()  # the clean-up, the next test: the same line, at once
    assert time.monotonic() - started < 0.5


def test_a_reconnect_cut_short_by_the_tests_time_leaves_the_rest_of_the_window(
        start_module) -> None:
    dev = open_device(start_module)
    unplug_for_good(dev)
    started = time.monotonic()
    dev.set_deadlines(started + 0.5, started + 0.5)  # the test's time ends first
    with pytest.raises(DeviceDisconnected, match="within the test's time left"):
        dev.reconnect(timeout=2)
    assert dev.gone is None  # its window goes on: the next test may still see it back
    dev.set_deadlines(None, None)
    with pytest.raises(DeviceDisconnected, match="did not come back within 2 s"):
        dev.reconnect(timeout=30)  # only what is left of the first window
    assert 2 <= time.monotonic() - started < 3.5 and dev.gone


def test_a_module_back_within_its_window_opens_a_fresh_one(start_module) -> None:
    dev = open_device(start_module)
    dev.repl.port.close()  # re-enumerated, back at once
    dev.reconnect(timeout=0.5)
    time.sleep(0.6)  # past the first window: a new loss gets a window of its own
    dev.repl.port.close()
    dev.reconnect(timeout=0.5)
    assert dev.gone is None and dev.eval_json("'again'") == "again"


def test_binary_push_falls_back_to_base64(start_module) -> None:
    dev = open_device(start_module, binary_stdin=False)
    data = bytes(range(256)) * 40
    assert dev.push(data, "/usr/fallback.bin")
    assert dev._binary_ok is False
    assert b"a2b_base64" in dev.log.raw(direction=">>")


def test_binary_push_carries_control_bytes(start_module) -> None:
    dev = open_device(start_module)
    data = b"\x03\x04\x01\x02\x05\r\n" * 1000  # Ctrl-C, Ctrl-D, ... as plain data
    digest = dev.push(data, "/usr/ctrl.bin")
    assert dev._binary_ok is True
    assert dev.file_hash("/usr/ctrl.bin") == (digest, len(data))
    assert b"a2b_base64" not in dev.log.raw(direction=">>")


def test_uart_rate_limited_module_still_works(start_module) -> None:
    dev = open_device(start_module, baud=115200)
    data = os.urandom(2048)
    assert dev.push(data, "/usr/slow.bin")
    assert dev.eval_json("'slow but fine'") == "slow but fine"


def test_serial_log_is_timestamped_sliced_and_masked() -> None:
    log = SerialLog()
    log.add_secret("s3cret-pw")
    log.record(">>", b"login('user', 's3cret-pw')")
    mark = log.mark()
    log.record("<<", b"+CREG: 1\r\n")
    assert "s3cret-pw" not in log.text() and "****" in log.text()
    assert log.text(since=mark).count("\n") == 0 and "+CREG: 1" in log.text(since=mark)
    first = log.text().splitlines()[0]
    assert float(first.split()[0]) >= 0 and first.split()[1] == ">>"


def test_push_to_a_full_partition_says_so_at_once(start_module) -> None:
    dev = open_device(start_module, usr_bytes=16 * 1024)
    payload = 64 * 1024
    mark = dev.log.mark()
    with pytest.raises(DeviceExecError, match=r"OSError: \[Errno 28\] ENOSPC"):
        dev.push(os.urandom(payload), "/usr/too-big.bin")
    # "at once": the host stopped sending when the module said so, long before the end
    assert len(dev.log.raw(since=mark, direction=">>")) < payload // 2
    assert dev._binary_ok is True  # a full disk is not the binary path's fault
    assert dev.eval_json("'still usable'") == "still usable"


def test_control_bytes_in_flight_never_hide_a_full_disk(start_module) -> None:
    """The blocks still in flight when the receiver fails are swallowed by it, so a
    0x03 among them is never a Ctrl-C and no byte reaches the REPL as source."""
    dev = open_device(start_module, usr_bytes=16 * 1024)
    for size in range(50):
        # the failing block and the two in flight behind it are all control bytes
        data = b"\x01\x03\x04" * (6000 + 97 * size)
        with pytest.raises(DeviceExecError, match=r"OSError: \[Errno 28\] ENOSPC"):
            dev.push(data, "/usr/too-big-%d.bin" % (size % 2))
        assert dev.remove("/usr/too-big-%d.bin" % (size % 2))
    assert dev.eval_json("'still usable'") == "still usable"
    assert b"KeyboardInterrupt" not in dev.log.raw(direction="<<")


HUNG_FOR_GOOD = "import micropython\nmicropython.kbd_intr(-1)\n" + IDLE_HANG


def power_switch(module) -> str:
    """A reset command that power-cycles the virtual module (a relay on a bench)."""
    return '%s -c "import os, signal; os.kill(%d, signal.SIGUSR2)"' % (sys.executable,
                                                                        module.pid)


def test_a_module_deaf_to_ctrl_c_and_ctrl_d_needs_a_power_cycle(start_module) -> None:
    dev = open_device(start_module)
    dev.repl.prompt_timeout = 0.5  # every wait of the recovery times out here: on purpose
    with pytest.raises(DeviceNotResponding, match="ignores Ctrl-C and Ctrl-D"):
        dev.exec(HUNG_FOR_GOOD, timeout=0.5)
    assert dev.power_cycles == []


@pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="the virtual module's power "
                    "switch is SIGUSR2, which Windows lacks")
def test_reset_command_power_cycles_a_module_nothing_else_brings_back(start_module) -> None:
    module = start_module()
    dev = open_device(lambda **c: module)
    dev.reset_command = ResetCommand(power_switch(module))
    dev.exec("marker = 1")
    dev.repl.prompt_timeout = 0.5  # three of the recovery's waits time out by design
    with pytest.raises(DeviceTimeout, match="power-cycled with --reset-command"):
        dev.exec(HUNG_FOR_GOOD, timeout=0.5)
    assert len(dev.power_cycles) == 1 and "ignores Ctrl-C and Ctrl-D" in dev.power_cycles[0]
    assert dev.eval_json("'back'") == "back"
    with pytest.raises(DeviceExecError, match="NameError"):
        dev.exec("print(marker)")  # a real reboot: nothing survived it
    # (its boot banner may come out before the port is read again, so it is not asserted)


def test_a_failing_reset_command_is_one_line() -> None:
    with pytest.raises(ResetCommandError, match="exit 3"):
        ResetCommand('%s -c "import sys; sys.exit(3)"' % sys.executable).run("COM5")
    with pytest.raises(ResetCommandError, match="program not found"):
        ResetCommand("no-such-relay-tool {port}").run("COM5")
    with pytest.raises(ResetCommandError, match="is empty"):
        ResetCommand("  ")
