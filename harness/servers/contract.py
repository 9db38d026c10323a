"""What the harness may ask of an FTP server, wherever it runs.

`Server` is what every kind offers: the module is told host / port / user /
password (and works in `folder`), the host side places and checks files with
put / digest / remove. The optional abilities are small protocols of their own;
a kind claims one by implementing it, and a caller asks with isinstance:

    if isinstance(server, HasTranscript):
        text = server.transcript_text(since=mark)

Our pyftpdlib server (local or over ssh://) has all three abilities; a server we
are only attached to (ftp://) has none of them. SpeaksDialect says in whose words our
server answers (--ftp-dialect): what a scenario may expect of it.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from harness.digest import Digest
from harness.servers.dialects import Dialect


@runtime_checkable
class Server(Protocol):
    """Every server kind: how the module reaches it, and files the host places and checks."""

    mode: str  # the kind: "local", "ssh" or "ftp"
    host: str  # the address the module connects to
    port: int
    user: str
    password: str
    # where the run's files live, relative names are resolved in it; "" is the login folder
    folder: str
    # the command the server answers with a file's SHA-256 ("XSHA256" or "HASH"), or None:
    # the host verifies by downloading instead
    hash_command: str | None

    @property
    def url(self) -> str:
        """ftp://user@host:port/folder/ for people and reports (never the password)."""
        ...

    def start(self) -> None: ...

    def stop(self) -> None:
        """Stop the server (or leave it), removing what the run created; safe to call twice."""
        ...

    def put(self, name: str, data: bytes) -> None:
        """Place a file, as if someone had uploaded it."""
        ...

    def digest(self, name: str) -> Digest | None:
        """sha256 and size of a stored file; None if it is not there."""
        ...

    def remove(self, name: str) -> None: ...

    def dir_exists(self, name: str) -> bool: ...

    def remove_dir(self, name: str) -> None:
        """A folder the run made, with whatever is left in it."""
        ...


@runtime_checkable
class HasFaults(Protocol):
    """Faults injected into the server's answers (names: harness/servers/local/faults.py)."""

    def inject_fault(self, name: str, **params: Any) -> None: ...

    def clear_faults(self, *names: str) -> None:
        """Clear the named faults, or all of them when no name is given."""
        ...

    def active_faults(self) -> list[str]:
        """One line per fault active now, e.g. "drop_data after_bytes=0 on='both'"."""
        ...


@runtime_checkable
class HasStorageLimits(Protocol):
    """A quota (552) and a simulated full disk (452)."""

    def set_quota(self, quota_bytes: int | None) -> None: ...

    def set_disk_free(self, free_bytes: int | None, *, fail_at: str = "write") -> None: ...


@runtime_checkable
class HasTranscript(Protocol):
    """Every command and reply the server saw, passwords masked."""

    def transcript_mark(self) -> int:
        """A mark to pass to transcript_text() later."""
        ...

    def transcript_text(self, since: int = 0) -> str: ...


@runtime_checkable
class SpeaksDialect(Protocol):
    """Our server, answering in its own words (None) or another server's (harness/servers/
    dialects.py): the codes and behaviours a scenario may expect of it."""

    dialect: Dialect | None


@runtime_checkable
class Introduces(Protocol):
    """What the reports may say about a server beyond its URL."""

    def identity(self) -> dict[str, str]:
        """E.g. {"dialect": "vsftpd: vsftpd 3.0.3 (Debian 12)"} for ours speaking one, or
        {"greeting": "220 (vsFTPd 3.0.3)", "system": "215 UNIX Type: L8"} for one attached to;
        {} when there is nothing to add."""
        ...


@runtime_checkable
class ControlledServer(Server, HasFaults, HasStorageLimits, HasTranscript, Protocol):
    """A server whose behaviour a scenario may change: what fixture ftp_control hands out."""
