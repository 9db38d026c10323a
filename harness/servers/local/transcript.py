"""The server's transcript: every command, reply and event, timestamped, password masked."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

MASK = "****"
# Lines kept in memory: far more than one test's slice, so a night of runs stays flat
# (a test reads only the lines since its own mark).
KEEP_LINES = 5_000


@dataclass(frozen=True)
class TranscriptLine:
    """One line of the server transcript."""

    at: float  # time.time() when the line was received or sent
    session: int  # control connection number (1, 2, ...); 0 for server events
    direction: str  # "<-" from the client, "->" to the client, "--" an event
    text: str

    def __str__(self) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(self.at))
        millis = int(self.at % 1 * 1000)
        return f"{clock}.{millis:03d} #{self.session} {self.direction} {self.text}"


class Transcript:
    """Lines written by the loop thread and read by the test thread.

    Marks count every line ever recorded; only the last `keep` lines are held.
    """

    def __init__(self, password: str, keep: int = KEEP_LINES) -> None:
        self._password = password
        self._lock = threading.Lock()
        self._lines: deque[TranscriptLine] = deque(maxlen=keep)
        self._recorded = 0  # lines recorded since the server started

    def record(self, session: int, direction: str, text: str) -> None:
        if self._password:
            text = text.replace(self._password, MASK)  # never let the password reach a report
        line = TranscriptLine(time.time(), session, direction, text)
        with self._lock:
            self._lines.append(line)
            self._recorded += 1

    def mark(self) -> int:
        with self._lock:
            return self._recorded

    def since(self, mark: int) -> list[TranscriptLine]:
        with self._lock:
            held_from = self._recorded - len(self._lines)  # older lines were let go
            skip = max(0, mark - held_from)
            return [line for index, line in enumerate(self._lines) if index >= skip]

    def text(self, since: int = 0) -> str:
        return "\n".join(str(line) for line in self.since(since))
