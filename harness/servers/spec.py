"""What `--ftp-server`, `--ftp-bind`, `--ftp-public-host` and `--ftp-passive-ports` mean.

    local                          our pyftpdlib server on this PC (the default)
    ssh://user@host[:port]         our server started on a cloud host over SSH
    ftp://user@host[:port]/folder  an existing FTP server, attached to (password from
                                   QPY_HIL_FTP_PASSWORD or a prompt, never in the URL)

Parsing only: nothing here opens a connection except masquerade_ip(), which may ask DNS.
"""

from __future__ import annotations

import ipaddress
import posixpath
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

WILDCARDS = ("", "0.0.0.0", "::")


@dataclass(frozen=True)
class ServerSpec:
    """A parsed --ftp-server value."""

    kind: str  # "local", "ssh" or "ftp"
    user: str = ""
    host: str = ""
    port: int | None = None  # None: the scheme's default
    folder: str = "/"  # ftp:// only: where the run's session folder is created

    def target(self) -> str:
        """user@host[:port], for messages (never a password: the spec has none)."""
        port = "" if self.port is None else ":%d" % self.port
        return "%s@%s%s" % (self.user, self.host, port)


@dataclass(frozen=True)
class Syntax:
    """How one kind is written in --ftp-server."""

    usage: str  # e.g. "ssh://user@host[:port]"; a kind without "://" is its bare name
    takes_folder: bool = False  # the URL's path names a folder on the server


def parse_spec(text: str, kinds: Mapping[str, Syntax]) -> ServerSpec:
    """Parse --ftp-server for these kinds (factory.parse_server_spec knows them all);
    ValueError says what a valid value looks like."""
    text = text.strip()
    if text in kinds and "://" not in kinds[text].usage:
        return ServerSpec(text)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme not in kinds or "://" not in kinds[scheme].usage:
        usages = ["'%s'" % kind.usage for kind in kinds.values()]
        raise ValueError("--ftp-server=%s: use %s or %s"
                         % (text, ", ".join(usages[:-1]), usages[-1]))
    url = urlsplit(text)
    if url.password is not None:
        raise ValueError(
            "--ftp-server: put no password in the URL (it would land in shell history and "
            "reports); for ftp:// set QPY_HIL_FTP_PASSWORD or let the harness prompt, "
            "for ssh:// use a key (--ftp-ssh-key)")
    try:
        port = url.port
    except ValueError as exc:
        raise ValueError("--ftp-server=%s: the port is not a number 1-65535" % text) from exc
    if not url.hostname or not url.username:
        raise ValueError("--ftp-server=%s: name both the user and the host, "
                         "e.g. %s://ops@ftp.example.net" % (text, scheme))
    if url.query or url.fragment:
        raise ValueError("--ftp-server=%s: no ?query or #fragment is allowed" % text)
    folder = "/"
    if kinds[scheme].takes_folder:
        folder = posixpath.normpath("/" + unquote(url.path).strip("/"))
        if folder.startswith("//"):
            folder = "/" + folder.lstrip("/")
    elif url.path not in ("", "/"):
        raise ValueError("--ftp-server=%s: an %s:// server takes no folder; it serves "
                         "a fresh temporary folder on the host" % (text, scheme))
    return ServerSpec(scheme, unquote(url.username), url.hostname, port, folder)


def parse_port_range(text: str) -> range:
    """'60000-60100' (both ends included) or '60000'; ValueError for anything else."""
    low, sep, high = text.strip().partition("-")
    try:
        first = int(low)
        last = int(high) if sep else first
    except ValueError:
        raise ValueError("passive ports %r: write a range like 60000-60100" % text) from None
    if not 1 <= first <= last <= 65535:
        raise ValueError("passive ports %r: need 1 <= first <= last <= 65535" % text)
    return range(first, last + 1)


def format_port_range(ports: range) -> str:
    return "%d-%d" % (ports.start, ports.stop - 1)


MIN_PASSIVE_SHARE = 2  # passive ports per worker's server: a transfer and the next one


def worker_control_port(port: int, index: int, count: int) -> int:
    """A fixed control port for worker `index` of `count`: port, port+1, ... (each
    worker runs a server of its own); ValueError when the last would pass 65535."""
    if port + count - 1 > 65535:
        raise ValueError("--ftp-port=%d with %d workers needs ports %d-%d, past 65535; "
                         "give a lower --ftp-port" % (port, count, port, port + count - 1))
    return port + index


def worker_passive_ports(ports: range, index: int, count: int) -> range:
    """Worker `index`'s share of a passive range: consecutive slices, one per worker.

    Split rather than shared: pyftpdlib takes a random free port of its range and, when
    every one is busy, silently a kernel-assigned one outside it (past the firewall or
    the NAT forwarding that the range was opened for). Its own slice keeps each
    worker's server inside, and a worker short of ports is refused at start.
    """
    share = len(ports) // count
    if share < MIN_PASSIVE_SHARE:
        raise ValueError("passive ports %s are %d for %d workers: each worker's server needs "
                         "at least %d; widen --ftp-passive-ports to %d ports or run fewer "
                         "workers (-n)" % (format_port_range(ports), len(ports), count,
                                           MIN_PASSIVE_SHARE, MIN_PASSIVE_SHARE * count))
    first = ports.start + index * share
    return range(first, first + share)


def is_wildcard(address: str) -> bool:
    return address in WILDCARDS


def masquerade_ip(host: str) -> str:
    """The IPv4 address to put in PASV replies for `host` (a name is resolved here).

    PASV can only carry an IPv4 address, which is why a name is not enough.
    """
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except OSError as exc:
        raise ValueError("cannot resolve %r to an IPv4 address for PASV replies: %s; "
                         "give --ftp-public-host as an IPv4 address" % (host, exc)) from exc
    return str(infos[0][4][0])


def advertised_address(bind: str, public_host: str | None,
                       option: str = "--ftp-public-host") -> tuple[str, str | None]:
    """(the host the module is told, the PASV masquerade address or None).

    With a public host, the module is told that host and PASV answers with its IPv4
    address; without one, the module is told the bind address, which must then be
    a real address, not a wildcard.
    """
    if public_host:
        return public_host, masquerade_ip(public_host)
    if is_wildcard(bind):
        raise ValueError("the server listens on %r (every interface): say which address the "
                         "module must use with %s" % (bind or "0.0.0.0", option))
    return bind, None
