"""Every byte to and from the module, timestamped, with secrets masked.

`LoggedPort` wraps a pyserial port; `SerialLog` keeps the bytes so a test can
take the slice that belongs to it (`mark()` then `text(since=mark)`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

TX, RX = ">>", "<<"


class SerialPortLike(Protocol):
    """The part of pyserial's Serial that the harness uses."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def close(self) -> None: ...


@dataclass
class LogEntry:
    time: float
    direction: str
    data: bytes


class SerialLog:
    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self._secrets: list[bytes] = []
        self._lock = threading.Lock()
        self.started = time.time()

    def add_secret(self, secret: str) -> None:
        """Never show this string: passwords travel inside code sent to the module."""
        if secret and secret.encode() not in self._secrets:
            self._secrets.append(secret.encode())

    def record(self, direction: str, data: bytes) -> None:
        if data:
            with self._lock:
                self.entries.append(LogEntry(time.time(), direction, data))

    def mark(self) -> int:
        return len(self.entries)

    def _mask(self, data: bytes) -> bytes:
        for secret in self._secrets:
            data = data.replace(secret, b"****")
        return data

    def raw(self, since: int = 0, direction: str | None = None) -> bytes:
        with self._lock:
            chunks = [e.data for e in self.entries[since:]
                      if direction is None or e.direction == direction]
        return self._mask(b"".join(chunks))

    def text(self, since: int = 0, max_chars: int | None = None) -> str:
        """One line per burst: time since the log began, direction, escaped bytes.

        With max_chars, the middle of a long log is cut (a 1 MiB push is
        megabytes of base64 that nobody reads); the start and end are kept.
        """
        lines = []
        with self._lock:
            entries = list(self.entries[since:])
        for entry in _merge_bursts(entries):
            shown = self._mask(entry.data).decode("latin-1").encode("unicode_escape").decode()
            lines.append("%9.3f %s %s" % (entry.time - self.started, entry.direction, shown))
        text = "\n".join(lines)
        if max_chars is not None and len(text) > max_chars:
            half = max_chars // 2
            text = "%s\n... [%d characters cut] ...\n%s" % (
                text[:half], len(text) - 2 * half, text[-half:])
        return text


def _merge_bursts(entries: list[LogEntry], gap: float = 0.02) -> list[LogEntry]:
    """Join consecutive same-direction reads so a log line is a message, not a byte."""
    merged: list[LogEntry] = []
    for entry in entries:
        last = merged[-1] if merged else None
        if last and last.direction == entry.direction and entry.time - last.time < gap \
                and b"\n" not in last.data[-1:]:
            merged[-1] = LogEntry(last.time, last.direction, last.data + entry.data)
        else:
            merged.append(LogEntry(entry.time, entry.direction, entry.data))
    return merged


class LoggedPort:
    """A pyserial port whose every read and write lands in a SerialLog."""

    def __init__(self, port: SerialPortLike, log: SerialLog) -> None:
        self.port = port
        self.log = log

    @property
    def in_waiting(self) -> int:
        return self.port.in_waiting

    def read(self, size: int = 1) -> bytes:
        data = self.port.read(size)
        self.log.record(RX, data)
        return data

    def write(self, data: bytes) -> int | None:
        self.log.record(TX, data)
        return self.port.write(data)

    def close(self) -> None:
        self.port.close()
