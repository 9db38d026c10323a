"""qpy-ftp-hil: pytest options; the fixtures live in fixtures/."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "fixtures.device",
    "fixtures.ftp_server",
    "fixtures.payloads",
    "fixtures.scenario",
    "fixtures.reporting",
]

DEFAULT_PAYLOAD_SIZES = "0,1,1024,65536,1048576"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qpy-ftp-hil")
    group.addoption("--device", default="emulated",
                    help="'emulated' (default: a virtual QuecPython module), or a pyserial "
                         "port: COM5, /dev/ttyUSB6, socket://host:port, rfc2217://host:port")
    group.addoption("--device-timeout", type=float, default=120.0,
                    help="seconds one device step may run before it is interrupted")
    group.addoption("--prompt-timeout", type=float, default=3.0,
                    help="seconds to wait for each raw REPL prompt when connecting")
    group.addoption("--ftp-server", default="local",
                    help="'local' (default): pyftpdlib on this PC")
    group.addoption("--ftplib", default="firmware",
                    help="which ftplib the module uses: firmware (what `import ftplib` finds)")
    group.addoption("--payload-sizes", default=DEFAULT_PAYLOAD_SIZES,
                    help="comma-separated payload sizes in bytes for transfer scenarios")
    group.addoption("--emulator-usr-kib", type=int, default=4096,
                    help="size of the virtual module's /usr partition, KiB")
