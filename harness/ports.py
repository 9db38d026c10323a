"""Which serial ports this PC has, and which of them is a Quectel module's REPL.

`python -m harness ports` prints the list; `--probe` also asks each free
Quectel port for a raw REPL prompt. A Quectel module shows several serial
interfaces (DM, NMEA, AT, modem, REPL) under USB vendor 0x2C7C; only one of
them answers a raw REPL.

Probing never disturbs a port another program holds: on POSIX the port is
opened with pyserial's exclusive lock, which fails with EBUSY/EAGAIN when a
terminal (or another run) holds it; on Windows a held COM port cannot be
opened at all (access denied). Either way the port is reported "busy" and
left alone. A port that answers is put back in the friendly REPL (Ctrl-B).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import serial
import serial.tools.list_ports
from serial.tools.list_ports_common import ListPortInfo

from .errors import HarnessError
from .repl import RawRepl

QUECTEL_VID = 0x2C7C
PROBE_TIMEOUT = 1.0  # seconds to wait for a raw REPL prompt on each port
BUSY_ERRNOS = (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK)


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


# -- probing ----------------------------------------------------------------


@dataclass(frozen=True)
class ProbeResult:
    device: str
    state: str  # "repl", "no repl", "busy", "cannot open"
    detail: str = ""

    def line(self) -> str:
        return "%s: %s%s" % (self.device, self.state, " (%s)" % self.detail if self.detail else "")


def probe(device: str, timeout: float = PROBE_TIMEOUT) -> ProbeResult:
    """Does this port answer a raw REPL? Leaves a held port alone, and the module
    in its friendly REPL."""
    try:
        port = _open_exclusive(device)
    except _Busy as exc:
        return ProbeResult(device, "busy", "held by another program: %s" % exc)
    except (serial.SerialException, OSError, ValueError) as exc:
        return ProbeResult(device, "cannot open", str(exc))
    repl = RawRepl(port, device, prompt_timeout=timeout)
    try:
        repl.enter_raw(tries=1)  # one try: no soft reboot of a module we only look at
    except HarnessError as exc:
        return ProbeResult(device, "no repl", str(exc).split(";")[0])
    else:
        try:
            repl.exit_raw()
        except HarnessError:
            pass
        return ProbeResult(device, "repl", "raw REPL answered")
    finally:
        port.close()


class _Busy(Exception):
    """Another program holds the port."""


def _open_exclusive(device: str) -> serial.Serial:
    try:
        # exclusive: pyserial's flock on POSIX; Windows opens COM ports exclusively anyway
        return serial.Serial(device, baudrate=115200, timeout=0.05, write_timeout=2,
                             exclusive=True if os.name == "posix" else None)
    except serial.SerialException as exc:
        if _held_elsewhere(exc):
            raise _Busy(str(exc)) from None
        raise


def _held_elsewhere(exc: serial.SerialException) -> bool:
    """POSIX: EBUSY (TIOCEXCL) or a failed flock; Windows: access denied (held)."""
    text = str(exc)
    if exc.errno in BUSY_ERRNOS or "exclusively lock" in text:
        return True
    # on POSIX "permission denied" means not in the dialout group, not busy
    return os.name == "nt" and ("Access is denied" in text or "PermissionError" in text)


def probe_quectel(ports: Sequence[PortFacts], timeout: float = PROBE_TIMEOUT) -> list[ProbeResult]:
    """Probe each Quectel port, one after the other (they share one module)."""
    return [probe(p.device, timeout) for p in ports if p.quectel]


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
