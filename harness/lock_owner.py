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


def write_owner(lock_path: Path) -> None:
    """Say who holds the lock now; best effort, a lock works without it."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name on some service accounts
        user = "?"
    what = " ".join(os.path.basename(arg) if i == 0 else arg
                    for i, arg in enumerate(sys.argv[:4]))
    line = "pid %d (%s) of %s on %s, since %s" % (
        os.getpid(), what or "python", user, socket.gethostname(), time.strftime("%H:%M:%S"))
    try:
        note_path(lock_path).write_text(line + "\n", encoding="utf-8")
    except OSError:
        pass


def read_owner(lock_path: Path) -> str:
    """The holder's line, or "" if it left none."""
    try:
        return note_path(lock_path).read_text(encoding="utf-8").strip()
    except OSError:
        return ""
