"""The local server's home: one folder per run, gone when the run ends, swept if it was not.

    folder = RunFolder.create()       # <tempdir>/qpy-ftp-hil-servers/<when>-<pid>-<random>
    ...FtpServer(folder.path)...
    folder.remove()                   # the session's end: the files and the folder go

A run stopped before its clean-up (a second Ctrl-C, a killed process) leaves its
folder behind. Each folder is held by a lock file next to it for the life of its
run; the OS lets go of the lock when the process ends, however it ends, so the
next run's sweep() removes exactly the folders whose run has ended, and never one
another run (another xdist worker, another pytest on this PC) is still using.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from filelock import FileLock, Timeout

SERVERS_DIR_ENV = "QPY_HIL_SERVER_DIR"  # moves the folder the runs' homes live in
_NAME = re.compile(r"^\d{8}-\d{6}-\d+-[0-9a-f]{6}$")


def default_base() -> Path:
    return Path(os.environ.get(SERVERS_DIR_ENV)
                or Path(tempfile.gettempdir(), "qpy-ftp-hil-servers"))


def _lock_of(folder: Path) -> FileLock:
    # not thread-local: the session's end may run in another thread than its start
    return FileLock(str(folder.with_name(folder.name + ".lock")), thread_local=False)


class RunFolder:
    """A run's server home, held by this process until remove()."""

    def __init__(self, path: Path, lock: FileLock) -> None:
        self.path = path
        self._lock = lock

    @classmethod
    def create(cls, base: Path | None = None) -> RunFolder:
        base = base or default_base()
        base.mkdir(parents=True, exist_ok=True)
        name = "%s-%d-%s" % (time.strftime("%Y%m%d-%H%M%S"), os.getpid(), secrets.token_hex(3))
        path = base / name
        lock = _lock_of(path)
        lock.acquire(timeout=0)  # a fresh name: nobody else holds it
        path.mkdir()
        return cls(path, lock)

    def remove(self) -> None:
        """The folder and what it holds go, then the lock; safe to call twice."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock.is_locked:
            self._lock.release()
            Path(self._lock.lock_file).unlink(missing_ok=True)


def sweep(base: Path | None = None) -> list[Path]:
    """Remove the run folders whose run has ended (their lock is free); the ones removed."""
    base = base or default_base()
    if not base.is_dir():
        return []
    removed = []
    for path in sorted(base.iterdir()):
        if not (_NAME.match(path.name) and path.is_dir()):
            continue
        lock = _lock_of(path)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue  # its run is still going
        try:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            lock.release()
            Path(lock.lock_file).unlink(missing_ok=True)
    return removed
