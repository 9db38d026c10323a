"""--ftp-server=ssh://user@host[:port]: our FTP server on a cloud host, for a module on cellular.

    server = RemoteServer.over_ssh(SshTarget("ops", "ftp.example.net"), key="~/.ssh/hil")
    server.start()          # ssh, ship the agent, start pyftpdlib with a fresh password
    ...the module uploads to server.host:server.port...
    server.digest("t-up.bin"); server.set_quota(0); server.inject_fault("drop_data")
    server.stop()           # the server ends and its temporary home is deleted

Everything goes through the one ssh connection (harness/agent_link.py): the FTP side
never learns a control command, and the password travels on the connection's stdin,
never on a command line. If the harness dies or the link drops, the agent ends the
server by itself (stdin EOF, parent death, or its watchdog).
"""

from __future__ import annotations

import base64
import secrets
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .agent_link import BOOTSTRAP, AgentLink, AgentRequestError
from .server_spec import advertised_address, format_port_range
from .verify import Digest

DEFAULT_PORT = 2121  # a fixed control port, so the cloud firewall can name it
DEFAULT_PASSIVE_PORTS = range(60000, 60101)
PUT_CHUNK = 192 * 1024  # raw bytes per put request (256 KiB once base64-encoded)

# the defaults for a harness that must never sit at a prompt; --ftp-ssh-option wins
SSH_DEFAULTS = ("BatchMode=yes", "ServerAliveInterval=10", "ServerAliveCountMax=3",
                "ConnectTimeout=20")


@dataclass(frozen=True)
class SshTarget:
    user: str
    host: str
    port: int | None = None

    def __str__(self) -> str:
        return "%s@%s%s" % (self.user, self.host, "" if self.port is None else ":%d" % self.port)


def remote_command(python: str = "python3") -> str:
    """What the far shell runs: the interpreter, reading the agent from stdin."""
    return "exec %s -u -c %s" % (shlex.quote(python), shlex.quote(BOOTSTRAP))


def ssh_command(target: SshTarget, command: str, key: str | None = None,
                options: Sequence[str] = (), ssh: str = "ssh") -> list[str]:
    """The OpenSSH client command line (ssh takes the first value it sees for an option,
    so the person's options come before the harness's defaults)."""
    argv = [ssh, "-T", "-e", "none"]
    for option in (*options, *SSH_DEFAULTS):
        argv += ["-o", option]
    if key:
        argv += ["-i", key]
    if target.port is not None:
        argv += ["-p", str(target.port)]
    return [*argv, "--", "%s@%s" % (target.user, target.host), command]


class RemoteServer:
    """A ControlledServer (harness/server_control.py) run by the agent at the far end."""

    mode = "ssh"
    supports_control = True
    folder = ""  # the module works in the login folder, the server's fresh home

    def __init__(self, command: list[str], describe: str, *, public_host: str,
                 bind: str = "0.0.0.0", port: int = DEFAULT_PORT,
                 passive_ports: range | None = DEFAULT_PASSIVE_PORTS,
                 quota_bytes: int | None = None, user: str = "hil",
                 watchdog: float = 30.0, timeout: float = 30.0) -> None:
        self.host, self.masquerade_address = advertised_address(bind, public_host)
        self.bind = bind
        self.port = port
        self.passive_ports = passive_ports
        self.quota_bytes = quota_bytes
        self.user = user
        self.password = secrets.token_urlsafe(16)  # fresh for every server
        self.watchdog = watchdog
        self.link = AgentLink(command, describe, timeout)
        self.remote_root: str | None = None  # the server's home on the far host
        self.agent_pid: int | None = None
        self._started = False

    @classmethod
    def over_ssh(cls, target: SshTarget, *, key: str | None = None,
                 ssh_options: Sequence[str] = (), python: str = "python3",
                 public_host: str | None = None, **server_args: Any) -> RemoteServer:
        """The usual way: the agent on `target`; PASV names public_host or the ssh host."""
        command = ssh_command(target, remote_command(python), key, ssh_options)
        return cls(command, "ssh %s" % target, public_host=public_host or target.host,
                   **server_args)

    def __repr__(self) -> str:
        return "<RemoteServer %s via %s>" % (self.url(), self.link.describe)

    def url(self) -> str:
        return "ftp://%s@%s:%d/" % (self.user, self.host, self.port)

    # --- life cycle

    def start(self) -> None:
        """Connect, start the server far away, and keep its watchdog fed."""
        hello = self.link.open()
        self.agent_pid = hello.get("pid")
        ports = self.passive_ports
        try:
            started = self.link.request(
                "start", user=self.user, password=self.password, bind=self.bind,
                port=self.port, passive_ports=[ports.start, ports.stop - 1] if ports else None,
                masquerade=self.masquerade_address, quota_bytes=self.quota_bytes,
                watchdog=self.watchdog)
        except BaseException:
            self.link.close()  # the agent ends on EOF; nothing is left far away
            raise
        self.port = started["port"]
        self.remote_root = started["root"]
        self._started = True
        self.link.start_heartbeat(self.watchdog / 4)

    def stop(self) -> None:
        """Stop the server, delete its home, end the connection; safe to call twice."""
        if self._started and self.link.alive:
            self._started = False
            try:
                self.link.request("stop")
            finally:
                self.link.close()
        else:
            self.link.close()  # nothing far away to stop: it ended with the link

    def describe_network(self) -> str:
        """One line for the person: where the module connects and what the firewall needs."""
        passive = format_port_range(self.passive_ports) if self.passive_ports else "any"
        return "%s (listening on %s:%d, passive ports %s, PASV address %s)" % (
            self.url(), self.bind, self.port, passive, self.masquerade_address)

    # --- the ServerControl surface

    def _call(self, op: str, **args: Any) -> Any:
        try:
            return self.link.request(op, **args)
        except AgentRequestError as exc:
            if exc.kind == "ValueError":  # a bad name or parameter, as FtpServer raises
                raise ValueError(str(exc)) from None
            raise

    def put(self, name: str, data: bytes) -> None:
        for offset in range(0, max(len(data), 1), PUT_CHUNK):
            chunk = data[offset:offset + PUT_CHUNK]
            self._call("put", name=name, data=base64.b64encode(chunk).decode("ascii"),
                       append=offset > 0)

    def digest(self, name: str) -> Digest | None:
        found = self._call("digest", name=name)
        return None if found is None else Digest(found["sha256"], found["size"])

    def remove(self, name: str) -> None:
        self._call("remove", name=name)

    def dir_exists(self, name: str) -> bool:
        return self._call("dir_exists", name=name)

    def remove_dir(self, name: str) -> None:
        """Remove a folder in the home with everything in it (never the home itself)."""
        self._call("remove_dir", name=name)

    # --- the ControlledServer surface

    def set_quota(self, quota_bytes: int | None) -> None:
        self._call("set_quota", quota_bytes=quota_bytes)

    def set_disk_free(self, free_bytes: int | None, *, fail_at: str = "write") -> None:
        self._call("set_disk_free", free_bytes=free_bytes, fail_at=fail_at)

    def inject_fault(self, name: str, **params: Any) -> None:
        self._call("inject_fault", name=name, params=params)

    def clear_faults(self, *names: str) -> None:
        self._call("clear_faults", names=list(names))

    def transcript_mark(self) -> int:
        return self._call("transcript_mark")

    def transcript_text(self, since: int = 0) -> str:
        return self._call("transcript_text", since=since)
