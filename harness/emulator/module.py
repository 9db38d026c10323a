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

from harness.link_profiles import link_profile

from .carrier import Carrier
from .config import ModuleConfig
from .console import Console
from .engine import build_engine
from .events import ModulePowerDown, ModuleRestart
from .links import Link, PtyLink, RateLimitedLink, SocketLink
from .netplan import needs_relay, plan_for
from .runtime import InputQueue

CTRL_C, CTRL_D = 3, 4


class ModuleProcess:
    def __init__(self, config: ModuleConfig, root: Path, link: Link) -> None:
        self.config = config
        self.link = RateLimitedLink(link, config.baud // 10) if config.baud else link
        self.queue = InputQueue()
        # the carrier between the module and the world: NAT and the radio link
        self.carrier: Carrier | None = None
        plan = plan_for(config)
        if needs_relay(config):
            self.carrier = Carrier(plan, link_profile(config.link)).start()
            plan = plan_for(config, self.carrier.address)
        self.runtime = build_engine(config, root, self.link.write, self.queue, plan)
        self.console = Console(config, self.runtime, self.queue, self.link.write)
        if hasattr(signal, "SIGUSR2"):  # POSIX: the bench's reset command cut the power
            signal.signal(signal.SIGUSR2, self._on_power_cycle)

    @staticmethod
    def _on_power_cycle(signum: int, frame: object) -> None:
        raise ModuleRestart  # caught where a program's powerRestart() is: the module boots

    def _reader(self) -> None:
        while True:
            data = self.link.read()
            if not data:
                self.queue.close()
                return
            running = self.runtime.executing and self.runtime.kbd_intr_enabled
            if running and CTRL_C in data:
                data = data.replace(b"\x03", b"")
                self.runtime.interrupt()
            if running and CTRL_D in data and self.config.ignore_ctrl_c:
                data = data.replace(b"\x04", b"")
                self.runtime.interrupt(reboot=True)
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
        finally:
            self.runtime.close()
            if self.carrier is not None:
                self.carrier.close()


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
    try:
        module = ModuleProcess(config, args.root, link)
    except (RuntimeError, OSError) as exc:  # the micropython engine: missing, or no heap
        print("ERROR %s" % exc, flush=True)
        sys.exit(2)
    print("PORT %s" % link.port, flush=True)
    # from now on print() is the module's: it goes down the link
    sys.stdout = module.runtime.stdout
    if args.watch_stdin:
        # started by a run (VirtualModule), it ends with the run; a Ctrl-C at the run's
        # terminal reaches it too, but is the run's: the run still cleans up on it
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=_watch_parent, daemon=True).start()
    module.serve()


if __name__ == "__main__":
    main()
