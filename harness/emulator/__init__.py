"""The virtual QuecPython module: a process of its own behind a real serial port.

`VirtualModule` starts it and tells the host which port to open; everything
after that goes through pyserial, exactly as with a module on a bench.

    config.py            ModuleConfig: what makes one virtual module differ from another
    module.py            the module's process: link, reader thread, REPL, power cycle
    launcher.py          starts it: forked from one warm process (POSIX), else a fresh one;
    launcher_process.py  that warm process
    links.py             the wire: a pseudo-terminal, or a TCP socket where there is none
    console.py           the REPL byte for byte: friendly, raw, raw-paste, soft reboot
    engine.py            who runs the device code: the engine contract and its factory
    runtime.py           the CPython engine: namespace, imports, the 1.13 compile step
    firmware_text.py     text as the firmware keeps it (CPython engine): a str of bytes on the
                         legacy build, unicode where ModuleConfig.unicode says so
    devfs.py             the module's filesystem: /usr of fixed size, /bak, /
    cpython_fw/          the CPython engine's firmware modules, one fw_*.py each
                         (usocket, uos, dataCall, checkNet, ...) behind build_builtin_modules
    mpy_engine.py        the micropython engine: a real `micropython` child runs the code
    mpy/                 MicroPython code that child runs: runner.py and its fw_*.py
    firmware_surface.py  the firmware's surface table, engine-neutral data with sources
    cpython_surface.py   that table made real on CPython (MicroPython's error wording)
    events.py            reboot and power-down, raised by misc.Power, acted on by the console
    netplan.py           where the module is on the network: its own address, carrier NAT
    carrier.py           the carrier relay: NAT and the link profile, for both engines
    radio.py, pipe.py    the link: when bytes arrive (shared by all connections), and
                         one direction of one connection moved by it

May import: harness.errors, harness.micropython, harness.link_profiles.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from .config import ENGINES, ModuleConfig
from .launcher import ModuleProcess, start_module
from .netplan import AddressUnavailable, fit_to_host, plan_for

__all__ = ["ENGINES", "ModuleConfig", "VirtualModule", "EmulatorStartError",
           "engine_fact", "network_fact", "power_cycle"]



def _power_switch(port: str) -> Path:
    """Where a running virtual module notes its process, by port, for power_cycle()."""
    key = re.sub(r"[^A-Za-z0-9]+", "_", port).strip("_")
    return Path(tempfile.gettempdir()) / "qpy-ftp-hil-virtual" / ("%s.pid" % key)


def power_cycle(port: str) -> None:
    """Cut and restore the power of the virtual module on `port` (what a relay does to a
    real one): `python -m harness emulator --power-cycle PORT`, a --reset-command."""
    try:
        pid = int(_power_switch(port).read_text())
    except (OSError, ValueError):
        raise EmulatorStartError("no virtual module runs on %s (started by this user)" % port
                                 ) from None
    if not hasattr(signal, "SIGUSR2"):
        raise EmulatorStartError("the virtual module's power switch is SIGUSR2, which "
                                 "Windows lacks")
    os.kill(pid, signal.SIGUSR2)


class EmulatorStartError(RuntimeError):
    pass


class VirtualModule:
    """A virtual module in a process of its own (launcher.py starts it); `port` is what
    pyserial opens."""

    def __init__(self, config: ModuleConfig | None = None, root: Path | None = None,
                 use_socket: bool = False, start_timeout: float = 15.0) -> None:
        self.config = config or ModuleConfig()
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="qpy-module-")) if root is None else root
        self.use_socket = use_socket
        self.start_timeout = start_timeout
        self.port = ""
        self.network_note = ""  # where this host made the module's address fall back
        self._proc: ModuleProcess | None = None

    def start(self) -> VirtualModule:
        try:
            self.config, self.network_note = fit_to_host(self.config)
        except AddressUnavailable as exc:
            raise EmulatorStartError(str(exc)) from None
        if self.config.engine == "micropython":
            from .mpy_engine import EngineMissing, micropython_binary

            try:
                micropython_binary()
            except EngineMissing as exc:
                raise EmulatorStartError(str(exc)) from None
        argv = ["--root", str(self.root), "--config", self.config.to_json(), "--watch-stdin"]
        if self.use_socket:
            argv.append("--socket")
        self._proc = start_module(argv)
        self.port = self._read_port_line()
        switch = _power_switch(self.port)
        switch.parent.mkdir(exist_ok=True)
        switch.write_text(str(self._proc.pid))
        return self

    def _read_port_line(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        stdout = self._proc.stdout
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout)
        text = line[0].decode().strip() if line else ""
        if text.startswith("ERROR "):  # the module said why it cannot start
            self.stop()
            raise EmulatorStartError(text[6:])
        if not text.startswith("PORT "):
            self.stop()
            raise EmulatorStartError(
                "the virtual module did not start within %.0f s (got %r); run "
                "`python -m harness emulator` to see its error" % (self.start_timeout, text))
        return text[5:]

    @property
    def pid(self) -> int:
        """The module's process: SIGUSR2 to it is a power cycle (POSIX)."""
        assert self._proc is not None
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def usr_path(self, relpath: str = "") -> Path:
        """Host path of a file in the module's /usr (for tests of the emulator)."""
        return self.root / "usr" / relpath

    def stop(self) -> None:
        if self.port:
            _power_switch(self.port).unlink(missing_ok=True)
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait(timeout=10)
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream:
                    stream.close()
            self._proc = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> VirtualModule:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def engine_fact(config: ModuleConfig) -> str:
    """The report's "Engine" fact: who ran the device code, with the heap limit if any."""
    text = "str is unicode" if config.unicode else "str is bytes (no unicode, as the " \
        "legacy firmware)"
    if config.engine != "micropython":
        return "cpython: CPython %d.%d.%d with the firmware's names, %s" % (
            *sys.version_info[:3], text)
    from .mpy_engine import engine_version

    heap = "heap %d KiB (-X heapsize=%d)" % (config.heap // 1024, config.heap) \
        if config.heap else "its default heap"
    # its interpreter has unicode strings whatever the build: say so where it differs
    text = "str is unicode" + ("" if config.unicode else " (the firmware's is bytes: "
                               "len('\u6d4b') is 1 here, 3 there)")
    return "micropython: %s, %s, %s" % (engine_version() or "MicroPython unix port", heap,
                                        text)


def network_fact(config: ModuleConfig, note: str = "") -> str:
    """The report's "Network" fact of a virtual module: its address, NAT, its link."""
    from harness.link_profiles import link_profile

    plan = plan_for(config)
    if not plan.own:
        text = "no data call (dataCall.getInfo: link down); sockets on the host's 127.0.0.1"
    elif plan.nat:
        text = ("dataCall.getInfo %s; behind carrier NAT: the server sees %s and cannot "
                "connect back (active mode fails)" % (plan.own, plan.source))
    else:
        text = "dataCall.getInfo %s; the server sees %s" % (plan.own, plan.source)
    text += "; link %s" % link_profile(config.link).describe()
    return text + ("; " + note if note else "")
