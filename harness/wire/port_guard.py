"""The one door between the harness and pyserial: a vanished port becomes DeviceDisconnected.

A USB serial port that is unplugged, powered down or re-enumerated makes
pyserial raise from whichever call comes next, in a different form on each OS
(pyserial 3.5, serial/serialwin32.py and serial/serialposix.py):

- Windows: SerialException("ClearCommError failed (PermissionError(13, 'Access
  is denied.', None, 5))") from in_waiting and read; "ReadFile failed (...)",
  "GetOverlappedResult failed (...)" from read; "WriteFile failed (...)" or
  SerialTimeoutException("Write timeout") from write (the WinError inside is
  PermissionError(13, ...) or OSError(22, ...)).
- POSIX: OSError(EIO) straight from the TIOCINQ ioctl of in_waiting;
  SerialException("read failed: [Errno 5] ...") or "device reports readiness
  to read but returned no data (device disconnected or multiple access on
  port?)" from read; SerialException("write failed: [Errno 5|6|19] ...") from
  write (EIO, ENXIO, ENODEV).

SerialException is an OSError (IOError) in pyserial, so catching OSError here
catches every one of them. Every in_waiting, read and write of RawRepl goes
through GuardedPort, so no stage (entering raw REPL, raw-paste, a binary push,
a running step, clean-up) can let a raw pyserial error escape; once the port
has gone, every later call fails at once with the same reason, so nothing
waits a second time on a dead port.
"""

from __future__ import annotations

from harness.errors import DeviceDisconnected
from harness.wire.serial_log import SerialPortLike


class GuardedPort:
    """A SerialPortLike whose errors all mean one thing: the port went away."""

    def __init__(self, port: SerialPortLike, name: str) -> None:
        self.inner = port
        self.name = name
        self.lost: str | None = None  # why the port went away, once it has

    def _gone(self, exc: OSError) -> DeviceDisconnected:
        self.lost = ("%s went away (%s: %s): was the module unplugged, powered down or "
                     "reset? Check the cable and that the port still exists"
                     % (self.name, type(exc).__name__, exc))
        return DeviceDisconnected(self.lost)

    def _check(self) -> None:
        if self.lost:
            raise DeviceDisconnected(self.lost)

    @property
    def in_waiting(self) -> int:
        self._check()
        try:
            return self.inner.in_waiting
        except OSError as exc:  # SerialException is an OSError too
            raise self._gone(exc) from None

    def read(self, size: int = 1) -> bytes:
        self._check()
        try:
            return self.inner.read(size)
        except OSError as exc:
            raise self._gone(exc) from None

    def write(self, data: bytes) -> int | None:
        self._check()
        try:
            return self.inner.write(data)
        except OSError as exc:
            raise self._gone(exc) from None

    def close(self) -> None:
        """Close; a port that is already gone has nothing more to say."""
        try:
            self.inner.close()
        except OSError:
            pass
