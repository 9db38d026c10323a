"""The labgrid reservations this PC's processes hold, noted on disk, so that a place whose
holder died is released.

A place stays acquired at the coordinator after its client dies: labgrid keeps no lease
(labgrid 26.0.1 coordinator.py: AcquirePlace sets place.acquired to HOST/USER, and only
ReleasePlace clears it). So a process writes a note per reservation before it acquires
anything, and holds a file lock beside it for as long as it holds the reservation; the OS
drops that lock when the process ends, however it ends (a crash, a kill, pytest-timeout's
os._exit). `sweep` reads every note whose lock it can take: its holder is gone, so its
place is released (only if the coordinator still shows it acquired by the same HOST/USER
under the same reservation) and its reservation cancelled. Each process sweeps before it
reserves (an xdist worker that replaces a crashed one, the next run on this PC), and a
run's controller sweeps at its end.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from harness.bench.labgrid_client import LabgridClient, LabgridError

NOTE_PREFIX = "labgrid-"


@dataclass
class Note:
    """One reservation a process holds: where, which token, for whom, and its place."""

    coordinator: str
    token: str
    owner: str  # HOST/USER, as the coordinator recorded the reservation's owner
    place: str = ""  # once allocated
    pid: int = 0
    since: str = ""


class HeldNote:
    """A note written and locked by this process; close() when the reservation is gone."""

    def __init__(self, folder: Path, note: Note) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.note = note
        self.path = folder / ("%s%s.json" % (NOTE_PREFIX, note.token))
        self._lock = FileLock(str(self.path) + ".lock", thread_local=False)
        self._lock.acquire(timeout=0)  # a fresh token: nobody else has it
        self._write()

    def set_place(self, place: str) -> None:
        self.note.place = place
        self._write()

    def _write(self) -> None:
        self.path.write_text(json.dumps(asdict(self.note)) + "\n", encoding="utf-8")

    def close(self) -> None:
        """The reservation is gone: so is its note."""
        self.path.unlink(missing_ok=True)
        self._lock.release()
        with suppress(OSError):  # Windows: a sweeper may have it open just now
            Path(self._lock.lock_file).unlink()

    def abandon(self) -> None:
        """Giving it back failed: the note stays, unlocked, for the next sweep."""
        self._lock.release()


def open_note(folder: Path, coordinator: str, token: str, owner: str) -> HeldNote:
    return HeldNote(folder, Note(coordinator, token, owner, pid=os.getpid(),
                                 since=time.strftime("%Y-%m-%d %H:%M:%S %z")))


def sweep(folder: Path, client_for: Callable[[str], LabgridClient]) -> list[str]:
    """Release the places of notes whose holder died; one line for each thing done, or
    for a note kept because its coordinator did not answer (the next sweep tries again)."""
    lines: list[str] = []
    for path in sorted(folder.glob(NOTE_PREFIX + "*.json")) if folder.is_dir() else ():
        lock = FileLock(str(path) + ".lock", thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue  # its holder is alive
        try:
            line = _settle(path, client_for)
        finally:
            lock.release()
        if not path.exists():  # settled: its lock file goes too (Windows: once unlocked)
            with suppress(OSError):
                Path(lock.lock_file).unlink()
        if line:
            lines.append(line)
    return lines


def _settle(path: Path, client_for: Callable[[str], LabgridClient]) -> str:
    try:
        note = Note(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return ""  # another sweep settled it just now
    except (OSError, ValueError, TypeError):
        path.unlink(missing_ok=True)
        return ""
    client = client_for(note.coordinator)
    who = "pid %d on this PC, since %s" % (note.pid, note.since)
    try:
        released = release_if_still_held(client, note.token, note.owner)
        try:
            client.cancel(note.token)
        except LabgridError:
            pass  # expired or cancelled already: the coordinator forgot it
    except LabgridError as exc:
        return "kept the note of labgrid reservation %s (%s, holder gone): %s" % (
            note.token, who, exc)
    path.unlink(missing_ok=True)
    if released:
        return "released labgrid place %s: its holder (%s) ended without releasing it" % (
            released, who)
    return ""


def release_if_still_held(client: LabgridClient, token: str, owner: str) -> str:
    """Release the place reserved under `token` if `owner` (HOST/USER) still holds it;
    its name, or "" when nothing was to release."""
    for place in client.places():
        if place.reservation == token and place.acquired == owner:
            client.release(place.name, holder=owner)
            return place.name
    return ""


