"""The operations a `session` step runs on the module, built on the host.

Each helper returns the dict that device_scripts/hil_ftp.py's run_op reads; its name
is the operation's name in hil_ftp.OPS (tests/test_scenario_ops.py checks that the
two lists agree, so a typo fails there, not on the module):

    run.session([ops.mkd("d"), ops.stor(local, "d/x.bin"), ops.nlst("d")])

`label` names an operation when a session runs the same one twice (Session.op finds
it by label). Fields an operation reads beyond the ones named here (a new option of
a module operation) go in `**fields`, passed through as they are. A new operation is
one `op_*` function in hil_ftp.py plus one helper here (docs/writing-scenarios.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

Op = dict[str, Any]
F = TypeVar("F", bound=Callable[..., Op])

BUILDERS: dict[str, Callable[..., Op]] = {}  # operation name -> the helper that builds it


def builds(name: str) -> Callable[[F], F]:
    """Register a helper as the builder of the module operation `name`."""
    def register(helper: F) -> F:
        BUILDERS[name] = helper
        return helper
    return register


def _op(name: str, label: str | None, fields: dict[str, Any]) -> Op:
    op: Op = {"op": name}
    if label is not None:
        op["label"] = label
    op.update((key, value) for key, value in fields.items() if value is not None)
    return op


# -- transfers ------------------------------------------------------------------


@builds("stor")
def stor(local: str, remote: str, label: str | None = None, **fields: Any) -> Op:
    """storbinary a module file to the server (fields: verify_hash, block)."""
    return _op("stor", label, {"local": local, "remote": remote, **fields})


@builds("retr")
def retr(remote: str, local: str, label: str | None = None, **fields: Any) -> Op:
    """retrbinary a server file to the module (fields: verify_hash, block, check_size,
    keep_partial)."""
    return _op("retr", label, {"remote": remote, "local": local, **fields})


@builds("storlines")
def storlines(local: str, remote: str, label: str | None = None, **fields: Any) -> Op:
    """Text upload (TYPE A): every line goes with CRLF."""
    return _op("storlines", label, {"local": local, "remote": remote, **fields})


@builds("retrlines")
def retrlines(remote: str, local: str, callback: str = "lf", label: str | None = None,
              **fields: Any) -> Op:
    """Text download. callback "lf" writes each line back with "\\n"; "write" is the
    application note's retrlines(cmd, fp.write), which drops every line end."""
    return _op("retrlines", label, {"remote": remote, "local": local, "callback": callback,
                                    **fields})


# -- listings and one-line commands ------------------------------------------------


@builds("list")
def list_(arg: str | None = None, label: str | None = None) -> Op:
    return _op("list", label, {"arg": arg})


@builds("nlst")
def nlst(arg: str | None = None, label: str | None = None) -> Op:
    return _op("nlst", label, {"arg": arg})


def _command(name: str) -> Callable[..., Op]:
    """One FTP command, one reply: hil_ftp.COMMANDS maps the name to its verb."""
    def command(arg: Any = None, label: str | None = None) -> Op:
        return _op(name, label, {"arg": arg})
    command.__name__ = command.__qualname__ = name
    command.__doc__ = "%s [arg]: one command, one reply (hil_ftp.COMMANDS)" % name.upper()
    return builds(name)(command)


cwd = _command("cwd")
pwd = _command("pwd")
mkd = _command("mkd")
rmd = _command("rmd")
dele = _command("dele")
size = _command("size")
syst = _command("syst")
noop = _command("noop")
type_ = _command("type")
hash_ = _command("hash")  # XSHA256 <path>: our server's hash of a file it holds


@builds("cmd")
def cmd(line: str, label: str | None = None) -> Op:
    """Any command line as it is, e.g. "SITE HELP"; one reply."""
    return _op("cmd", label, {"cmd": line})


@builds("api")
def api(call: str, *args: Any, label: str | None = None) -> Op:
    """One of the ftplib's own methods, as an application calls it (hil_ftp.API_CALLS:
    size, pwd, nlst, mkd, rmd, delete, cwd); its return value comes back as "value"."""
    return _op("api", label, {"call": call, "args": list(args)})


@builds("rename")
def rename(source: str, target: str, label: str | None = None) -> Op:
    """RNFR source, then RNTO target."""
    return _op("rename", label, {"from": source, "to": target})


# -- the connection ---------------------------------------------------------------


@builds("login")
def login(user: str | None = None, password: str | None = None,
          label: str | None = None) -> Op:
    """USER/PASS (the server's account unless given)."""
    return _op("login", label, {"user": user, "password": password})


@builds("pasv")
def pasv(on: bool = True, label: str | None = None) -> Op:
    """Passive (PASV) data connections from now on, or active (PORT) with on=False."""
    return _op("pasv", label, {"on": on})


@builds("idle")
def idle(seconds: float, every: float = 0.5, label: str | None = None) -> Op:
    """Stay idle, sending NOOP every `every` seconds."""
    return _op("idle", label, {"seconds": seconds, "every": every})


@builds("connect")
def connect(login: bool = False, label: str | None = None) -> Op:
    """One more control connection from the module (kept open until the session ends)."""
    return _op("connect", label, {"login": login})


@builds("quit")
def quit_(label: str | None = None) -> Op:
    return _op("quit", label, {})
