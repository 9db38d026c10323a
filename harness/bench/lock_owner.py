"""Who holds a module: a note next to its lock file, read by whoever finds it busy.

The lock itself (filelock) says only "taken". The holder writes one line
beside it (process, PC, user, since when), so a run that has to wait can say
whom it waits for. The note is advisory: a stale one (its holder crashed, the
OS released the lock) is simply overwritten by the next holder.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
import time
from pathlib import Path


def note_path(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".owner")


def write_owner(lock_path: Path, port: str = "") -> None:
    """Say who holds the lock now: pid, program, user, host, since when (local date and
    time, with its UTC offset) and the port's key; best effort, a lock works without it."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name on some service accounts
        user = "?"
    # the program only: its arguments may name a key file or hold a password
    first = sys.argv[0] if sys.argv else ""
    what = os.path.basename(first if first and not first.startswith("-") else sys.executable)
    line = "pid %d (%s) of %s on host %s, since %s" % (
        os.getpid(), what, user, socket.gethostname(),
        time.strftime("%Y-%m-%d %H:%M:%S %z"))
    if port:
        line += ", holding %s" % port
    try:
        note_path(lock_path).write_text(line + "\n", encoding="utf-8")
    except OSError:
        pass


def forget_owner(lock_path: Path) -> None:
    """Remove the note while the lock is still held, so no later reader sees a stale one."""
    try:
        note_path(lock_path).unlink()
    except OSError:
        pass  # never written, or already gone


def read_owner(lock_path: Path) -> str:
    """The holder's line, or "" if it left none."""
    try:
        return note_path(lock_path).read_text(encoding="utf-8").strip()
    except OSError:
        return ""
