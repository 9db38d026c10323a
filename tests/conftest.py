"""Helpers for the harness's own tests: virtual modules on real pseudo-terminals."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import serial

from harness.emulator import ModuleConfig, VirtualModule
from harness.servers.local.server import FtpServer


@pytest.fixture
def start_module() -> Iterator[Callable[..., VirtualModule]]:
    """Start virtual modules with a given config; all stopped after the test."""
    started: list[VirtualModule] = []

    def start(use_socket: bool = False, **config: object) -> VirtualModule:
        module = VirtualModule(ModuleConfig(**config), use_socket=use_socket).start()
        started.append(module)
        return module

    yield start
    for module in started:
        module.stop()


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[FtpServer]:
    """Our FTP server on 127.0.0.1, for a test's own virtual module."""
    srv = FtpServer(tmp_path / "ftp-home")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def raw_port() -> Iterator[Callable[[str], serial.Serial]]:
    opened: list[serial.Serial] = []

    def open_port(url: str) -> serial.Serial:
        port = serial.serial_for_url(url, baudrate=115200, timeout=0.05)
        opened.append(port)
        return port

    yield open_port
    for port in opened:
        port.close()


def read_until(port: serial.Serial, marker: bytes, timeout: float = 5.0) -> bytes:
    """Everything read up to and including marker; fails the test on timeout."""
    data = bytearray()
    deadline = time.monotonic() + timeout
    while marker not in data:
        if time.monotonic() > deadline:
            raise AssertionError("waited %.1f s for %r, got %r" % (timeout, marker, bytes(data)))
        data += port.read(max(1, port.in_waiting))
    return bytes(data)


# Long runs (whole catalogues, real servers, a labgrid lab): only when chosen by name with
# -m, so a plain `pytest` stays quick; .ci/run runs each as a step of its own
# (tests/test_long_runs.py holds README, pyproject.toml and .ci/run to this list).
LONG_RUNS = ("real_servers", "dialects", "end_to_end", "labgrid")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chosen = config.getoption("markexpr") or ""
    for item in items:
        for name in LONG_RUNS:
            if item.get_closest_marker(name) is not None and name not in chosen:
                item.add_marker(pytest.mark.skip(
                    reason="a long run: choose it with -m %s" % name))
