"""ServerOptions: what may be said about a server besides --ftp-server.

A leaf: every kind (local, ssh.py, attached.py) reads its part, and the factory
that imports every kind passes it on, so nothing has to import back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServerOptions:
    """What may be said about a server besides --ftp-server; each kind reads its part."""

    home: Path | None = None  # local: the account's home (required there)
    user: str = "hil"  # local / ssh://: the account the harness makes (ftp:// names its own)
    password: str | None = None  # local: None draws a fresh one; ftp://: required
    bind: str | None = None  # listen address (None: 127.0.0.1 local, 0.0.0.0 ssh://)
    public_host: str | None = None  # the address the module is told, named in PASV (NAT)
    port: int | None = None  # control port (None: any free port local, 2121 ssh://)
    port_offset: int = 0  # this worker's index: added to a fixed port (one server per worker)
    workers: int = 1  # how many workers run a server each: fixed ports and ranges are shared
    passive_ports: range | None = None  # None: any (local), 60000-60100 (ssh://); split
    # between the workers (spec.worker_passive_ports)
    quota_bytes: int | None = None  # local / ssh://: cap on what the home may hold
    dialect: str | None = None  # local: another server's replies (harness/servers/dialects.py)
    timeout: float = 30.0  # seconds for each request to an ssh:// agent or ftp:// server
    # ssh:// only
    ssh_key: str | None = None
    ssh_options: Sequence[str] = ()
    ssh_python: str = "python3"
    watchdog: float = 30.0  # the agent ends the far server after this long without a word
