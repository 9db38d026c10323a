"""Who holds a module: a lock file per port, and pyserial's exclusive lock beside it.

The lock files live in one well-known folder (<tempdir>/qpy-ftp-hil-locks, or
QPY_HIL_LOCK_DIR), one per physical port whatever the --device value calls it
(resolve.py, harness/ports/key.py), so two workers, two runs on this PC, or a
run using COM5 and one using usb:SERIAL never share a module. On a local POSIX
port pyserial's exclusive flock is taken too, so other tools honouring it
(miniterm --exclusive, picocom) stay out as well. A lock is released by the OS
when its process dies: a crashed run never leaves a module locked. Whoever finds
a module busy is told who holds it (lock_owner.py).
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import serial
from filelock import FileLock, Timeout

from harness.bench.lock_owner import forget_owner, read_owner, write_owner
from harness.bench.resolve import port_of
from harness.errors import HarnessError
from harness.ports.key import lock_file_name, port_key

LOCK_DIR_ENV = "QPY_HIL_LOCK_DIR"  # overrides the well-known lock folder
BUSY_POLL = 0.25  # seconds between looks at busy modules while waiting for one


class ModuleBusy(HarnessError):
    """Another worker, run or program holds the module."""


def default_lock_dir() -> Path:
    return Path(os.environ.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir(), "qpy-ftp-hil-locks"))


def lock_name(port: str) -> str:
    """One file name per physical port: by-id links, COM5/com5/\\\\.\\COM5 and URL options
    fold (harness/ports/key.py); never dependent on the current folder or the port's state."""
    return lock_file_name(port)


class ModuleLock:
    """Holds one module against other workers, runs and tools; never blocks."""

    def __init__(self, port: str, lock_dir: Path | None = None) -> None:
        self.port = port
        # usb:SERIAL / hwgrep:// lock the port they stand for today, so a run
        # using COM5 and one using usb:SERIAL never share the module
        self.target = port_of(port)
        self.key = port_key(self.target)  # [bench PC] COM5 == com5 == \\.\COM5
        self.path = (lock_dir or default_lock_dir()) / lock_name(self.target)
        # not thread-local: a lock taken in one thread may be released in another
        self._file_lock = FileLock(str(self.path), thread_local=False)
        self._guard: serial.SerialBase | None = None

    @property
    def held(self) -> bool:
        return self._file_lock.is_locked

    def acquire(self) -> None:
        """Take the module now, or raise ModuleBusy saying who has it."""
        _make_shared_dir(self.path.parent)
        try:
            self._file_lock.acquire(timeout=0)
        except Timeout:
            owner = read_owner(self.path)  # who holds it, if it said
            raise ModuleBusy("%s is in use by another pytest worker or run on this PC%s "
                             "(lock file %s); wait for it or use another module"
                             % (self._shown(), ": " + owner if owner else "",
                                self.path)) from None
        try:
            self._guard = _exclusive_guard(self.target)
        except ModuleBusy:
            self._file_lock.release()
            raise
        write_owner(self.path, self.key)  # for whoever finds it busy

    def _shown(self) -> str:
        return self.port if self.key == self.port else "%s (%s)" % (self.port, self.key)

    def release(self) -> None:
        if self._guard is not None:
            self._guard.close()
            self._guard = None
        if self._file_lock.is_locked:
            forget_owner(self.path)  # before the lock goes: nobody reads a stale note
            self._file_lock.release()


def _make_shared_dir(folder: Path) -> None:
    if folder.is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True)
    try:
        folder.chmod(0o1777)  # like /tmp: every user of the bench PC can lock a port
    except OSError:
        pass


def _exclusive_guard(port: str) -> serial.SerialBase | None:
    """pyserial's exclusive flock on a local POSIX port; None where it does not apply.

    Windows opens COM ports exclusively anyway, and a URL is not a local file.
    The guard never reads: the Device opens the port again for the traffic.
    """
    if os.name != "posix" or "://" in port:
        return None
    try:
        return serial.Serial(port, baudrate=115200, exclusive=True)
    except serial.SerialException as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            raise ModuleBusy("%s is held exclusively by another program (a terminal, "
                             "QPYcom, another harness); close it" % port) from None
        return None  # cannot open at all: Device.open explains that in its own words
