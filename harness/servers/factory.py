"""The one place a server is made: build_server(spec, options), for every kind.

    spec = parse_server_spec("ssh://ops@ftp.example.net")
    server = build_server(spec, ServerOptions(ssh_key="~/.ssh/hil"))
    server.start()

Used by fixtures/ftp_server.py (pytest options), harness/cli.py (`serve`) and the
ssh:// agent (agent.py), so the three never disagree on what an option means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.servers import attached, ssh
from harness.servers.contract import Server
from harness.servers.local import server as local
from harness.servers.spec import ServerSpec, Syntax, parse_spec


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
    timeout: float = 30.0  # seconds for each request to an ssh:// agent or ftp:// server
    # ssh:// only
    ssh_key: str | None = None
    ssh_options: Sequence[str] = ()
    ssh_python: str = "python3"
    watchdog: float = 30.0  # the agent ends the far server after this long without a word


@dataclass(frozen=True)
class Kind:
    syntax: Syntax  # how --ftp-server names it
    build: Callable[[ServerSpec, ServerOptions], Server]


KINDS: dict[str, Kind] = {
    "local": Kind(Syntax("local"), local.build),
    "ssh": Kind(Syntax("ssh://user@host[:port]"), ssh.build),
    "ftp": Kind(Syntax("ftp://user@host[:port]/folder", takes_folder=True), attached.build),
}


def parse_server_spec(text: str, kinds: Mapping[str, Syntax] | None = None) -> ServerSpec:
    """Parse --ftp-server for every kind above (or for `kinds`); ValueError says why not."""
    if kinds is None:
        kinds = {name: kind.syntax for name, kind in KINDS.items()}
    return parse_spec(text, kinds)


def build_server(spec: ServerSpec, options: ServerOptions) -> Server:
    """The server `spec` names, not started yet; ValueError when an option does not fit."""
    return KINDS[spec.kind].build(spec, options)
