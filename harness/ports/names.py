"""Stable names for a module's port, resolved to the port the OS gave it today.

Windows renumbers COM ports when a module re-enumerates or moves to another
hub; Linux renumbers ttyUSB*. Two stable forms survive that:

    hwgrep://2c7c:0901            pyserial's own: the first port whose name,
    hwgrep://SERIALNO             description or hardware id matches the regex
    hwgrep://2c7c&n=2             &n=N picks the Nth match (pyserial 3.5: N >= 2),
    hwgrep://2c7c&skip_busy       &skip_busy skips ports that cannot be opened
    usb:SERIAL                    ours: the one port of the USB device with this
    usb:SERIAL:INTERFACE          serial number (INTERFACE: the USB interface number,
                                  e.g. usb:0123456789ABCDEF:4, or text its
                                  interface name or description contains)

Anything else (COM5, /dev/ttyUSB6, rfc2217://..., socket://...) is its own
resolution. `resolve()` never opens a port: it only reads the OS's list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import serial
from serial.urlhandler import protocol_hwgrep

from harness.errors import DeviceNotFound
from harness.ports.listing import PortFacts, list_ports

USB_PREFIX = "usb:"
HWGREP_PREFIX = "hwgrep://"

PortLister = Callable[[], Sequence[PortFacts]]


@dataclass(frozen=True)
class Resolved:
    """A --device value and the port it stands for now."""

    name: str  # as the user gave it: usb:ABC:4, hwgrep://2c7c, COM5
    port: str  # what pyserial opens: COM5, /dev/ttyUSB6, rfc2217://...

    @property
    def stable(self) -> bool:
        return self.name != self.port

    def describe(self) -> str:
        """usb:ABC:4 (COM5 now), or just COM5."""
        return "%s (%s now)" % (self.name, self.port) if self.stable else self.name


def is_stable_name(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith(USB_PREFIX) or lowered.startswith(HWGREP_PREFIX)


def resolve(name: str, lister: PortLister = list_ports) -> Resolved:
    """The port a --device value stands for now; DeviceNotFound (one line listing
    what was found) when a stable name matches no port, or more than one."""
    lowered = name.lower()
    if lowered.startswith(USB_PREFIX):
        return Resolved(name, _resolve_usb(name, lister()))
    if lowered.startswith(HWGREP_PREFIX):
        return Resolved(name, _resolve_hwgrep(name, lister))
    return Resolved(name, name)


def locked_port(name: str) -> str:
    """The port a lock is taken on: today's port of a stable name, else the name
    itself (one that resolves to nothing fails later, at open, in its own words)."""
    if not is_stable_name(name):
        return name
    try:
        return resolve(name).port
    except DeviceNotFound:
        return name


def _resolve_usb(name: str, ports: Sequence[PortFacts]) -> str:
    serial_number, _, interface = name[len(USB_PREFIX):].partition(":")
    if not serial_number:
        raise DeviceNotFound("%s: expected usb:SERIAL or usb:SERIAL:INTERFACE "
                             "(python -m harness ports shows serial numbers)" % name)
    matches = [p for p in ports if p.serial_number.lower() == serial_number.lower()]
    if interface:
        matches = [p for p in matches if _interface_matches(p, interface)]
    if len(matches) == 1:
        return matches[0].device
    if not matches:
        problem = "matches no port"
    else:
        problem = "matches %d ports (%s); add :INTERFACE" % (
            len(matches), ", ".join(p.device for p in matches))
    raise DeviceNotFound("%s %s; found: %s" % (name, problem, _found(ports)))


def _interface_matches(port: PortFacts, wanted: str) -> bool:
    if wanted.isdigit():
        return port.interface_number == int(wanted)
    wanted = wanted.lower()
    return wanted in port.interface.lower() or wanted in port.description.lower()


def _resolve_hwgrep(name: str, lister: PortLister) -> str:
    # pyserial's own matching (regex, &n=, &skip_busy): the URL means what pyserial says
    try:
        return str(protocol_hwgrep.Serial().from_url(name))
    except (serial.SerialException, ValueError) as exc:
        raise DeviceNotFound("%s: %s; found: %s" % (name, exc, _found(lister()))) from None


def _found(ports: Sequence[PortFacts]) -> str:
    if not ports:
        return "no serial ports at all"
    return "; ".join(p.line() for p in ports)
