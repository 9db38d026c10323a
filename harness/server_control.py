"""What the harness needs from the FTP server under test, wherever it runs.

Three kinds satisfy it: our pyftpdlib server on this PC (`FtpServer`), the
same server started on a cloud host over SSH, and any existing FTP server we
only attach to. The module is told `host`/`port`/`user`/`password`; the host
side places and checks files through `put` / `digest` / `remove`.
`supports_control` says whether quota, faults and transcripts are available
(they are not on a server we merely attach to).
"""

from __future__ import annotations

from typing import Any, Protocol

from .verify import Digest


class ServerControl(Protocol):
    mode: str  # "local", "ssh" or "ftp"
    host: str  # the address the module connects to
    port: int
    user: str
    password: str
    supports_control: bool

    def put(self, name: str, data: bytes) -> None: ...

    def digest(self, name: str) -> Digest | None: ...

    def remove(self, name: str) -> None: ...

    def dir_exists(self, name: str) -> bool: ...

    def remove_dir(self, name: str) -> None:
        """A folder the run made, with whatever is left in it."""


class ControlledServer(ServerControl, Protocol):
    """A server whose behaviour the harness can change (local or over SSH)."""

    def set_quota(self, quota_bytes: int | None) -> None: ...

    def set_disk_free(self, free_bytes: int | None) -> None: ...

    def inject_fault(self, name: str, **params: Any) -> None: ...

    def clear_faults(self, *names: str) -> None: ...

    def transcript_mark(self) -> int: ...

    def transcript_text(self, since: int = 0) -> str: ...
