"""The module's REPL: friendly prompt, raw REPL and raw-paste, byte for byte.

Follows MicroPython's pyexec: Ctrl-A enters raw REPL ("raw REPL; CTRL-B to
exit\\r\\n>"), Ctrl-D runs what was sent ("OK", output, \\x04, error, \\x04,
">"), Ctrl-D on an empty line soft-reboots, Ctrl-B goes back to the friendly
">>> " prompt, and "\\x05A\\x01" starts raw-paste with flow control.
"""

from __future__ import annotations

from collections.abc import Callable

from .config import ModuleConfig
from .engine import Engine
from .events import ModuleRestart, SoftRebootRequest
from .runtime import InputQueue

CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E = 1, 2, 3, 4, 5
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
SOFT_REBOOT = b"MPY: soft reboot\r\n"
FRIENDLY, RAW = "friendly", "raw"


class LinkClosed(Exception):
    pass


class Rebooted(Exception):
    """Unwinds the REPL after a reboot; carries the mode the REPL starts in."""

    def __init__(self, mode: str) -> None:
        super().__init__(mode)
        self.mode = mode


class Console:
    def __init__(self, config: ModuleConfig, runtime: Engine, queue: InputQueue,
                 send: Callable[[bytes], None]) -> None:
        self.config = config
        self.runtime = runtime
        self.queue = queue
        self.send = send
        self._pending = bytearray()
        self._in_raw = False

    # -- input -----------------------------------------------------------

    def read_byte(self) -> int:
        while not self._pending:
            if self.queue.closed:
                raise LinkClosed
            self._pending += self.queue.get(4096, timeout=0.5)
        value = self._pending[0]
        del self._pending[0]
        return value

    def _hand_input_to_program(self) -> None:
        """Bytes already read ahead belong to the program's stdin now."""
        if self._pending:
            leftover = bytes(self._pending)
            self._pending.clear()
            self.queue.unget(leftover)

    # -- top level -------------------------------------------------------

    def run(self) -> None:
        mode = FRIENDLY
        self.send(self.config.banner().encode())
        try:
            if self.config.repl_refuse:
                self.refuse_forever()
            while True:
                try:
                    mode = self.friendly() if mode == FRIENDLY else self.raw()
                except Rebooted as reboot:
                    mode = reboot.mode
                except ModuleRestart:  # a power cycle while the REPL waited for input
                    mode = self.power_on()
        except LinkClosed:
            return

    def refuse_forever(self) -> None:
        while True:
            self.read_byte()
            self._pending.clear()
            self.send(b"REPL refuse\r\n")

    def power_on(self) -> str:
        """A real reboot: the REPL comes back friendly, with the boot banner."""
        self.queue.clear()
        self._pending.clear()
        self.runtime.soft_reset()
        self.send(b"\r\n" + self.config.banner().encode())
        return FRIENDLY

    def soft_reboot(self) -> None:
        self.send(SOFT_REBOOT)
        self.runtime.soft_reset()
        for line in self.config.boot_lines:
            self.send(line.encode() + b"\r\n")

    def execute(self, source: bytes, mode: str = "exec") -> str | None:
        self._hand_input_to_program()
        current = RAW if mode == "exec" and self._in_raw else FRIENDLY
        try:
            return self.runtime.execute(source, mode)  # bytes: the engine reads them
        except SoftRebootRequest:
            self.queue.clear()
            self.soft_reboot()
            raise Rebooted(current) from None
        except ModuleRestart:
            raise Rebooted(self.power_on()) from None

    # -- friendly REPL ---------------------------------------------------

    def friendly(self) -> str:
        self._in_raw = False
        self.send(b">>> ")
        lines: list[bytes] = []
        line = bytearray()
        while True:
            c = self.read_byte()
            if c == CTRL_A:
                self.send(b"\r\n")
                return RAW
            if c == CTRL_B:
                self.send(b"\r\n" + self.config.banner().encode())
                return FRIENDLY
            if c == CTRL_C:
                self.send(b"\r\n")
                return FRIENDLY
            if c == CTRL_D and not line and not lines:
                self.send(b"\r\n")
                self.soft_reboot()
                self.send(self.config.banner().encode())
                return FRIENDLY
            if c == CTRL_E:
                self.paste_mode()
                return FRIENDLY
            if c in (8, 127):
                if line:
                    line.pop()
                    self.send(b"\x08 \x08")
                continue
            if c == 13:
                self.send(b"\r\n")
                text = bytes(line)  # the engine reads the bytes as its build does
                line.clear()
                if lines or text.rstrip().endswith(b":"):
                    if text.strip():
                        lines.append(text)
                        self.send(b"... ")
                        continue
                    text = b"\n".join(lines) + b"\n"
                    lines.clear()
                    self._report(self.execute(text, "exec"))
                elif text.strip():
                    self._report(self.execute(text, "single"))
                return FRIENDLY
            if c == 10:
                continue
            line.append(c)
            self.send(bytes([c]))

    def paste_mode(self) -> None:
        self.send(b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ")
        text = bytearray()
        while True:
            c = self.read_byte()
            if c == CTRL_C:
                self.send(b"\r\n")
                return
            if c == CTRL_D:
                self.send(b"\r\n")
                self._report(self.execute(bytes(text)))
                return
            text.append(c)
            self.send(b"\r\n=== " if c == 13 else bytes([c]))

    def _report(self, error: str | None) -> None:
        if error:
            self.runtime.stdout.write(error)

    # -- raw REPL --------------------------------------------------------

    def raw(self) -> str:
        self._in_raw = True
        self.send(RAW_BANNER)
        while True:
            self.send(b">")
            line = bytearray()
            while True:
                c = self.read_byte()
                if c == CTRL_A:
                    if len(line) == 2 and line[0] == CTRL_E and self.config.raw_paste != "unknown":
                        self.raw_paste(line[1])
                        line.clear()
                        self.send(b">")
                        continue
                    return RAW  # reset: banner and prompt again
                if c == CTRL_B:
                    self.send(b"\r\n" + self.config.banner().encode())
                    return FRIENDLY
                if c == CTRL_C:
                    line.clear()
                elif c == CTRL_D:
                    break
                else:
                    line.append(c)
            self.send(b"OK")
            if not line:
                self.send(b"\r\n")
                self.soft_reboot()
                return RAW
            self._run_framed(bytes(line))

    def _run_framed(self, source: bytes) -> None:
        """Output, \\x04, error text, \\x04: what the raw REPL sends for one run."""
        error = self.execute(source)
        self.send(b"\x04")
        if error:
            self.runtime.stdout.write(error)
        self.send(b"\x04")

    def raw_paste(self, command: int) -> None:
        if command != ord("A") or self.config.raw_paste == "refuse":
            self.send(b"R\x00")
            return
        window = self.config.paste_window
        self.send(b"R\x01" + bytes([window & 0xFF, window >> 8]) + b"\x01")
        remain = window
        source = bytearray()
        while True:
            c = self.read_byte()
            if c == CTRL_D:
                self.send(b"\x04")
                break
            if c == CTRL_C:
                self.send(b"\x04")
                self.send(b"\x04KeyboardInterrupt: \r\n\x04")
                return
            source.append(c)
            remain -= 1
            if remain == 0:
                self.send(b"\x01")  # one more window is free
                remain = window
        self._run_framed(bytes(source))
