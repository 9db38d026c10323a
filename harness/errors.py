"""The harness's own errors: each message says what happened and what to check."""

from __future__ import annotations


class HarnessError(Exception):
    """Base of every error the harness raises on purpose."""


class NotApplicable(HarnessError):
    """A scenario cannot run on this module or server as it is; the message says why
    (the pytest side skips it with that reason: fixtures/scenario.py)."""


class DeviceNotFound(HarnessError):
    """The serial port could not be opened at all."""


class DeviceBusy(DeviceNotFound):
    """Someone else has the port: its RFC 2217 exporter serves another client."""


class DeviceNotResponding(HarnessError):
    """The port opened but no raw REPL prompt came back."""


class ReplRefused(DeviceNotResponding):
    """The application disabled the REPL ("REPL refuse")."""


class DeviceTimeout(HarnessError):
    """Code on the module ran past its timeout."""


class DeviceDisconnected(HarnessError):
    """The port went away (USB unplugged, module reset) in the middle of a step."""


class DeviceExecError(HarnessError):
    """Code sent to the module raised; `device_traceback` is what it printed."""

    def __init__(self, message: str, device_traceback: str) -> None:
        super().__init__(message)
        self.device_traceback = device_traceback

    @property
    def exception_line(self) -> str:
        return self.last_line(self.device_traceback)

    @staticmethod
    def last_line(device_traceback: str) -> str:
        """The exception line of what the module printed ('' if it printed nothing)."""
        lines = [line for line in device_traceback.strip().splitlines() if line.strip()]
        return lines[-1] if lines else ""


class PushVerifyError(HarnessError):
    """A file pushed to the module does not hash to what was sent."""


class ResultError(HarnessError):
    """A device step printed no result line, several, or one that is not JSON."""


class DeviceRebooted(HarnessError):
    """The module rebooted in the middle of a step (watchdog, crash, power)."""
