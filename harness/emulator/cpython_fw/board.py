"""What the firmware's modules reach of the running module: the Board.

The firmware's C modules see the module they run on: its identity (modem, uos.uname),
its /usr partition (uos), its network (net, dial, checkNet, usocket) and its place on
it (usocket), its console (usys.stdin and stdout, micropython.kbd_intr) and the
interpreter's import state (usys.path, usys.modules). The CPython engine's runtime
(runtime.py, DeviceRuntime) is one such board; the firmware modules know it only through
this Protocol, so neither imports the other.
"""

from __future__ import annotations

import types
from typing import Protocol

from ..config import ModuleConfig
from ..devfs import DeviceFs
from ..firmware_text import FirmwareText
from ..netplan import NetworkPlan
from .network import NetworkState


class TextOut(Protocol):
    """print() on the module: what usys.stdout is."""

    def write(self, text: str) -> int: ...


class Board(Protocol):
    # read-only: each module keeps what it was given for the module's whole life
    @property
    def config(self) -> ModuleConfig: ...

    @property
    def fs(self) -> DeviceFs: ...

    @property
    def network(self) -> NetworkState: ...  # attached or not: net, dial, checkNet, sockets

    @property
    def plan(self) -> NetworkPlan: ...  # its address, NAT, the carrier (netplan.py)

    @property
    def text(self) -> FirmwareText: ...  # how the build keeps a str (bytes, or unicode)

    @property
    def stdout(self) -> TextOut: ...

    @property
    def path(self) -> list[str]: ...  # usys.path: the one list the importer reads

    @property
    def modules(self) -> dict[str, types.ModuleType]: ...  # usys.modules, likewise

    # micropython.kbd_intr(3) turns Ctrl-C on, anything else off
    kbd_intr_enabled: bool

    def read_stdin(self, size: int) -> bytes:
        """usys.stdin.buffer.read(size): blocks for exactly `size` bytes."""
        ...

    def format_exception(self, exc: BaseException) -> str:
        """The traceback MicroPython prints (usys.print_exception)."""
        ...
