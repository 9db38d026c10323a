"""Which Quectel port answers a raw REPL: `python -m harness ports --probe`.

Probing never disturbs a port another program holds: on POSIX the port is
opened with pyserial's exclusive lock, which fails with EBUSY/EAGAIN when a
terminal (or another run) holds it; on Windows a held COM port cannot be
opened at all (access denied). Either way the port is reported "busy" and
left alone. A port that answers is put back in the friendly REPL (Ctrl-B).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from dataclasses import dataclass

import serial

from harness.errors import HarnessError
from harness.ports.listing import PortFacts
from harness.wire.repl import RawRepl

PROBE_TIMEOUT = 1.0  # seconds to wait for a raw REPL prompt on each port
BUSY_ERRNOS = (errno.EBUSY, errno.EAGAIN, errno.EWOULDBLOCK)


@dataclass(frozen=True)
class ProbeResult:
    device: str
    state: str  # "repl", "no repl", "busy", "cannot open"
    detail: str = ""

    def line(self) -> str:
        return "%s: %s%s" % (self.device, self.state, " (%s)" % self.detail if self.detail else "")


def probe(device: str, timeout: float = PROBE_TIMEOUT) -> ProbeResult:
    """Does this port answer a raw REPL? Leaves a held port alone, and the module
    in its friendly REPL."""
    try:
        port = _open_exclusive(device)
    except _Busy as exc:
        return ProbeResult(device, "busy", "held by another program: %s" % exc)
    except (serial.SerialException, OSError, ValueError) as exc:
        return ProbeResult(device, "cannot open", str(exc))
    repl = RawRepl(port, device, prompt_timeout=timeout)
    try:
        repl.enter_raw(tries=1)  # one try: no soft reboot of a module we only look at
    except HarnessError as exc:
        return ProbeResult(device, "no repl", str(exc).split(";")[0])
    else:
        try:
            repl.exit_raw()
        except HarnessError:
            pass
        return ProbeResult(device, "repl", "raw REPL answered")
    finally:
        port.close()


class _Busy(Exception):
    """Another program holds the port."""


def _open_exclusive(device: str) -> serial.Serial:
    try:
        # exclusive: pyserial's flock on POSIX; Windows opens COM ports exclusively anyway
        return serial.Serial(device, baudrate=115200, timeout=0.05, write_timeout=2,
                             exclusive=True if os.name == "posix" else None)
    except serial.SerialException as exc:
        if _held_elsewhere(exc):
            raise _Busy(str(exc)) from None
        raise


def _held_elsewhere(exc: serial.SerialException) -> bool:
    """POSIX: EBUSY (TIOCEXCL) or a failed flock; Windows: access denied (held)."""
    text = str(exc)
    if exc.errno in BUSY_ERRNOS or "exclusively lock" in text:
        return True
    # on POSIX "permission denied" means not in the dialout group, not busy
    return os.name == "nt" and ("Access is denied" in text or "PermissionError" in text)


def probe_quectel(ports: Sequence[PortFacts], timeout: float = PROBE_TIMEOUT) -> list[ProbeResult]:
    """Probe each Quectel port, one after the other (they share one module)."""
    return [probe(p.device, timeout) for p in ports if p.quectel]


