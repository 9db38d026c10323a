"""Payloads pushed over the link once per content: a cache on the module.

A payload given as bytes (a user's firmware image, a text file) lands in
/usr/hil/cache/<sha256[:16]> (harness/wire/layout.py). The next scenario with the
same bytes, in this run or a later one, finds it there by its sha256 and
nothing crosses the link again. The cache keeps to a quarter of /usr and
leaves room for the scenarios: when a new entry would not fit, older entries
go first (they are only copies).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from harness.deploy.zpush import push_compressed
from harness.errors import HarnessError
from harness.wire import snippets
from harness.wire.device import Device, sha256_bytes
from harness.wire.layout import CACHE_DIR, CACHE_NAME_CHARS
from harness.wire.progress import PushProgress

ROOM_TO_SPARE = 64 * 1024  # /usr left free after a new entry, for the scenarios' own files
CACHE_SHARE = 4  # the cache keeps to a quarter of /usr: the scenarios need the rest


class PayloadCache:
    """The module's payload cache, as one process sees it."""

    def __init__(self, device: Device, write: Callable[[str], None] | None = None) -> None:
        self.device = device
        self.write = write  # where a long push's progress lines go (None: nowhere)
        # entries verified on the module during this run, least recently used first
        self.known: dict[str, None] = {}
        self.pushed_bytes = 0

    def path_of(self, data: bytes) -> str:
        return posixpath.join(CACHE_DIR, sha256_bytes(data)[:CACHE_NAME_CHARS])

    def put(self, data: bytes, label: str = "payload") -> tuple[str, bool]:
        """(path on the module holding `data`, whether it had to be pushed now)."""
        path = self.path_of(data)
        if path in self.known:
            self.known[path] = self.known.pop(path)  # used again: the last to go
            return path, False
        expected = (sha256_bytes(data), len(data))
        if self.device.file_hash(path) == expected:
            self.known[path] = None
            return path, False
        self.device.makedirs(CACHE_DIR)
        self._make_room(len(data))
        self.device.push_progress = PushProgress(self.write, label) if self.write else None
        try:
            push_compressed(self.device, data, path)  # text goes compressed, the rest as is
        except HarnessError:
            self.device.remove(path)  # no half-pushed entry under a content name
            raise
        finally:
            self.device.push_progress = None
        self.known[path] = None
        self.pushed_bytes += len(data)
        return path, True

    def _make_room(self, size: int) -> None:
        """Remove entries, older runs' first, then this run's least recently used,
        until `size` fits in /usr with room to spare and in the cache's share of /usr."""
        free, total = self.device.statvfs()
        entries = {posixpath.join(CACHE_DIR, name): held for name, held in self.device.eval_json(
            snippets.CACHE_SIZES.fill(CACHE_DIR, CACHE_DIR), setup=snippets.IMPORT_UOS.source)}
        held = sum(entries.values())
        order = [p for p in entries if p not in self.known] + \
            [p for p in self.known if p in entries]
        for path in order:
            if free >= size + ROOM_TO_SPARE and held + size <= total // CACHE_SHARE:
                return
            self.device.remove(path)
            self.known.pop(path, None)
            free += entries[path]
            held -= entries[path]
