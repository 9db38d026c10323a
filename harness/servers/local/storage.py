"""What reaches the disk: quota and full-disk limits, the upload file, the account's view.

Stock pyftpdlib answers a full disk badly ("426 None", or no reply when the error
comes at close). Here an upload's file enforces the tightest storage limit itself,
and the data handler turns the errno into 552 (quota) or 452 (disk full).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pyftpdlib.filesystems import AbstractedFS

from harness.servers.local.owner import HandlerOwner

# Windows' errno module has no EDQUOT; 122 is its Linux value
EDQUOT: int = getattr(errno, "EDQUOT", 122)
ENOSPC: int = errno.ENOSPC

REPLY_QUOTA = "552 Quota exceeded; transfer aborted."
REPLY_DISK_FULL = "452 Insufficient storage space; transfer aborted."

HASH_BLOCK = 64 * 1024


@dataclass(frozen=True)
class StorageLimit:
    """A cap on what the home may hold in total, and how hitting it is reported."""

    total_bytes: int
    errno: int
    at_close: bool  # True: report when the file is closed, as a buffered write on a full disk


def sha256_file(path: str | os.PathLike[str]) -> tuple[str, int]:
    """(hex sha256, size) of a file, read in blocks so big files never sit in memory."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(HASH_BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def tree_size(root: str | os.PathLike[str]) -> int:
    """Bytes held by the regular files under root (symlinks are not followed)."""
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except FileNotFoundError:
                pass  # deleted while we walked
    return total


def errno_of(err: BaseException | None) -> int | None:
    """The errno of an error, looking through pyftpdlib's wrapper that drops it."""
    while err is not None:
        code = getattr(err, "errno", None)
        if code is not None:
            return int(code)
        err = err.__cause__
    return None


def storage_reply(err: BaseException) -> str:
    """The reply for a failed file write: 552, 452, or 451 with the system's words."""
    code = errno_of(err)
    if code == EDQUOT:
        return REPLY_QUOTA
    if code == ENOSPC:
        return REPLY_DISK_FULL
    why = os.strerror(code) if code is not None else "Local error"
    return f"451 {why}; transfer aborted."


class StorageLimits:
    """The account's quota (552 beyond it) and a simulated free disk space (452)."""

    def __init__(self, root: Path, quota_bytes: int | None = None) -> None:
        self.root = root
        self._quota: int | None = None
        self._disk: StorageLimit | None = None
        self.set_quota(quota_bytes)

    def set_quota(self, quota_bytes: int | None) -> None:
        """Cap the bytes the home may hold in total (None: no quota). Applies to new uploads."""
        if quota_bytes is not None and quota_bytes < 0:
            raise ValueError(f"quota_bytes must be >= 0 or None, got {quota_bytes}")
        self._quota = quota_bytes

    def set_disk_free(self, free_bytes: int | None, *, fail_at: str = "write") -> None:
        """Simulate a disk with only free_bytes left from now on (None: a normal disk).

        Space freed by deleting files becomes free again. fail_at="close" reports the
        full disk only when the upload is closed, as a buffered write on a real disk does.
        """
        if free_bytes is None:
            self._disk = None
            return
        if free_bytes < 0:
            raise ValueError(f"free_bytes must be >= 0 or None, got {free_bytes}")
        if fail_at not in ("write", "close"):
            raise ValueError(f"fail_at must be 'write' or 'close', got {fail_at!r}")
        self._disk = StorageLimit(tree_size(self.root) + free_bytes, ENOSPC, fail_at == "close")

    def upload_file(self, f: BinaryIO, resumed: bool) -> UploadFile:
        """Wrap a file opened for upload, under the tightest storage limit if any."""
        quota = None if self._quota is None else StorageLimit(self._quota, EDQUOT, False)
        limits = [limit for limit in (quota, self._disk) if limit is not None]
        if not limits:
            return UploadFile(f, resumed)
        others = tree_size(self.root) - os.fstat(f.fileno()).st_size
        # the limit that leaves the least room wins; on a tie the quota is reported
        limit = min(limits, key=lambda lim: (lim.total_bytes, lim.errno != EDQUOT))
        return UploadFile(f, resumed, limit, limit.total_bytes - others)


class UploadFile:
    """A file opened for an upload: remembers where it started, enforces a storage limit.

    With a limit, bytes up to it are written; the write that crosses it raises
    OSError(EDQUOT / ENOSPC), or, for a limit reported at close, the extra bytes are
    dropped and close() raises.
    """

    def __init__(
        self, raw: BinaryIO, resumed: bool, limit: StorageLimit | None = None, max_size: int = 0
    ) -> None:
        self._raw = raw
        self.resumed = resumed  # APPE or REST: the file held data before this upload
        self.start_size = os.fstat(raw.fileno()).st_size
        self._limit = limit
        self._max_size = max_size
        self._pending: OSError | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    @property
    def name(self) -> str:
        return str(self._raw.name)

    @property
    def closed(self) -> bool:
        return self._raw.closed

    def write(self, data: bytes) -> int:
        if self._limit is None:
            return self._raw.write(data)
        room = self._max_size - self._raw.tell()
        if len(data) <= room:
            return self._raw.write(data)
        if room > 0:
            self._raw.write(data[:room])
        err = OSError(self._limit.errno, os.strerror(self._limit.errno))
        if not self._limit.at_close:
            raise err
        self._pending = err
        return len(data)

    def close(self) -> None:
        if self._raw.closed:
            return
        self._raw.close()
        if self._pending is not None:
            err, self._pending = self._pending, None
            raise err


class HomeFS(AbstractedFS):
    """The account's filesystem view: applies limits to uploads and corruption to downloads."""

    owner: HandlerOwner  # the FtpServer, set on its per-server subclass

    def open(self, filename: str, mode: str) -> Any:
        f = super().open(filename, mode)
        if "r" in mode and "+" not in mode:
            return self.owner.reader_for(f)
        return self.owner.storage.upload_file(f, resumed="w" not in mode)

    def format_list(self, basedir: str, listing: list[str], ignore_err: bool = True
                    ) -> Iterator[bytes]:
        dialect = self.owner.dialect
        if dialect is None or dialect.list_style != "dos":
            yield from super().format_list(basedir, listing, ignore_err)
            return
        for name in listing:
            try:
                st = self.lstat(os.path.join(basedir, name))
            except OSError:
                if ignore_err:
                    continue
                raise
            yield dos_list_line(name, st).encode(self.cmd_channel.encoding,
                                                 self.cmd_channel.unicode_errors)

    def mkstemp(
        self, suffix: str = "", prefix: str = "", dir: str | None = None, mode: str = "wb"
    ) -> Any:
        f = super().mkstemp(suffix, prefix, dir, mode)
        return self.owner.storage.upload_file(f, resumed=False)


def dos_list_line(name: str, st: os.stat_result) -> str:
    """A LIST line as IIS writes it by default: '07-20-26  09:52AM       <DIR>          x'."""
    stamp = time.strftime("%m-%d-%y  %I:%M%p", time.localtime(st.st_mtime))
    middle = "       <DIR>         " if stat.S_ISDIR(st.st_mode) else "%21d" % st.st_size
    return "%s%s %s\r\n" % (stamp, middle, name)
