"""What several of the harness's own tests need: loopback ports, stopping the
real servers they start (sshd, vsftpd, ser2net), loading a file as a module,
reading a pytest-html report's data."""

from __future__ import annotations

import contextlib
import html
import importlib.util
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filelock
import pytest

# An exporter of the tests refuses a second client after this, not after its HANDOVER (2 s,
# harness/ports/exporter.py). The hand-over covers a client that is just leaving (its reader
# stops within POLL, 0.2 s): 1 s still does, and the tests check the refusal, not its wait.
QUICK_HANDOVER = 1.0


@contextlib.contextmanager
def session_folder(tmp_path_factory: Any, name: str) -> Iterator[Path]:
    """A folder of this session that every xdist worker sees (the workers' base folders
    sit in one), held under a lock while the block runs: the first worker fills it, the
    others wait and find it filled. Without xdist, in the base folder."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # <session>/popen-gwN -> <session>
    with filelock.FileLock(str(root / (name + ".lock"))):
        yield root / name


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_range(count: int = 8, below: int | None = None) -> range:
    """`count` consecutive ports that are free right now; with `below`, all of them
    between 10000 and that port."""
    for _ in range(50):
        base = free_port() if below is None else 10000 + secrets.randbelow(
            max(1, below - count - 10000))
        if base + count > 65535:
            continue
        held: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                held.append(socket.socket())
                held[-1].bind(("127.0.0.1", port))
            return range(base, base + count)
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise AssertionError("no %d consecutive free ports on 127.0.0.1" % count)


def accepts(port: int) -> bool:
    """True if something listens on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate, and kill if it does not go within `timeout`."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def load_module(name: str, path: Path) -> types.ModuleType:
    """A .py file imported under another name (so ours never shadows CPython's ftplib).

    A device script finds what it shares (device_scripts/hil_common.py) under its own
    name, as on the module; device_scripts/ itself never goes on sys.path, where its
    ftplib.py would shadow CPython's.
    """
    common = path.with_name("hil_common.py")
    if path.name != common.name and common.is_file() and "hil_common" not in sys.modules:
        sys.modules["hil_common"] = load_module("hil_common", common)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pytest_html_data(report_html: str) -> dict[str, Any]:
    """The JSON blob a pytest-html 4 report renders from (environment, tests, logs, extras)."""
    found = re.search(r'data-jsonblob="([^"]*)"', report_html)
    if found is None:
        raise ValueError("no data-jsonblob in this HTML: not a pytest-html 4 report?")
    data: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return data


def local_agent(**args: Any) -> Any:
    """Our ssh:// server's agent over a local pipe: the protocol, without ssh."""
    from harness.servers.agent_link import BOOTSTRAP
    from harness.servers.ssh import RemoteServer

    settings: dict[str, Any] = dict(public_host="127.0.0.1", bind="127.0.0.1", port=0,
                                    passive_ports=None, timeout=20.0)
    settings.update(args)
    return RemoteServer([sys.executable, "-u", "-c", BOOTSTRAP], "local agent", **settings)


def micropython_missing() -> str:
    """Why the micropython engine cannot run here ("" where it can)."""
    from harness.emulator.mpy_engine import EngineMissing, micropython_binary

    try:
        micropython_binary()
    except EngineMissing as exc:
        return str(exc)
    return ""


def both_engines() -> list[Any]:
    """pytest params for the virtual module's engines; micropython skipped, with the
    reason, where it cannot run."""
    missing = micropython_missing()
    return ["cpython", pytest.param("micropython", marks=pytest.mark.skipif(
        bool(missing), reason=missing))]
