"""The module's filesystem, rooted in a host folder.

Virtual paths look like the module's (`/usr/hil/x.py`, `usr/x.txt` from `/`).
`/usr` is the only writable partition and has a fixed size: a write that
would need more blocks than are free raises OSError(28), as littlefs does.
`/bak` is read-only and `/` is not writable.

Names and text are the firmware's str (firmware_text.py): without unicode a name's bytes
are the host file's name, as littlefs keeps the bytes it is given (extmod/vfs_lfsx.c:179
takes a path's bytes, :300 gives a name's back as a str), and a text-mode file reads and
writes bytes.
"""

from __future__ import annotations

import errno
import os
import posixpath
from pathlib import Path
from typing import Any

from .firmware_text import FirmwareText

WRITABLE_PARTITION = "/usr"


def device_oserror(code: int) -> OSError:
    """An OSError shaped like MicroPython's: a single errno argument."""
    return OSError(code)


class DeviceFs:
    def __init__(self, root: Path, usr_bytes: int, block_size: int = 4096,
                 text: FirmwareText | None = None) -> None:
        self.root = root
        self.text = text or FirmwareText(unicode=False)
        self.usr_bytes = usr_bytes
        self.block_size = block_size
        self.cwd = "/"
        for part in ("usr", "bak"):
            (root / part).mkdir(parents=True, exist_ok=True)

    # -- paths -------------------------------------------------------------

    def virtual(self, path: str) -> str:
        """Absolute, normalised virtual path; never above `/`."""
        if not isinstance(path, str):
            raise TypeError("can't convert %s to str" % type(path).__name__)
        joined = posixpath.join(self.cwd, path) if not path.startswith("/") else path
        norm = posixpath.normpath(joined)
        if norm.startswith("//"):
            norm = norm[1:]
        return norm

    def host(self, path: str) -> Path:
        vpath = self.virtual(path)
        return self.root / self.text.host_name(vpath.lstrip("/"))

    def is_writable(self, path: str) -> bool:
        vpath = self.virtual(path)
        return vpath == WRITABLE_PARTITION or vpath.startswith(WRITABLE_PARTITION + "/")

    def require_writable(self, path: str) -> None:
        if not self.is_writable(path):
            raise device_oserror(errno.EROFS if path.startswith("/bak") else errno.EACCES)

    # -- space accounting --------------------------------------------------

    def _blocks(self, size: int) -> int:
        return (size + self.block_size - 1) // self.block_size

    def used_blocks(self) -> int:
        used = 0
        for dirpath, dirnames, filenames in os.walk(self.root / "usr"):
            used += len(dirnames)  # littlefs spends a block pair per folder; one is close enough
            for name in filenames:
                try:
                    used += self._blocks(os.path.getsize(os.path.join(dirpath, name)))
                except OSError:
                    pass
        return used

    def total_blocks(self) -> int:
        return self.usr_bytes // self.block_size

    def free_blocks(self) -> int:
        return max(0, self.total_blocks() - self.used_blocks())

    def check_growth(self, old_size: int, new_size: int) -> None:
        """Raise ENOSPC if growing a file from old_size to new_size does not fit."""
        extra = self._blocks(new_size) - self._blocks(old_size)
        if extra > 0 and extra > self.free_blocks():
            raise device_oserror(errno.ENOSPC)

    # -- operations (each maps host errors to MicroPython-style OSError) ---

    def open(self, path: str, mode: str = "r", *args: Any, **kwargs: Any) -> DeviceFile:
        if not isinstance(mode, str):
            raise TypeError("mode must be str")
        writing = any(flag in mode for flag in "wax+")
        if writing:
            self.require_writable(path)
        host = self.host(path)
        if "b" not in mode and not args and "encoding" not in kwargs:
            kwargs["encoding"] = self.text.file_encoding  # a text file's str is its bytes
        try:
            raw = open(host, mode, *args, **kwargs)  # noqa: SIM115
        except OSError as exc:
            raise device_oserror(exc.errno or errno.EIO) from None
        return DeviceFile(raw, self, writing, "b" in mode)

    def listdir(self, path: str = "") -> list[str]:
        try:
            return sorted(self.text.device_name(name)
                          for name in os.listdir(self.host(path or self.cwd)))
        except OSError as exc:
            raise device_oserror(exc.errno or errno.EIO) from None

    def stat(self, path: str) -> tuple[int, ...]:
        try:
            st = os.stat(self.host(path))
        except OSError as exc:
            raise device_oserror(exc.errno or errno.EIO) from None
        mode = 0x4000 if os.path.isdir(self.host(path)) else 0x8000
        return (mode, 0, 0, 0, 0, 0, st.st_size, int(st.st_atime), int(st.st_mtime),
                int(st.st_ctime))

    def _host_call(self, func, *paths: str) -> None:
        for path in paths:
            self.require_writable(path)
        try:
            func(*(self.host(p) for p in paths))
        except OSError as exc:
            raise device_oserror(exc.errno or errno.EIO) from None

    def remove(self, path: str) -> None:
        if os.path.isdir(self.host(path)):
            raise device_oserror(errno.EISDIR)
        self._host_call(os.remove, path)

    def mkdir(self, path: str) -> None:
        self.check_growth(0, 1)
        self._host_call(os.mkdir, path)

    def rmdir(self, path: str) -> None:
        self._host_call(os.rmdir, path)

    def rename(self, old: str, new: str) -> None:
        self._host_call(os.rename, old, new)

    def chdir(self, path: str) -> None:
        vpath = self.virtual(path)
        if not self.host(vpath).is_dir():
            raise device_oserror(errno.ENOENT)
        self.cwd = vpath

    def statvfs(self, path: str = "/usr") -> tuple[int, ...]:
        free = self.free_blocks()
        bs = self.block_size
        return (bs, bs, self.total_blocks(), free, free, 0, 0, 0, 0, 255)


class DeviceFile:
    """A file on the module: checks every write against the free space."""

    def __init__(self, raw, fs: DeviceFs, writable: bool, binary: bool = False) -> None:
        self._raw = raw
        self._fs = fs
        self._writable = writable
        self._binary = binary

    def write(self, data) -> int:
        if not self._writable:
            raise device_oserror(errno.EBADF)
        # the size on disk, with this file's earlier writes in it: without the flush every
        # write of a buffered file looked like growth, and walked /usr to count free blocks
        self._raw.flush()
        pos = self._raw.tell()
        size = os.fstat(self._raw.fileno()).st_size
        if isinstance(data, str) and self._binary:
            data = self._fs.text.bytes_of(data)  # a str's buffer is its bytes (objstr.c:1931)
        encoded = len(self._fs.text.bytes_of(data)) if isinstance(data, str) else len(data)
        self._fs.check_growth(size, max(size, pos + encoded))
        return self._raw.write(data)

    def read(self, size: int = -1):
        return self._raw.read(size)

    def readinto(self, buf) -> int:
        return self._raw.readinto(buf)

    def readline(self, size: int = -1):
        return self._raw.readline(size)

    def readlines(self):
        return self._raw.readlines()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def flush(self) -> None:
        self._raw.flush()

    def close(self) -> None:
        self._raw.close()

    def __iter__(self):
        return iter(self._raw)

    def __enter__(self) -> DeviceFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
