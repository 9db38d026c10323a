"""Is a server holding control connections? Read from its transcript (HasTranscript).

A scenario that meets a connection limit needs the server idle first: the module's
previous session may still be closing on the server's side.
"""

from __future__ import annotations

import re
import time

from harness.deadline import bounded
from harness.errors import HarnessError
from harness.servers.contract import HasTranscript


def open_sessions(transcript: str) -> set[int]:
    """Control connections that connected and have not disconnected yet."""
    opened = set(map(int, re.findall(r"#(\d+) -- connected from", transcript)))
    closed = set(map(int, re.findall(r"#(\d+) -- disconnected", transcript)))
    return opened - closed


def wait_idle(server: HasTranscript, timeout: float = 5.0) -> None:
    """Wait until the server holds no control connection; HarnessError after `timeout`."""
    timeout = bounded(timeout)
    deadline = time.monotonic() + timeout
    while open_sessions(server.transcript_text()):
        if time.monotonic() > deadline:
            held = sorted(open_sessions(server.transcript_text()))
            raise HarnessError("the FTP server still holds control connections %s after "
                               "%.0f s" % (held, timeout))
        time.sleep(0.02)  # polling the server's transcript, bounded by the deadline
