"""Faults the harness FTP server can inject, with their parameters.

A fault is a name plus parameters, checked here once so a typo in a test fails at
`inject_fault()` with a message naming the valid choices, not later as a server that
silently behaves normally. The server (server.py, data_handler.py) asks a `FaultSet`
which faults are active at the moment it needs to decide something.

    drop_data        after_bytes=0, on="both"       close the data connection after N bytes
    reply_421        message="..."                   greet new connections with 421, then close
    stall            after_bytes=0, on="both"       stop moving data after N bytes, keep it open
    throttle         bytes_per_second (required), on="both"   a slow link
    max_connections  limit (required)               the next control connection gets 421
    corrupt          mode="flip"|"truncate", on="served"|"stored"

`on` for data faults is "retr" (downloads), "stor" (uploads: STOR, APPE, STOU) or "both".
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, BinaryIO

DEFAULT_421_MESSAGE = "Service not available, closing control connection."

_REQUIRED = object()
_DIRECTIONS = ("retr", "stor", "both")

# name -> {param: default}; _REQUIRED marks a parameter without a default
_SPECS: dict[str, dict[str, Any]] = {
    "drop_data": {"after_bytes": 0, "on": "both"},
    "reply_421": {"message": DEFAULT_421_MESSAGE},
    "stall": {"after_bytes": 0, "on": "both"},
    "throttle": {"bytes_per_second": _REQUIRED, "on": "both"},
    "max_connections": {"limit": _REQUIRED},
    "corrupt": {"mode": "flip", "on": "served"},
}

_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("drop_data", "on"): _DIRECTIONS,
    ("stall", "on"): _DIRECTIONS,
    ("throttle", "on"): _DIRECTIONS,
    ("corrupt", "mode"): ("flip", "truncate"),
    ("corrupt", "on"): ("served", "stored"),
}

# smallest value each integer parameter accepts
_MINIMUM: dict[str, int] = {"after_bytes": 0, "bytes_per_second": 1, "limit": 0}

FAULT_NAMES: tuple[str, ...] = tuple(sorted(_SPECS))


@dataclass(frozen=True)
class Fault:
    """One injected fault: its name and its complete, checked parameters."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def applies_to(self, direction: str) -> bool:
        """True if this data fault acts on `direction` ("retr" or "stor")."""
        return self.params.get("on", "both") in ("both", direction)

    def describe(self) -> str:
        args = " ".join(f"{key}={value!r}" for key, value in sorted(self.params.items()))
        return f"{self.name} {args}".strip()


def make_fault(name: str, **params: Any) -> Fault:
    """Check `name` and `params` and fill in defaults; ValueError says what is valid."""
    spec = _SPECS.get(name)
    if spec is None:
        raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(FAULT_NAMES)}")
    unknown = sorted(set(params) - set(spec))
    if unknown:
        raise ValueError(
            f"fault {name!r} takes no parameter {', '.join(unknown)}; "
            f"its parameters are: {', '.join(spec) or 'none'}"
        )
    checked = {}
    for key, default in spec.items():
        value = params.get(key, default)
        if value is _REQUIRED:
            raise ValueError(f"fault {name!r} needs {key}=...")
        checked[key] = _check_value(name, key, value)
    return Fault(name, checked)


def _check_value(name: str, key: str, value: Any) -> Any:
    choices = _CHOICES.get((name, key))
    if choices is not None:
        if value not in choices:
            raise ValueError(f"fault {name!r}: {key}={value!r}; choose one of {choices}")
        return value
    if key in _MINIMUM:
        if isinstance(value, bool) or not isinstance(value, int) or value < _MINIMUM[key]:
            raise ValueError(
                f"fault {name!r}: {key} must be an integer >= {_MINIMUM[key]}, got {value!r}"
            )
        return value
    if not isinstance(value, str) or not value or "\r" in value or "\n" in value:
        raise ValueError(f"fault {name!r}: {key} must be a one-line string, got {value!r}")
    return value


class FaultSet:
    """The faults active on one server; shared by the test thread and the server thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}

    def inject(self, name: str, **params: Any) -> Fault:
        """Activate a fault (replacing one of the same name) until it is cleared."""
        fault = make_fault(name, **params)
        with self._lock:
            self._faults[name] = fault
        return fault

    def clear(self, *names: str) -> None:
        """Clear the named faults, or all of them when no name is given."""
        with self._lock:
            if not names:
                self._faults.clear()
            for name in names:
                self._faults.pop(name, None)

    def get(self, name: str) -> Fault | None:
        with self._lock:
            return self._faults.get(name)

    def active(self) -> list[Fault]:
        with self._lock:
            return [self._faults[name] for name in sorted(self._faults)]


# --- "corrupt": what a damaged file or a damaged download looks like


def corrupt_stored_file(path: str, mode: str) -> None:
    """Damage a file in place: flip its middle byte (XOR 0xFF) or cut its last byte."""
    size = os.path.getsize(path)
    if size == 0:
        return  # nothing to damage
    if mode == "truncate":
        os.truncate(path, size - 1)
        return
    with open(path, "r+b") as f:
        f.seek(size // 2)
        byte = f.read(1)
        f.seek(size // 2)
        f.write(bytes([byte[0] ^ 0xFF]))


class CorruptingReader:
    """A file opened for RETR that serves damaged bytes while the file stays intact.

    "flip" XORs the middle byte with 0xFF; "truncate" ends the data one byte early.
    It deliberately has no fileno(), so the server can never bypass it with sendfile().
    """

    def __init__(self, raw: BinaryIO, mode: str) -> None:
        self._raw = raw
        self.name = raw.name
        size = os.fstat(raw.fileno()).st_size
        self._flip_at = size // 2 if mode == "flip" and size else None
        self._end = size - 1 if mode == "truncate" and size else None

    @property
    def closed(self) -> bool:
        return self._raw.closed

    def read(self, size: int = -1) -> bytes:
        pos = self._raw.tell()
        if self._end is not None:
            left = max(0, self._end - pos)
            size = left if size < 0 else min(size, left)
        data = self._raw.read(size)
        if self._flip_at is not None and pos <= self._flip_at < pos + len(data):
            damaged = bytearray(data)
            damaged[self._flip_at - pos] ^= 0xFF
            data = bytes(damaged)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._raw.close()
