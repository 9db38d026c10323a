"""The calls the harness may make on a server at the far end of ssh://, and their wire form.

One allow-list for both ends: ssh.py forwards exactly these methods to the agent,
and agent.py answers exactly these (plus its own start / stop / ping), each only if
the server there has the ability the call belongs to. A request carries the call's
arguments by parameter name, as JSON:

    {"id": 7, "op": "inject_fault", "name": "drop_data", "params": {"after_bytes": 0}}
    {"id": 8, "op": "clear_faults", "names": []}

bytes and Digest values, which JSON has no form for, travel as {"$bytes": base64}
and {"$digest": [sha256, size]}.

Self-contained like agent.py: the standard library, the contract and harness.verify,
nothing newer than Python 3.8.
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import Callable
from typing import Any

from harness.digest import Digest
from harness.servers.contract import HasFaults, HasStorageLimits, HasTranscript, Server

# method name -> the contract (protocol) it belongs to
REMOTE_CALLS: dict[str, type] = {
    "put": Server,
    "digest": Server,
    "remove": Server,
    "dir_exists": Server,
    "remove_dir": Server,
    "set_quota": HasStorageLimits,
    "set_disk_free": HasStorageLimits,
    "inject_fault": HasFaults,
    "clear_faults": HasFaults,
    "active_faults": HasFaults,
    "transcript_mark": HasTranscript,
    "transcript_text": HasTranscript,
}


def encode(value: Any) -> Any:
    """A value as JSON can carry it."""
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Digest):
        return {"$digest": [value.sha256, value.size]}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    return value


def decode(value: Any) -> Any:
    """The inverse of encode()."""
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        if set(value) == {"$digest"}:
            sha256, size = value["$digest"]
            return Digest(str(sha256), int(size))
        return {key: decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [decode(item) for item in value]
    return value


def request_args(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """A call's arguments by parameter name, as the contract's method names them
    (*names arrives as a list, **params as a dict); TypeError for a wrong call."""
    method = getattr(REMOTE_CALLS[name], name)
    bound = inspect.signature(method).bind(None, *args, **kwargs)  # None stands for self
    bound.apply_defaults()
    named = dict(bound.arguments)
    named.pop(next(iter(inspect.signature(method).parameters)))  # self
    return {key: encode(value) for key, value in named.items()}


def invoke(method: Callable[..., Any], named: dict[str, Any]) -> Any:
    """Call a server's method with arguments by name (request_args' output); the result
    encoded for the wire. (No contract method has both named parameters and *args.)"""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(method).parameters.values():
        if param.name not in named:
            continue
        value = decode(named[param.name])
        if param.kind is param.VAR_POSITIONAL:
            args.extend(value)
        elif param.kind is param.VAR_KEYWORD:
            kwargs.update(value)
        elif param.kind is param.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[param.name] = value
    unknown = set(named) - set(inspect.signature(method).parameters)
    if unknown:
        raise ValueError("unexpected arguments %s" % ", ".join(sorted(unknown)))
    return encode(method(*args, **kwargs))
