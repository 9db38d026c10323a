"""Every byte to and from the module, timestamped, with secrets masked.

`LoggedPort` wraps a pyserial port; `SerialLog` keeps the bytes so a test can
take the slice that belongs to it (`mark()` then `text(since=mark)`); older
slices live in a spill file on disk, not in memory.
"""

from __future__ import annotations

import os
import struct
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import BinaryIO, Protocol

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
    """Every byte of a session; only the bytes since the last mark stay in memory.

    `mark()` (one per test) moves what came before it to a spill file on disk,
    and so does a burst that passes `memory_limit` bytes, so a night of 1 MiB
    scenarios keeps the host's memory flat. Reading an old slice reads it back
    from the file.
    """

    def __init__(self, memory_limit: int = 4 * 1024 * 1024) -> None:
        self.entries: list[LogEntry] = []  # the newest, not yet spilled
        self._base = 0  # absolute index of entries[0]
        self._in_memory = 0  # bytes held in entries
        self._memory_limit = memory_limit
        self._spill: BinaryIO | None = None
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
                self.entries.append(LogEntry(time.time(), direction, bytes(data)))
                self._in_memory += len(data)
                if self._in_memory > self._memory_limit:
                    self._spill_all()

    def mark(self) -> int:
        """Where the next test's slice begins; what came before goes to disk."""
        with self._lock:
            self._spill_all()
            return self._base

    @property
    def count(self) -> int:
        """Entries recorded so far (spilled or not)."""
        return self._base + len(self.entries)

    @property
    def bytes_in_memory(self) -> int:
        return self._in_memory

    def _spill_all(self) -> None:
        if not self.entries:
            return
        if self._spill is None:
            self._spill = tempfile.TemporaryFile(prefix="qpy-serial-")
        self._spill.seek(0, os.SEEK_END)
        for entry in self.entries:
            direction = 0 if entry.direction == TX else 1
            self._spill.write(_FRAME.pack(entry.time, direction, len(entry.data)) + entry.data)
        self._base += len(self.entries)
        self.entries = []
        self._in_memory = 0

    def _entries_since(self, since: int) -> list[LogEntry]:
        with self._lock:
            if since >= self._base:
                return list(self.entries[since - self._base:])
            return self._read_spilled(since) + list(self.entries)

    def _read_spilled(self, since: int) -> list[LogEntry]:
        found: list[LogEntry] = []
        if self._spill is None:
            return found
        self._spill.seek(0)
        index = 0
        while index < self._base:
            head = self._spill.read(_FRAME.size)
            stamp, direction, size = _FRAME.unpack(head)
            if index >= since:
                found.append(LogEntry(stamp, TX if direction == 0 else RX,
                                      self._spill.read(size)))
            else:
                self._spill.seek(size, os.SEEK_CUR)
            index += 1
        return found

    def close(self) -> None:
        """Drop the spill file (a temporary file: gone with the process anyway)."""
        with self._lock:
            if self._spill is not None:
                self._spill.close()
                self._spill = None

    def _mask(self, data: bytes) -> bytes:
        for secret in self._secrets:
            data = data.replace(secret, b"****")
        return data

    def raw(self, since: int = 0, direction: str | None = None) -> bytes:
        chunks = [e.data for e in self._entries_since(since)
                  if direction is None or e.direction == direction]
        return self._mask(b"".join(chunks))

    def text(self, since: int = 0, max_chars: int | None = None) -> str:
        """One line per burst: time since the log began, direction, escaped bytes.

        With max_chars, the middle of a long log is cut (a 1 MiB push is
        megabytes of base64 that nobody reads); the start and end are kept.
        """
        lines = []
        for entry in _merge_bursts(self._entries_since(since)):
            shown = self._mask(entry.data).decode("latin-1").encode("unicode_escape").decode()
            lines.append("%9.3f %s %s" % (entry.time - self.started, entry.direction, shown))
        text = "\n".join(lines)
        if max_chars is not None and len(text) > max_chars:
            half = max_chars // 2
            text = "%s\n... [%d characters cut] ...\n%s" % (
                text[:half], len(text) - 2 * half, text[-half:])
        return text


_FRAME = struct.Struct("<dBI")  # time, direction (0 = to the module), length; then the bytes


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
