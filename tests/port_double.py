"""A serial port that vanishes on cue, raising exactly what pyserial raises.

`VanishingPort` wraps a real pyserial port (a pseudo-terminal to a virtual
module) with the same SerialPortLike surface. Told to vanish at the n-th call
of in_waiting, read or write once some bytes have been written, it raises from
then on what pyserial 3.5 raises for an unplugged USB port on Windows
(serial/serialwin32.py) or on POSIX (serial/serialposix.py).
"""

from __future__ import annotations

import errno
from collections.abc import Callable

import serial

WIN_DENIED = "PermissionError(13, 'Access is denied.', None, 5)"
WIN_GONE = "OSError(22, 'The device does not recognize the command.', None, 22)"

# os form -> call -> what pyserial raises there once the port has gone
FORMS: dict[str, dict[str, Callable[[], OSError]]] = {
    "windows": {
        # serialwin32.py: in_waiting and read both start with ClearCommError
        "in_waiting": lambda: serial.SerialException("ClearCommError failed (%s)" % WIN_DENIED),
        "read": lambda: serial.SerialException("ReadFile failed (%s)" % WIN_GONE),
        "write": lambda: serial.SerialException("WriteFile failed (%s)" % WIN_DENIED),
    },
    "posix": {
        # serialposix.py: in_waiting is a bare ioctl; read and write wrap os errors
        "in_waiting": lambda: OSError(errno.EIO, "Input/output error"),
        "read": lambda: serial.SerialException(
            "device reports readiness to read but returned no data "
            "(device disconnected or multiple access on port?)"),
        "write": lambda: serial.SerialException("write failed: [Errno 5] Input/output error"),
    },
}

# every other form pyserial has for a vanished port, for the guard's own test
MORE_FORMS: list[Callable[[], OSError]] = [
    lambda: serial.SerialException("ClearCommError failed (%s)" % WIN_GONE),
    lambda: serial.SerialException("GetOverlappedResult failed (%s)" % WIN_DENIED),
    lambda: serial.SerialTimeoutException("Write timeout"),
    lambda: PermissionError(13, "Access is denied."),
    lambda: OSError(22, "The device does not recognize the command."),
    lambda: serial.SerialException("read failed: [Errno 5] Input/output error"),
    lambda: serial.SerialException("write failed: [Errno 6] No such device or address"),
    lambda: OSError(errno.ENXIO, "No such device or address"),
    lambda: OSError(errno.ENODEV, "No such device"),
]


class VanishingPort:
    def __init__(self, real: serial.Serial, os_form: str) -> None:
        self.real = real
        self.form = FORMS[os_form]
        self.vanished = False
        self._method = ""
        self._after = b""
        self._armed = False
        self._calls = 0
        self._seen = b""

    def vanish_at(self, method: str, after: bytes = b"", calls: int = 1) -> None:
        """Vanish at the `calls`-th call of `method` once `after` has been written."""
        self._method, self._after, self._calls = method, after, calls
        self._armed = not after

    def _tick(self, method: str) -> None:
        if self.vanished:
            raise self.form[method]()
        if self._armed and method == self._method:
            self._calls -= 1
            if self._calls <= 0:
                self.vanished = True
                raise self.form[method]()

    @property
    def in_waiting(self) -> int:
        self._tick("in_waiting")
        return self.real.in_waiting

    def read(self, size: int = 1) -> bytes:
        self._tick("read")
        return self.real.read(size)

    def write(self, data: bytes) -> int | None:
        self._tick("write")
        written = self.real.write(data)
        if self._method and not self._armed:
            self._seen = (self._seen + bytes(data))[-(len(self._after) + 4096):]
            self._armed = self._after in self._seen
        return written

    def close(self) -> None:
        self.real.close()
