"""The server's transcript: every command, reply and event, timestamped, password masked."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

MASK = "****"


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
    """Lines written by the loop thread and read by the test thread."""

    def __init__(self, password: str) -> None:
        self._password = password
        self._lock = threading.Lock()
        self.lines: list[TranscriptLine] = []

    def record(self, session: int, direction: str, text: str) -> None:
        if self._password:
            text = text.replace(self._password, MASK)  # never let the password reach a report
        line = TranscriptLine(time.time(), session, direction, text)
        with self._lock:
            self.lines.append(line)

    def mark(self) -> int:
        with self._lock:
            return len(self.lines)

    def since(self, mark: int) -> list[TranscriptLine]:
        with self._lock:
            return list(self.lines[mark:])

    def text(self, since: int = 0) -> str:
        return "\n".join(str(line) for line in self.since(since))
