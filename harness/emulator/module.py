"""The virtual module's process: a link, a reader thread, a REPL, a runtime.

Run as `python -m harness.emulator.module --root DIR [--socket] [--config JSON]`.
SIGUSR2 power-cycles it (what a bench's --reset-command does to a real module).
It prints one line, `PORT <name>`, once the port can be opened, then serves
the REPL until it is killed or its stdin closes.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from .config import ModuleConfig
from .console import Console
from .events import ModulePowerDown, ModuleRestart, SoftRebootRequest
from .links import Link, PtyLink, RateLimitedLink, SocketLink
from .runtime import DeviceRuntime, InputQueue

CTRL_C, CTRL_D = 3, 4


class ModuleProcess:
    def __init__(self, config: ModuleConfig, root: Path, link: Link) -> None:
        self.config = config
        self.link = RateLimitedLink(link, config.baud // 10) if config.baud else link
        self.queue = InputQueue()
        self.runtime = DeviceRuntime(config, root, self.link.write, self.queue)
        self.console = Console(config, self.runtime, self.queue, self.link.write)
        self._main_thread = threading.main_thread()
        self._reboot_requested = False
        self._install_interrupt()

    def _install_interrupt(self) -> None:
        # Ctrl-C from the host raises KeyboardInterrupt in running code only,
        # never in the REPL itself; a real signal also breaks blocking calls.
        def on_interrupt(signum: int, frame: object) -> None:
            if not self.runtime.executing:
                return
            if self._reboot_requested:
                self._reboot_requested = False
                raise SoftRebootRequest
            if not self.config.ignore_ctrl_c:
                raise KeyboardInterrupt

        def on_power_cycle(signum: int, frame: object) -> None:
            raise ModuleRestart  # the bench's reset command cut the power (POSIX only)

        if hasattr(signal, "SIGUSR1"):
            signal.signal(signal.SIGUSR1, on_interrupt)
        if hasattr(signal, "SIGUSR2"):
            signal.signal(signal.SIGUSR2, on_power_cycle)

    def _interrupt_program(self) -> None:
        ident = self._main_thread.ident  # never None: the main thread is running
        if hasattr(signal, "pthread_kill") and ident is not None:
            signal.pthread_kill(ident, signal.SIGUSR1)
        else:  # Windows: no signals between threads; the next bytecode raises
            import _thread

            _thread.interrupt_main()

    def _reader(self) -> None:
        while True:
            data = self.link.read()
            if not data:
                self.queue.close()
                return
            running = self.runtime.executing and self.runtime.kbd_intr_enabled
            if running and CTRL_C in data:
                data = data.replace(b"\x03", b"")
                self._interrupt_program()
            if running and CTRL_D in data and self.config.ignore_ctrl_c:
                data = data.replace(b"\x04", b"")
                self._reboot_requested = True
                self._interrupt_program()
            if data:
                self.queue.put(data)

    def _noise(self) -> None:
        lines = self.config.noise
        interval = self.config.noise_interval_ms / 1000
        index = 0
        while not self.queue.closed:
            time.sleep(interval)  # the emulated application's own pace
            self.link.write(lines[index % len(lines)].encode() + b"\r\n")
            index += 1

    def serve(self) -> None:
        threading.Thread(target=self._reader, name="link-reader", daemon=True).start()
        if self.config.noise:
            threading.Thread(target=self._noise, name="noise", daemon=True).start()
        try:
            self.console.run()
        except ModulePowerDown:
            # the module is gone: its port disappears with it
            self.link.close()


def _watch_parent() -> None:
    """End when the launcher goes away (its end of our stdin closes)."""
    try:
        sys.stdin.buffer.read()
    finally:
        os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--config", default="{}")
    parser.add_argument("--socket", action="store_true", help="listen on TCP, not a pty")
    parser.add_argument("--bind", default="127.0.0.1:0")
    parser.add_argument("--watch-stdin", action="store_true")
    args = parser.parse_args(argv)
    config = ModuleConfig.from_json(args.config)
    use_socket = args.socket or not hasattr(os, "openpty")
    if use_socket:
        host, _, port = args.bind.rpartition(":")
        link: Link = SocketLink(host or "127.0.0.1", int(port or 0))
    else:
        link = PtyLink()
    module = ModuleProcess(config, args.root, link)
    print("PORT %s" % link.port, flush=True)
    # from now on print() is the module's: it goes down the link
    sys.stdout = module.runtime.stdout
    if args.watch_stdin:
        threading.Thread(target=_watch_parent, daemon=True).start()
    module.serve()


if __name__ == "__main__":
    main()
