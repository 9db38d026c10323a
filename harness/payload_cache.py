"""Payloads pushed over the link once per content: a cache on the module.

A payload given as bytes (a user's firmware image, a text file) lands in
/usr/hil/cache/<sha256[:16]> (harness/layout.py). The next scenario with the
same bytes, in this run or a later one, finds it there by its sha256 and
nothing crosses the link again. When /usr is short of room for a new entry,
the older entries are removed first (they are only copies).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from .device import Device, sha256_bytes
from .errors import HarnessError
from .layout import CACHE_DIR, CACHE_NAME_CHARS
from .progress import PushProgress
from .zpush import push_compressed

ROOM_TO_SPARE = 64 * 1024  # /usr left free after a new entry, for the scenarios' own files


class PayloadCache:
    """The module's payload cache, as one process sees it."""

    def __init__(self, device: Device, write: Callable[[str], None] | None = None) -> None:
        self.device = device
        self.write = write  # where a long push's progress lines go (None: nowhere)
        self.known: set[str] = set()  # entries verified on the module during this run
        self.pushed_bytes = 0

    def path_of(self, data: bytes) -> str:
        return posixpath.join(CACHE_DIR, sha256_bytes(data)[:CACHE_NAME_CHARS])

    def put(self, data: bytes, label: str = "payload") -> tuple[str, bool]:
        """(path on the module holding `data`, whether it had to be pushed now)."""
        path = self.path_of(data)
        if path in self.known:
            return path, False
        expected = (sha256_bytes(data), len(data))
        if self.device.file_hash(path) == expected:
            self.known.add(path)
            return path, False
        self.device.makedirs(CACHE_DIR)
        self._make_room(len(data), keep=path)
        self.device.push_progress = PushProgress(self.write, label) if self.write else None
        try:
            push_compressed(self.device, data, path)  # text goes compressed, the rest as is
        except HarnessError:
            self.device.remove(path)  # no half-pushed entry under a content name
            raise
        finally:
            self.device.push_progress = None
        self.known.add(path)
        self.pushed_bytes += len(data)
        return path, True

    def _make_room(self, size: int, keep: str) -> None:
        """Remove other entries, older runs' first, until `size` fits with room to spare."""
        free, _total = self.device.statvfs()
        if free >= size + ROOM_TO_SPARE:
            return
        names = self.device.listdir(CACHE_DIR)
        others = [posixpath.join(CACHE_DIR, n) for n in names]
        others.sort(key=lambda p: p in self.known)  # this run's entries last
        for path in others:
            if path == keep:
                continue
            self.device.remove(path)
            self.known.discard(path)
            free, _total = self.device.statvfs()
            if free >= size + ROOM_TO_SPARE:
                return
