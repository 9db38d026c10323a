"""--ftp-server=ssh://user@host[:port]: our FTP server on a cloud host, for a module on cellular.

    server = RemoteServer.over_ssh(SshTarget("ops", "ftp.example.net"), key="~/.ssh/hil")
    server.start()          # ssh, ship the agent, start pyftpdlib with a fresh password
    ...the module uploads to server.host:server.port...
    server.digest("t-up.bin"); server.set_quota(0); server.inject_fault("drop_data")
    server.stop()           # the server ends and its temporary home is deleted

Everything goes through the one ssh connection (agent_link.py): the FTP side never
learns a control command, and the password travels on the connection's stdin, never
on a command line. If the harness dies or the link drops, the agent ends the server
by itself (stdin EOF, parent death, or its watchdog). The calls it forwards are the
allow-list in remote_calls.py.
"""

from __future__ import annotations

import secrets
import shlex
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from harness import link_budget
from harness.servers.agent_link import BOOTSTRAP, AgentLink, AgentRequestError
from harness.servers.contract import HasFaults, HasStorageLimits, HasTranscript, Server
from harness.servers.dialects import Dialect
from harness.servers.remote_calls import REMOTE_CALLS, decode, request_args
from harness.servers.spec import (
    ServerSpec,
    advertised_address,
    worker_control_port,
    worker_passive_ports,
)

if TYPE_CHECKING:
    from harness.servers.options import ServerOptions

DEFAULT_PORT = 2121  # a fixed control port, so the cloud firewall can name it
DEFAULT_PASSIVE_PORTS = range(60000, 60101)
PUT_CHUNK = 192 * 1024  # raw bytes per put request (256 KiB once base64-encoded)

# the defaults for a harness that must never sit at a prompt; --ftp-ssh-option wins
SSH_DEFAULTS = ("BatchMode=yes", "ServerAliveInterval=10", "ServerAliveCountMax=3",
                "ConnectTimeout=20")

C = TypeVar("C", bound=type)


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


def _forwarder(name: str) -> Callable[..., Any]:
    def call(self: RemoteServer, *args: Any, **kwargs: Any) -> Any:
        return self.call(name, *args, **kwargs)

    contract_method = getattr(REMOTE_CALLS[name], name)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = contract_method.__doc__
    return call


def forwards_remote_calls(cls: C) -> C:
    """Give a class every call of remote_calls.REMOTE_CALLS whose contract it claims (as a
    base class) and does not write itself; each one runs at the far end."""
    for name, contract in REMOTE_CALLS.items():
        if contract in cls.__mro__ and name not in cls.__dict__:
            setattr(cls, name, _forwarder(name))
    return cls


# The bases are the contract this kind claims; mypy reads the methods from them, and
# forwards_remote_calls() fills them in.
@forwards_remote_calls
class RemoteServer(Server, HasFaults, HasStorageLimits, HasTranscript):
    """Our FTP server with every ability, run by the agent (agent.py) at the far end."""

    mode = "ssh"
    folder = ""  # the module works in the login folder, the server's fresh home
    hash_command: str | None = "XSHA256"
    dialect: Dialect | None = None  # contract.SpeaksDialect: our own words (no --ftp-dialect)

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
        return "<RemoteServer %s via %s>" % (self.url, self.link.describe)

    @property
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
                watchdog=self.watchdog, link=asdict(link_budget.current()))
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

    # --- the calls (remote_calls.REMOTE_CALLS)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run one allowed call at the far end; a bad name or parameter raises ValueError
        here, as FtpServer raises it."""
        return self._request(name, request_args(name, args, kwargs))

    def _request(self, name: str, named: dict[str, Any]) -> Any:
        try:
            return decode(self.link.request(name, **named))
        except AgentRequestError as exc:
            if exc.kind == "ValueError":
                raise ValueError(str(exc)) from None
            raise

    def put(self, name: str, data: bytes) -> None:
        """Place a file at the far end, in pieces a slow link carries within the timeout."""
        for offset in range(0, max(len(data), 1), PUT_CHUNK):
            piece = request_args("put", (name, data[offset:offset + PUT_CHUNK]), {})
            self._request("put", {**piece, "append": offset > 0})


def build(spec: ServerSpec, options: ServerOptions) -> RemoteServer:
    """The ssh:// kind from --ftp-server and the options (see factory.py)."""
    port = DEFAULT_PORT if options.port is None else options.port
    if port:  # one server per xdist worker, each on its own port and passive slice
        port = worker_control_port(port, options.port_offset, options.workers)
    passive = worker_passive_ports(options.passive_ports or DEFAULT_PASSIVE_PORTS,
                                   options.port_offset, options.workers)
    return RemoteServer.over_ssh(
        SshTarget(spec.user, spec.host, spec.port),
        key=options.ssh_key, ssh_options=options.ssh_options, python=options.ssh_python,
        public_host=options.public_host, bind=options.bind or "0.0.0.0", port=port,
        passive_ports=passive,
        quota_bytes=options.quota_bytes, user=options.user,
        watchdog=options.watchdog, timeout=options.timeout)
