"""MicroPython's raw REPL, spoken over a pyserial port.

The host's half of the protocol the module's firmware implements:
Ctrl-A enters raw REPL, code ends with Ctrl-D, the module answers
"OK", output, \\x04, error text, \\x04, ">". Raw-paste (\\x05A\\x01) sends
code under the module's own flow control; firmware that refuses it (R\\x00)
or does not know it gets plain raw REPL for the rest of the connection.

A bench module is not polite: unsolicited lines (URCs, an application's
prints) may arrive at any time, a script may hang, the module may reboot or
vanish. Every wait here has a deadline, noise is skipped (the serial log
keeps it), and a hung script is interrupted, then soft-rebooted.
"""

from __future__ import annotations

import re
import struct
import time
from collections.abc import Callable

from harness.errors import DeviceNotResponding, DeviceRebooted, DeviceTimeout, ReplRefused
from harness.wire import snippets
from harness.wire.layout import SYNC_PREFIX
from harness.wire.port_guard import GuardedPort
from harness.wire.serial_log import SerialPortLike

RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
SOFT_REBOOT = b"soft reboot\r\n"
BOOT_BANNER = b'Type "help()" for more information.\r\n'
REPL_REFUSED = b"REPL refuse"
CTRL_A, CTRL_B, CTRL_C, CTRL_D = b"\x01", b"\x02", b"\x03", b"\x04"
PASTE_OK, PASTE_REFUSED = b"R\x01", b"R\x00"
PLAIN_RAW_CHUNK = 256  # plain raw REPL has no flow control: small writes
MAX_OWED = 64 * 1024  # bytes sent at most to end a receiver the host stopped feeding
ERROR_LINE = re.compile(rb"^(Traceback|[A-Za-z_.]+(Error|Exception|Interrupt|Exit)\b)", re.M)


class RawRepl:
    def __init__(self, port: SerialPortLike, name: str, prompt_timeout: float = 3.0) -> None:
        # every in_waiting, read and write below goes through the guard: a port
        # that vanishes at any stage is a DeviceDisconnected, never a raw pyserial error
        self.port = port if isinstance(port, GuardedPort) else GuardedPort(port, name)
        self.name = name
        self.prompt_timeout = prompt_timeout
        self.use_raw_paste = True
        self._rx = bytearray()  # read from the port but not yet consumed
        # no wait runs past this moment (time.monotonic), whatever its own timeout:
        # the test's ceiling less a margin (Device.set_deadlines)
        self.deadline: float | None = None
        # code sent by start_exec has not given the prompt back: the host stopped
        # waiting for it (a Ctrl-C on the bench PC, a lost port) while it ran
        self.busy = False
        # while busy: the bytes a receiver reading stdin with Ctrl-C off still waits
        # for, which end it (the pushes of Device and zpush keep it up to date)
        self.owed = 0

    # -- reading ---------------------------------------------------------

    def _until(self, timeout: float) -> float:
        end = time.monotonic() + timeout
        return end if self.deadline is None else min(end, self.deadline)

    @property
    def lost(self) -> str | None:
        """Why the port went away, once it has (the guard remembers)."""
        return self.port.lost

    def _fill(self) -> bool:
        data = self.port.read(max(1, self.port.in_waiting))
        self._rx += data
        return bool(data)

    def _check_refused(self) -> None:
        if REPL_REFUSED in self._rx:
            raise ReplRefused(
                "%s answered 'REPL refuse': the application on the module has disabled "
                "the REPL; re-enable it (or flash a build that allows it) and retry" % self.name)

    def read_until(self, marker: bytes, timeout: float,
                   abort: Callable[[bytes], None] | None = None) -> bytes | None:
        """Bytes up to and including `marker`, or None if it did not come in time.

        `abort` sees the unconsumed bytes while waiting and may raise.
        """
        deadline = self._until(timeout)
        while True:
            at = self._rx.find(marker)
            if at >= 0:
                end = at + len(marker)
                data = bytes(self._rx[:end])
                del self._rx[:end]
                return data
            self._check_refused()
            if abort is not None:
                abort(bytes(self._rx))
            if time.monotonic() >= deadline:
                return None
            self._fill()

    def read_until_any(self, markers: tuple[bytes, ...], timeout: float) -> bytes | None:
        """Consume up to the first of several markers; which one came (None: none did)."""
        deadline = self._until(timeout)
        while True:
            found = [(self._rx.find(m), m) for m in markers if m in self._rx]
            if found:
                at, marker = min(found)
                del self._rx[:at + len(marker)]
                return marker
            self._check_refused()
            if time.monotonic() >= deadline:
                return None
            self._fill()

    def read_exact(self, size: int, timeout: float) -> bytes | None:
        deadline = self._until(timeout)
        while len(self._rx) < size:
            if time.monotonic() >= deadline:
                return None
            self._fill()
        data = bytes(self._rx[:size])
        del self._rx[:size]
        return data

    def drain(self) -> bytes:
        """Whatever is buffered now: noise and leftovers, kept only in the log."""
        while self.port.in_waiting:
            self._fill()
        data = bytes(self._rx)
        self._rx.clear()
        return data

    def write(self, data: bytes) -> None:
        self.port.write(data)

    # -- states ----------------------------------------------------------

    def enter_raw(self, tries: int = 3) -> None:
        """Reach the raw REPL prompt from any state: running program, friendly, raw.

        Ctrl-C stops a running program (twice: once may land in an except);
        Ctrl-A then (re)enters raw REPL, which prints its banner whatever
        state the module was in. A script that ignores Ctrl-C gets a soft
        reboot on the second try.
        """
        for attempt in range(tries):
            self.write(b"\r" + CTRL_C + CTRL_C)
            self.drain()
            if attempt == 1:
                self.write(CTRL_D)  # soft reboot: the last resort that needs no hands
                self.read_until(SOFT_REBOOT, self.prompt_timeout / 2)
            self.write(CTRL_A)
            if self.read_until(RAW_PROMPT, self.prompt_timeout) is not None and self._sync():
                self.busy = False
                return
        raise DeviceNotResponding(
            "no raw REPL prompt on %s after %d tries; is the module plugged in and "
            "powered, is another program (QPYcom, a terminal) holding the port, or has the "
            "application disabled the REPL?" % (self.name, tries))

    def _sync(self) -> bool:
        """Run a no-op with a fresh token: once its output is back, every banner or
        prompt the module printed before it has been read, and none is left to
        be mistaken for the answer to the next command."""
        token = "%x" % time.monotonic_ns()
        self.write(snippets.SYNC.fill(SYNC_PREFIX, token).encode() + CTRL_D)
        if self.read_until((SYNC_PREFIX + token).encode(), self.prompt_timeout) is None:
            return False
        for marker in (CTRL_D, CTRL_D, b">"):
            if self.read_until(marker, self.prompt_timeout) is None:
                return False
        return True

    def exit_raw(self) -> None:
        self.write(CTRL_B)

    def soft_reset(self, timeout: float = 10.0) -> None:
        """Ctrl-D on an empty raw line: globals and imports are gone afterwards."""
        self.write(CTRL_C + CTRL_D)
        if self.read_until(SOFT_REBOOT, timeout) is None or \
                self.read_until(RAW_PROMPT, timeout) is None or not self._sync():
            raise DeviceNotResponding(
                "%s did not come back from a soft reboot within %.0f s" % (self.name, timeout))
        self.busy = False

    def recover(self) -> str:
        """Stop whatever runs and get back to the raw prompt; says how it was done."""
        for _ in range(2):
            self.write(CTRL_C)
            if self.read_until(CTRL_D + b">", self.prompt_timeout) is not None:
                self.busy = False
                return "interrupted with Ctrl-C"
        self.write(CTRL_D)
        if self.read_until(SOFT_REBOOT, self.prompt_timeout) is not None:
            self.write(CTRL_C + CTRL_A)
            if self.read_until(RAW_PROMPT, self.prompt_timeout) is not None and self._sync():
                self.busy = False
                return "Ctrl-C was ignored; recovered with a soft reboot"
        raise DeviceNotResponding(
            "%s ignores Ctrl-C and Ctrl-D: power-cycle the module (or reset it from its AT "
            "port with AT+CFUN=1,1) before the next run" % self.name)

    # -- running code ----------------------------------------------------

    def exec_raw(self, code: str | bytes, timeout: float) -> tuple[bytes, bytes]:
        """Run code at the raw prompt; (output, error text). Raises DeviceTimeout."""
        self.start_exec(code)
        return self.finish_exec(timeout)

    def settle(self) -> str:
        """The raw prompt back from code the host stopped waiting for: a receiver gets
        the bytes it still waits for (MAX_OWED at most), then it is interrupted."""
        if 0 < self.owed <= MAX_OWED:
            self.write(b"\x00" * self.owed)
        self.owed = 0
        return self.recover()

    def start_exec(self, code: str | bytes) -> None:
        """Send code; it is running on the module when this returns. Code sent
        before and left running (the host was interrupted) is settled first."""
        data = code.encode() if isinstance(code, str) else code
        if self.busy:
            self.settle()
        self.drain()
        self.busy, self.owed = True, 0
        self._send_code(data)

    def finish_exec(self, timeout: float) -> tuple[bytes, bytes]:
        """Collect what the running code prints until the raw prompt comes back."""
        deadline = time.monotonic() + timeout
        out = self.read_until(CTRL_D, timeout, abort=self._abort_on_reboot)
        err = None
        if out is not None:
            err = self.read_until(CTRL_D, max(0.1, deadline - time.monotonic()),
                                  abort=self._abort_on_reboot)
        if out is None or err is None:
            how = self.recover()
            raise DeviceTimeout("code on %s did not finish within %.1f s (%s)"
                                % (self.name, timeout, how))
        self.read_until(b">", self.prompt_timeout)
        self.busy = False
        err = err[:-1]
        if not ERROR_LINE.search(err):
            out, err = out + err, b""  # unsolicited lines, not an error of our code
        return out[:-1], err

    def _abort_on_reboot(self, pending: bytes) -> None:
        if SOFT_REBOOT in pending or BOOT_BANNER in pending:
            self._rx.clear()
            self.enter_raw()
            raise DeviceRebooted(
                "%s rebooted in the middle of a step (watchdog, crash or power loss?); "
                "the serial log shows what it printed" % self.name)

    def _send_code(self, data: bytes) -> None:
        if self.use_raw_paste and self._send_raw_paste(data):
            return
        for start in range(0, len(data), PLAIN_RAW_CHUNK):
            self.write(data[start:start + PLAIN_RAW_CHUNK])
        self.write(CTRL_D)
        if self.read_until(b"OK", self.prompt_timeout) is None:
            raise DeviceNotResponding(
                "%s did not acknowledge code sent to the raw REPL (no 'OK')" % self.name)

    def _send_raw_paste(self, data: bytes) -> bool:
        """True if the code went over raw-paste; False to fall back to plain raw."""
        self.write(b"\x05A\x01")
        answer = self.read_until_any((PASTE_OK, PASTE_REFUSED, RAW_PROMPT),
                                     self.prompt_timeout)
        if answer == PASTE_OK:
            header = self.read_exact(2, self.prompt_timeout)
            if header is None:
                raise DeviceNotResponding("%s announced raw-paste but no window size" % self.name)
            self._paste(data, struct.unpack("<H", header)[0])
            return True
        if answer is None:
            raise DeviceNotResponding("%s answered neither raw-paste nor raw REPL" % self.name)
        self.use_raw_paste = False  # for the rest of this connection
        if answer == PASTE_REFUSED:
            self.read_until(b">", self.prompt_timeout)
        return False

    def _paste(self, data: bytes, window: int) -> None:
        credit = window
        sent = 0
        while sent < len(data):
            # take every credit the module has granted before writing more
            while credit == 0 or self.port.in_waiting or self._rx:
                flag = self.read_exact(1, self.prompt_timeout * 3)
                if flag == b"\x01":
                    credit += window
                elif flag == CTRL_D:
                    self.write(CTRL_D)  # the module ended the paste early
                    return
                elif flag is None:
                    raise DeviceTimeout("%s stopped granting raw-paste credit" % self.name)
                # anything else is noise; it stays in the serial log
                if credit and not self.port.in_waiting and not self._rx:
                    break
            chunk = data[sent:sent + credit]
            self.write(chunk)
            sent += len(chunk)
            credit -= len(chunk)
        self.write(CTRL_D)
        if self.read_until(CTRL_D, self.prompt_timeout * 3) is None:
            raise DeviceNotResponding("%s did not acknowledge the end of a raw-paste"
                                      % self.name)
