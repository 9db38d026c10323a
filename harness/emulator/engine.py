"""Who runs the device code: the engine contract and the factory.

The REPL (console.py) and the link (module.py) need the same few things from
either engine: run a program and get MicroPython's error text back, soft-reset,
pass on a Ctrl-C, and say whether a program is running with Ctrl-C enabled.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from .config import ModuleConfig
from .netplan import NetworkPlan
from .runtime import DeviceRuntime, DeviceStdout, InputQueue


class Engine(Protocol):
    stdout: DeviceStdout  # print() on the module: down the link
    executing: bool  # a program is running (a Ctrl-C is the program's)
    kbd_intr_enabled: bool  # micropython.kbd_intr(3) is in force

    def execute(self, source: bytes, mode: str = "exec") -> str | None:
        """Run code as the REPL does: the bytes it received, read as the engine's build
        reads them (firmware_text.py); MicroPython's error text, or None."""

    def soft_reset(self) -> None:
        """Ctrl-D: globals, imported modules and sys.path are gone."""

    def interrupt(self, reboot: bool = False) -> None:
        """A Ctrl-C for the running program; reboot: a Ctrl-D it cannot swallow."""

    def close(self) -> None: ...


def build_engine(config: ModuleConfig, root: Path, send: Callable[[bytes], None],
                 stdin: InputQueue, plan: NetworkPlan) -> Engine:
    if config.engine == "micropython":
        from .mpy_engine import MicroPythonRuntime  # only where asked: it starts a child

        return MicroPythonRuntime(config, root, send, stdin, plan)
    return DeviceRuntime(config, root, send, stdin, plan)
