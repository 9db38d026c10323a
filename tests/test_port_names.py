"""Finding modules: the port list, stable names (usb:, hwgrep://) and --probe.

On Linux pyserial lists ports from sysfs, and there is no USB module here: the
usb: resolver is fed ListPortInfo objects as pyserial builds them for a
Quectel module (a protocol corner). Probing and hwgrep:// run for real.
"""

from __future__ import annotations

import os
import pty

import pytest
import serial
from serial.tools.list_ports_common import ListPortInfo

from harness.errors import DeviceNotFound
from harness.ports.listing import PortFacts, list_ports, listing
from harness.ports.names import resolve
from harness.wire.device import Device
from harness.wire.probe import probe
from tests.conftest import read_until


def usb_port(device: str, serial_number: str, interface: int, vid: int = 0x2C7C,
             pid: int = 0x0901, name: str = "") -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.serial_number = vid, pid, serial_number
    info.location = "1-1.2:1.%d" % interface
    info.interface = name or None
    info.description = "Quectel USB %s Port" % (name or "Serial")
    return info


# an EC600U on COM8-COM11, and a second module's two ports
BENCH = [usb_port("COM8", "EC600U0001", 2, name="AT"),
         usb_port("COM9", "EC600U0001", 4, name="REPL"),
         usb_port("COM10", "EC600U0001", 5, name="NMEA"),
         usb_port("COM11", "EG912U0002", 4, name="REPL"),
         usb_port("COM12", "EG912U0002", 6, name="REPL"),
         usb_port("COM3", "FT0001", 0, vid=0x0403, pid=0x6001)]


def bench() -> list[PortFacts]:
    return list_ports(BENCH)


def test_usb_serial_and_interface_number_name_one_port() -> None:
    found = resolve("usb:EC600U0001:4", bench)
    assert (found.name, found.port) == ("usb:EC600U0001:4", "COM9")
    assert found.describe() == "usb:EC600U0001:4 (COM9 now)"
    assert resolve("usb:ec600u0001:repl", bench).port == "COM9"  # names are case-blind


def test_a_serial_number_with_one_port_needs_no_interface() -> None:
    assert resolve("usb:FT0001", bench).port == "COM3"


def test_several_matches_is_one_line_naming_them() -> None:
    with pytest.raises(DeviceNotFound) as info:
        resolve("usb:EC600U0001", bench)
    message = str(info.value)
    assert "\n" not in message
    assert "matches 3 ports (COM10, COM8, COM9); add :INTERFACE" in message
    with pytest.raises(DeviceNotFound, match="matches 2 ports"):
        resolve("usb:EG912U0002:REPL", bench)


def test_no_match_is_one_line_listing_what_was_found() -> None:
    with pytest.raises(DeviceNotFound) as info:
        resolve("usb:NOPE:4", bench)
    message = str(info.value)
    assert "\n" not in message and message.startswith("usb:NOPE:4 matches no port; found: ")
    assert "COM9  2c7c:0901  serial EC600U0001  at 1-1.2:1.4  interface 'REPL'" in message
    with pytest.raises(DeviceNotFound, match="expected usb:SERIAL"):
        resolve("usb:", bench)


def test_plain_ports_and_urls_are_their_own_resolution() -> None:
    for name in ("COM5", "/dev/ttyUSB6", "rfc2217://bench-a:4001", "socket://127.0.0.1:9"):
        found = resolve(name, bench)
        assert found.port == name and not found.stable


def test_the_listing_marks_quectel_ports() -> None:
    lines = listing(bench())
    assert lines[0].startswith("Q COM10  2c7c:0901")
    assert [line for line in lines if "COM3" in line][0].startswith("  COM3  0403:6001")
    assert lines[-1] == "6 ports, 5 of a Quectel module (Q: USB vendor 2c7c)"


def test_windows_location_gives_the_interface_number() -> None:
    info = usb_port("COM9", "X", 0)
    info.location = "1-1.2:x.4"  # what pyserial builds on Windows
    assert PortFacts.from_info(info).interface_number == 4


def test_hwgrep_matching_nothing_is_one_line_listing_the_ports() -> None:
    # pyserial's own hwgrep:// matching, against this PC's real port list
    with pytest.raises(DeviceNotFound) as info:
        Device.open("hwgrep://2c7c:ffff-no-such-module")
    message = str(info.value)
    assert "\n" not in message
    assert "no ports found matching regexp" in message and "found: " in message


def test_hwgrep_resolves_to_a_port_pyserial_lists() -> None:
    ports = list_ports()
    if not ports:
        pytest.skip("pyserial lists no serial port on this PC")
    found = resolve("hwgrep://^%s$" % ports[0].device)
    assert found.port == ports[0].device and found.stable


# -- --probe -----------------------------------------------------------------


def test_probe_finds_the_raw_repl_and_leaves_the_module_friendly(start_module) -> None:
    module = start_module()
    result = probe(module.port, timeout=2.0)
    assert result.state == "repl", result.line()
    port = serial.Serial(module.port, timeout=0.05)
    try:
        port.write(b"\r\n")  # the friendly REPL answers with its prompt, not raw REPL's
        assert b">>> " in read_until(port, b">>> ")
    finally:
        port.close()


def test_probe_leaves_a_held_port_alone(start_module) -> None:
    module = start_module()
    holder = serial.Serial(module.port, timeout=0.05, exclusive=True)
    try:
        result = probe(module.port, timeout=2.0)
        assert result.state == "busy" and "held by another program" in result.detail
        holder.write(b"\r\x03\x01")  # the holder still has a working port
        assert b"raw REPL" in read_until(holder, b"raw REPL; CTRL-B to exit\r\n>")
    finally:
        holder.close()


def test_probe_says_no_repl_on_a_port_that_does_not_answer() -> None:
    controller, peer = pty.openpty()
    try:
        result = probe(os.ttyname(peer), timeout=0.3)
        assert result.state == "no repl", result.line()
    finally:
        os.close(controller)
        os.close(peer)
