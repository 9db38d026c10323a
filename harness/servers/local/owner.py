"""What the control, data and file-system handlers may ask of the server that made them.

pyftpdlib builds handlers from classes, so each FtpServer makes subclasses whose
`owner` is itself. The handlers see it through these Protocols, not the FtpServer
class, so that they need not import server.py (which imports them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO, Protocol

from harness.servers.dialects import Dialect
from harness.servers.local.faults import FaultSet


class UploadFiles(Protocol):
    def upload_file(self, f: BinaryIO, resumed: bool) -> BinaryIO:
        """Wrap a file opened for upload under the storage limits."""


class HandlerOwner(Protocol):
    session_ids: Iterator[int]  # one number per control connection, for the transcript
    live: set[Any]  # every open control and data connection
    admitted: set[Any]  # control connections counted against the limit
    faults: FaultSet
    storage: UploadFiles
    keep_partial: bool  # an upload that fails keeps its partial file
    dialect: Dialect | None  # another server's replies (--ftp-dialect), or None: ours

    def transcript_record(self, session: int, direction: str, text: str) -> None: ...

    def connection_limit(self) -> int: ...

    def ftp_name(self, fs_path: str) -> str: ...

    def reader_for(self, f: BinaryIO) -> Any: ...
