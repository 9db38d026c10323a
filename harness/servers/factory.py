"""The one place a server is made: build_server(spec, options), for every kind.

    spec = parse_server_spec("ssh://ops@ftp.example.net")
    server = build_server(spec, ServerOptions(ssh_key="~/.ssh/hil"))  # servers/options.py
    server.start()

Used by fixtures/ftp_server.py (pytest options), harness/cli.py (`serve`) and the
ssh:// agent (agent.py), so the three never disagree on what an option means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from harness.servers import attached, ssh
from harness.servers.contract import Server
from harness.servers.local import server as local
from harness.servers.options import ServerOptions
from harness.servers.spec import ServerSpec, Syntax, parse_spec


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
