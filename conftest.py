"""qpy-ftp-hil: pytest options; the fixtures live in fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "fixtures.pool",
    "fixtures.device",
    "fixtures.ftp_server",
    "fixtures.payloads",
    "fixtures.ftplib_choice",
    "fixtures.scenario",
    "fixtures.reporting",
    "fixtures.junit_properties",
]

DEFAULT_PAYLOAD_SIZES = "0,1,1024,65536,1048576"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("qpy-ftp-hil")
    group.addoption("--device", action="append", default=None,
                    help="'emulated' (the default: one virtual QuecPython module per worker), "
                         "or pyserial ports: COM5, /dev/ttyUSB6, socket://host:port, "
                         "rfc2217://host:port, usb:SERIAL[:INTERFACE], hwgrep://REGEX; "
                         "several: comma-separated or repeated")
    group.addoption("--devices-file", action="append", default=None, metavar="INI",
                    help="modules listed in an INI file: one [name] section each, with "
                         "port, model, labels (comma-separated); may be repeated")
    group.addoption("--device-label", action="append", default=None, metavar="LABELS",
                    help="use only modules with this model (prefix), name or label; "
                         "comma-separated: any of them; repeated: all of them")
    group.addoption("--device-firmware", default=None, metavar="REGEX",
                    help="use only modules whose firmware version matches this regex")
    group.addoption("--device-wait", type=float, default=0.0, metavar="SECONDS",
                    help="seconds to wait for a module another run holds, or its RFC 2217 "
                         "exporter gives to another client (default: 0, give up at once)")
    group.addoption("--device-timeout", type=float, default=120.0,
                    help="seconds one device step may run before it is interrupted")
    group.addoption("--prompt-timeout", type=float, default=3.0,
                    help="seconds to wait for each raw REPL prompt when connecting")
    group.addoption("--ftp-server", default="local",
                    help="'local' (default): our pyftpdlib server on this PC; "
                         "ssh://user@host[:port]: ours, started on a cloud host for the run; "
                         "ftp://user@host[:port]/folder: attach to an existing server "
                         "(password from QPY_HIL_FTP_PASSWORD or a prompt)")
    group.addoption("--ftplib", default=None,
                    help="which ftplib the module uses: auto, bundled (ours), firmware (what "
                         "`import ftplib` finds), or the path of your own ftplib.py; "
                         "comma-separated to run each scenario with several "
                         "(default: bundled,firmware on the virtual module, auto on a bench)")
    group.addoption("--payload-sizes", default=DEFAULT_PAYLOAD_SIZES,
                    help="comma-separated payload sizes in bytes for transfer scenarios")
    group.addoption("--emulator-usr-kib", type=int, default=4096,
                    help="size of the virtual module's /usr partition, KiB")
    group.addoption("--ftp-bind", default=None,
                    help="address our FTP server listens on (local: 127.0.0.1, "
                         "ssh://: 0.0.0.0)")
    group.addoption("--ftp-public-host", default=None,
                    help="the address the module connects to and PASV names (NAT "
                         "masquerade); default: the bind address, or the ssh:// host")
    group.addoption("--ftp-port", type=int, default=None,
                    help="FTP control port (local: a free port; ssh://: 2121)")
    group.addoption("--ftp-passive-ports", default=None,
                    help="passive data ports, e.g. 60000-60100 (local: any; "
                         "ssh://: 60000-60100)")
    group.addoption("--ftp-ssh-key", default=None,
                    help="ssh:// private key file (ssh -i)")
    group.addoption("--ftp-ssh-option", action="append", default=None,
                    help="ssh:// extra ssh -o option, e.g. StrictHostKeyChecking=accept-new; "
                         "repeatable")
    group.addoption("--ftp-ssh-python", default="python3",
                    help="ssh:// Python on the host, with pyftpdlib>=2 (default python3)")
    group.addoption("--ftp-control-timeout", type=float, default=30.0,
                    help="seconds for the ssh connection and each ssh:// or ftp:// "
                         "control request")
    group.addoption("--ftp-watchdog", type=float, default=30.0,
                    help="ssh://: seconds the server outlives a silent harness before it "
                         "stops by itself")
    group.addoption("--stall-timeout", type=float, default=3.0,
                    help="FTP timeout (s) the module uses where a scenario stalls a transfer")
    group.addoption("--reconnect-timeout", type=float, default=30.0,
                    help="seconds to wait for the module's port to come back after a reboot")
    group.addoption("--reset-command", default=None, metavar="CMD", help="command that power-cycles the module when neither Ctrl-C nor a soft reboot brings it back (a relay, uhubctl, an AT command); {port} becomes its port")  # noqa: E501


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """On a bench, plain `pytest --device=COM5` runs the module's scenarios only.

    The harness's own tests bring their own virtual modules; they still run
    when asked for by name (`pytest tests --device=COM5`).
    """
    from fixtures.pool import is_emulated  # a plugin module: imported once pytest loaded it

    if is_emulated(config) or config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return None
    own_tests = config.rootpath / "tests"
    if collection_path == own_tests or own_tests in collection_path.parents:
        return True
    return None
