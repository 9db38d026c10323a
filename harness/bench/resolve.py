"""A --device value into the port it stands for now: the one place the bench asks.

A value is a port (COM5, /dev/ttyUSB6, rfc2217://host:4001) or a stable name
that stands for one (usb:SERIAL[:INTERFACE], hwgrep://; harness/ports/names.py).
The bench needs the port before it opens anything: a lock is taken on the port,
so that COM5 and usb:SERIAL naming the same module are one module (locks.py),
and two values naming one port are refused when the pool is read (pool.py).

The traffic itself goes through Device.open, which resolves the value again at
every (re)connect (harness/wire/device.py): a module that re-enumerated under
another COM number is found again there.
"""

from __future__ import annotations

from harness.ports.key import port_key
from harness.ports.names import locked_port


def port_of(device: str) -> str:
    """The port a --device value stands for now; a stable name that matches no
    port stays itself (opening it then fails in its own words)."""
    return locked_port(device)


def key_of(device: str) -> str:
    """One key per physical port (harness/ports/key.py), whatever the value calls it."""
    return port_key(port_of(device))
