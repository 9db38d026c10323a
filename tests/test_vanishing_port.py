"""A USB port that vanishes at any stage ends in DeviceDisconnected, never in a raw
pyserial error, and the module comes back cleanly on the next reconnect.

The port double (tests/port_double.py) raises exactly what pyserial raises on
Windows and on POSIX, from in_waiting, read or write, at each stage of the
wire: entering raw REPL, raw-paste, a binary push, a running step, clean-up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import serial
from port_double import FORMS, MORE_FORMS, VanishingPort

from harness.errors import DeviceDisconnected
from harness.scenario.run import FtpRun
from harness.servers.local.server import FtpServer
from harness.wire.device import Device
from harness.wire.port_guard import GuardedPort
from harness.wire.repl import RawRepl
from harness.wire.serial_log import LoggedPort, SerialLog

PAYLOAD = b"\x01\x03\x04hil" * 1500  # control bytes, so a cut-off push cannot pass as keys
METHODS = ["in_waiting", "read", "write"]


def doubled_device(port: str, os_form: str) -> tuple[Device, VanishingPort]:
    """A Device whose port is the double; reconnect() opens the real port again."""
    double = VanishingPort(serial.serial_for_url(port, baudrate=115200, timeout=0.05), os_form)
    log = SerialLog()
    repl = RawRepl(LoggedPort(double, log), port, prompt_timeout=1.5)
    return Device(repl, port, log), double


def enter_raw(dev: Device, double: VanishingPort, method: str) -> None:
    double.vanish_at(method)
    dev.repl.enter_raw()


def raw_paste(dev: Device, double: VanishingPort, method: str) -> None:
    dev.repl.enter_raw()
    double.vanish_at(method, after=b"\x05A\x01")
    dev.exec("x = 0\n" + "x += 1\n" * 100)  # several raw-paste windows


def binary_push(dev: Device, double: VanishingPort, method: str) -> None:
    dev.repl.enter_raw()
    double.vanish_at(method, after=PAYLOAD[:64])  # once the first block is out
    dev.push(PAYLOAD, "/usr/cut-off.bin")


def running_step(dev: Device, double: VanishingPort, method: str) -> None:
    dev.repl.enter_raw()
    # in_waiting and read vanish while the step runs; write, when the host
    # interrupts it at its timeout
    double.vanish_at(method, after=b"pass", calls=3 if method != "write" else 1)
    dev.exec("while True:\n    pass", timeout=0.5)


STAGES: dict[str, Callable[[Device, VanishingPort, str], None]] = {
    "enter_raw": enter_raw, "raw_paste": raw_paste, "binary_push": binary_push,
    "running_step": running_step,
}


@pytest.mark.parametrize("os_form", sorted(FORMS))
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("stage", sorted(STAGES))
def test_a_vanished_port_is_a_disconnect_then_a_clean_reconnect(
        start_module, stage: str, method: str, os_form: str) -> None:
    module = start_module()
    dev, double = doubled_device(module.port, os_form)
    with pytest.raises(DeviceDisconnected, match="went away"):
        STAGES[stage](dev, double, method)
    assert double.vanished
    assert dev.lost and module.port in dev.lost  # what HeldModule.bring_back acts on
    with pytest.raises(DeviceDisconnected):
        dev.exec("print(1)")  # at once: nothing waits again on a dead port
    dev.reconnect(timeout=10)  # the next test's bring_back
    assert dev.lost is None
    assert dev.eval_json("'back'") == "back"
    assert dev.push(b"\x03\x04" * 700, "/usr/after.bin")  # the wire is clean again


@pytest.mark.parametrize("os_form", sorted(FORMS))
@pytest.mark.parametrize("method", METHODS)
def test_clean_up_survives_a_port_that_vanishes_while_it_runs(
        start_module, tmp_path: Path, method: str, os_form: str) -> None:
    module = start_module()
    dev, double = doubled_device(module.port, os_form)
    dev.repl.enter_raw()
    dev.makedirs("/usr/hil/run")
    with FtpServer(tmp_path / "home") as server:
        run = FtpRun(dev, server, "vanish", reconnect_timeout=10)
        left = run.device_path("left.bin")
        dev.push(b"left behind", left)
        double.vanish_at(method, after=b"_hil_rm(")
        run.cleanup()  # reconnects once and removes the file all the same
    assert double.vanished and dev.lost is None
    assert not dev.exists(left)


@pytest.mark.parametrize("raise_it", [f for form in FORMS.values() for f in form.values()]
                         + MORE_FORMS)
def test_every_pyserial_form_of_a_vanished_port_is_a_disconnect(
        raise_it: Callable[[], OSError]) -> None:
    class Gone:
        @property
        def in_waiting(self) -> int:
            raise raise_it()

        def read(self, size: int = 1) -> bytes:
            raise raise_it()

        def write(self, data: bytes) -> int | None:
            raise raise_it()

        def close(self) -> None:
            raise raise_it()

    guard = GuardedPort(Gone(), "COM5")
    with pytest.raises(DeviceDisconnected, match="COM5 went away"):
        guard.write(b"x")
    assert guard.lost and str(raise_it()) in guard.lost
    for call in (lambda: guard.in_waiting, lambda: guard.read(1), lambda: guard.write(b"")):
        with pytest.raises(DeviceDisconnected):
            call()
    guard.close()  # closing a port that is gone says nothing
