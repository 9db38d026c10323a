"""Which serial ports this PC has, and which of them belong to a Quectel module.

`python -m harness ports` prints the list (harness/wire/probe.py asks them for a
raw REPL with `--probe`). A Quectel module shows several serial interfaces (DM,
NMEA, AT, modem, REPL) under USB vendor 0x2C7C; only one of them answers a raw REPL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import serial.tools.list_ports
from serial.tools.list_ports_common import ListPortInfo

QUECTEL_VID = 0x2C7C


@dataclass(frozen=True)
class PortFacts:
    """One serial port as the OS describes it (from pyserial's ListPortInfo)."""

    device: str  # what pyserial opens: COM5, /dev/ttyUSB6
    vid: int | None = None
    pid: int | None = None
    serial_number: str = ""
    location: str = ""  # USB path, e.g. 1-1.2:1.4 (Linux) or 1-1.2:x.4 (Windows)
    interface: str = ""  # the USB interface's own name, where the OS tells it
    description: str = ""

    @property
    def quectel(self) -> bool:
        return self.vid == QUECTEL_VID

    @property
    def vid_pid(self) -> str:
        if self.vid is None:
            return ""
        return "%04x:%04x" % (self.vid, self.pid or 0)

    @property
    def interface_number(self) -> int | None:
        """The USB interface number, from the end of the location (":1.4" -> 4)."""
        tail = self.location.rpartition(":")[2]
        number = tail.rpartition(".")[2]
        return int(number) if tail and number.isdigit() else None

    @classmethod
    def from_info(cls, info: ListPortInfo) -> PortFacts:
        return cls(device=info.device, vid=info.vid, pid=info.pid,
                   serial_number=info.serial_number or "", location=info.location or "",
                   interface=info.interface or "",
                   description="" if info.description == "n/a" else info.description or "")

    def line(self) -> str:
        """One line for a listing: what a person needs to tell the ports apart."""
        parts = [self.device]
        if self.vid_pid:
            parts.append(self.vid_pid)
        if self.serial_number:
            parts.append("serial %s" % self.serial_number)
        if self.location:
            parts.append("at %s" % self.location)
        if self.interface:
            parts.append("interface %r" % self.interface)
        if self.description:
            parts.append(repr(self.description))
        return "  ".join(parts)


def list_ports(infos: Iterable[ListPortInfo] | None = None) -> list[PortFacts]:
    """Every serial port pyserial sees (or the given infos), sorted by name."""
    found = serial.tools.list_ports.comports() if infos is None else infos
    return sorted((PortFacts.from_info(info) for info in found), key=lambda p: p.device)


def listing(ports: Sequence[PortFacts]) -> list[str]:
    """The lines `python -m harness ports` prints."""
    if not ports:
        return ["no serial ports found"]
    lines = []
    for facts in ports:
        lines.append(("Q " if facts.quectel else "  ") + facts.line())
    quectel = sum(1 for p in ports if p.quectel)
    lines.append("%d port%s, %d of a Quectel module (Q: USB vendor 2c7c)"
                 % (len(ports), "s"[:len(ports) != 1], quectel))
    return lines
