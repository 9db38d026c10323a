"""Turns on a server the run only attaches to: an active-mode session runs alone.

Stock pyftpdlib (2.2, and the versions before it) loses a connection when an
active-mode (PORT) client of the same server ends its transfer at the wrong
moment: it unregisters a recycled file descriptor, and another client's control
connection or PASV listener silently leaves its IOLoop until a 30 s timeout
(pyftpdlib PR #657; tests/test_active_mode_neighbours.py shows it). Our own
server has the fix (local/data_handler.py ActiveConnector); a server the harness
only attaches to cannot be fixed from here, so the workers of one run take turns
on it: everything else shares the server, an active-mode scenario has it alone.

Two kinds of file lock (filelock: released by the OS if a worker dies), in a
folder every worker of the run sees:

    gate.lock        taken by an exclusive holder for its whole turn; a sharer
                     passes through it, so a waiting exclusive turn is not starved
    <worker>.lock    held by that worker while it shares the server

Knows nothing of pytest.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from harness.deadline import bounded
from harness.errors import HarnessError

TURN_TIMEOUT = 240.0  # seconds: one scenario of every other worker, under pytest-timeout's 300


class TurnTimeout(HarnessError):
    """Another worker kept the attached server longer than a turn may last."""


class ServerTurns:
    """Shared and exclusive turns of the workers `workers` on one attached server."""

    def __init__(self, folder: Path, me: str, workers: Sequence[str],
                 timeout: float = TURN_TIMEOUT, what: str = "the FTP server") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.me = me
        self.timeout = timeout
        self.what = what
        self._gate = FileLock(str(folder / "gate.lock"), thread_local=False)
        self._own = FileLock(str(folder / ("%s.lock" % me)), thread_local=False)
        self._others = [FileLock(str(folder / ("%s.lock" % name)), thread_local=False)
                        for name in workers if name != me]

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Use the server alongside the other workers (not during an exclusive turn)."""
        self._take(self._gate, "an active-mode scenario of another worker")
        try:
            self._take(self._own, "an active-mode scenario of another worker")
        finally:
            self._gate.release()  # passed through: others may share, or queue for a turn
        try:
            yield
        finally:
            self._own.release()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Use the server alone: wait for every other worker's current use to end."""
        with ExitStack() as held:
            self._take(self._gate, "another worker's active-mode scenario")
            held.callback(self._gate.release)
            for lock in self._others:
                self._take(lock, "the scenario another worker is running")
                held.callback(lock.release)
            yield

    def _take(self, lock: FileLock, whom: str) -> None:
        timeout = bounded(self.timeout)  # over before the test's ceiling
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise TurnTimeout(
                "%s waited %.0f s for %s on %s (lock %s); is a worker stuck? Run with "
                "-n 0, or -m 'not active_ftp', to do without turns"
                % (self.me, timeout, whom, self.what, lock.lock_file)) from None
