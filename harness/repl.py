"""MicroPython's raw REPL, spoken over a pyserial port.

The host's half of the protocol the module's firmware implements:
Ctrl-A enters raw REPL, code ends with Ctrl-D, the module answers
"OK", output, \\x04, error text, \\x04, ">". Raw-paste (\\x05A\\x01) sends
code under the module's own flow control; firmware that refuses it (R\\x00)
or does not know it gets plain raw REPL for the rest of the connection.
"""

from __future__ import annotations

import struct
import time

import serial

from .errors import DeviceDisconnected, DeviceNotResponding, DeviceTimeout, ReplRefused
from .serial_log import SerialPortLike

RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
SOFT_REBOOT = b"soft reboot\r\n"
REPL_REFUSED = b"REPL refuse"
CTRL_A, CTRL_B, CTRL_C, CTRL_D = b"\x01", b"\x02", b"\x03", b"\x04"
PLAIN_RAW_CHUNK = 256  # plain raw REPL has no flow control: small writes


class RawRepl:
    def __init__(self, port: SerialPortLike, name: str, prompt_timeout: float = 3.0) -> None:
        self.port = port
        self.name = name
        self.prompt_timeout = prompt_timeout
        self.use_raw_paste = True
        self._rx = bytearray()  # read from the port but not yet consumed

    # -- reading ---------------------------------------------------------

    def _fill(self) -> bool:
        try:
            data = self.port.read(max(1, self.port.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise DeviceDisconnected(
                "%s went away (%s): was the module unplugged or reset?" % (self.name, exc)
            ) from None
        self._rx += data
        return bool(data)

    def read_until(self, marker: bytes, timeout: float) -> bytes | None:
        """Bytes up to and including `marker`, or None if it did not come in time."""
        deadline = time.monotonic() + timeout
        while True:
            at = self._rx.find(marker)
            if at >= 0:
                end = at + len(marker)
                data = bytes(self._rx[:end])
                del self._rx[:end]
                return data
            if REPL_REFUSED in self._rx:
                raise ReplRefused(
                    "%s answered 'REPL refuse': the application on the module has disabled "
                    "the REPL; re-enable it (or flash a build that allows it) and retry"
                    % self.name)
            if time.monotonic() >= deadline:
                return None
            self._fill()

    def read_exact(self, size: int, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
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
        try:
            self.port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise DeviceDisconnected(
                "cannot write to %s (%s): was the module unplugged?" % (self.name, exc)
            ) from None

    # -- states ----------------------------------------------------------

    def enter_raw(self, tries: int = 3) -> None:
        """Reach the raw REPL prompt from any state: running program, friendly, raw."""
        for _ in range(tries):
            # Ctrl-C twice stops a running program; Ctrl-A then (re)enters raw REPL,
            # which prints its banner whatever state the module was in.
            self.write(b"\r" + CTRL_C + CTRL_C)
            self.drain()
            self.write(CTRL_A)
            if self.read_until(RAW_PROMPT, self.prompt_timeout) is not None:
                return
        raise DeviceNotResponding(
            "no raw REPL prompt on %s after %d tries; is the module plugged in and "
            "powered, is another program (QPYcom, a terminal) holding the port, or has the "
            "application disabled the REPL?" % (self.name, tries))

    def exit_raw(self) -> None:
        self.write(CTRL_B)

    def soft_reset(self, timeout: float = 10.0) -> None:
        """Ctrl-D on an empty raw line: globals and imports are gone afterwards."""
        self.write(CTRL_C + CTRL_D)
        if self.read_until(SOFT_REBOOT, timeout) is None or \
                self.read_until(RAW_PROMPT, timeout) is None:
            raise DeviceNotResponding(
                "%s did not come back from a soft reboot within %.0f s" % (self.name, timeout))

    def interrupt(self) -> None:
        self.write(CTRL_C + CTRL_C)

    # -- running code ----------------------------------------------------

    def exec_raw(self, code: str | bytes, timeout: float) -> tuple[bytes, bytes]:
        """Run code at the raw prompt; (output, error text). Raises DeviceTimeout."""
        data = code.encode() if isinstance(code, str) else code
        self.drain()
        self._send_code(data)
        deadline = time.monotonic() + timeout
        out = self.read_until(CTRL_D, timeout)
        err = self.read_until(CTRL_D, max(0.1, deadline - time.monotonic())) \
            if out is not None else None
        if out is None or err is None:
            raise DeviceTimeout("code on %s did not finish within %.1f s"
                                % (self.name, timeout))
        self.read_until(b">", self.prompt_timeout)
        return out[:-1], err[:-1]

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
        answer = self.read_exact(2, self.prompt_timeout)
        if answer == b"R\x01":
            header = self.read_exact(2, self.prompt_timeout)
            if header is None:
                raise DeviceNotResponding("%s announced raw-paste but no window size" % self.name)
            self._paste(data, struct.unpack("<H", header)[0])
            return True
        self.use_raw_paste = False
        if answer == b"R\x00":
            self.read_until(b">", self.prompt_timeout)  # firmware knows it, but refuses
        else:
            # firmware without raw-paste: the \x01 we sent reset the raw REPL
            self._rx[:0] = answer or b""
            if self.read_until(RAW_PROMPT, self.prompt_timeout) is None:
                raise DeviceNotResponding("%s answered neither raw-paste nor raw REPL"
                                          % self.name)
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
                elif flag == b"\x04":
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
