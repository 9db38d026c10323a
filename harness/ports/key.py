"""One canonical key per module port, for locks, duplicates and reports.

    COM5, com5, \\\\.\\COM5                           -> COM5
    /dev/serial/by-id/usb-Quectel_...-if04-port0     -> /dev/ttyUSB6 (the link, resolved)
    rfc2217://Lab-B.example.net:4001/?ign_set_control -> rfc2217://lab-b.example.net:4001
    rfc2217://lab-b:23                               -> rfc2217://lab-b (telnet's port)
    labgrid://?module=ec600u&lab=b                   -> labgrid://?lab=b&module=ec600u

The key depends only on the name and the OS's device links: never on whether the
port is free, nor on the current folder (a file called COM5 there is not a port).
Names are not resolved: usb:SERIAL / hwgrep:// go through port_names.locked_port
first, and the key is taken of the port they stand for.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

_COM = re.compile(r"^(?:\\\\[.?]\\)?(com\d+)$", re.IGNORECASE)  # COM5, \\.\COM5, \\?\COM5
DEFAULT_PORTS = {"rfc2217": 23, "telnet": 23, "ftp": 21, "ssh": 22}  # the scheme's own


def port_key(port: str) -> str:
    """The canonical form of a pyserial port name or URL (see the module docstring)."""
    name = port.strip()
    com = _COM.match(name)
    if com:
        return com.group(1).upper()
    if "://" in name:
        return _url_key(name)
    if name.startswith("/dev/") and os.path.exists(name):
        real = os.path.realpath(name)  # by-id / by-path links name the same tty
        if real.startswith("/dev/"):
            return real
    return name


def _url_key(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "labgrid":  # the tags are which places, not how to open one
        query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
        return "labgrid://%s%s%s" % (parts.netloc, parts.path.rstrip("/"),
                                     "?" + query if query else "")
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = "[%s]" % host  # IPv6
    try:
        port = parts.port
    except ValueError:  # not a number: keep what was given, open() explains
        return url
    netloc = host if port is None or port == DEFAULT_PORTS.get(scheme) else "%s:%d" % (host,
                                                                                       port)
    if parts.username:
        netloc = "%s@%s" % (parts.username, netloc)
    # options (?ign_set_control, ?logging=debug) change how, not which port
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


def lock_file_name(port: str) -> str:
    """A file name for the port's lock: the key, lower-cased, safe on every OS."""
    return re.sub(r"[^a-z0-9.-]+", "_", port_key(port).lower()).strip("_") + ".lock"
