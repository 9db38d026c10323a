"""qpy-ftp-hil: pytest options; the fixtures live in fixtures/."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = [
    "fixtures.options",  # every option parsed and checked once: BenchOptions
    "fixtures.xdist",  # before the plugins that import it; a worker that gives up sets the code
    "fixtures.pool",
    "fixtures.device",
    "fixtures.ftp_server",
    "fixtures.payloads",
    "fixtures.ftplib_choice",
    "fixtures.scenario",
    "fixtures.reporting",
    "fixtures.junit_properties",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    # Declared here, parsed and checked in fixtures/options.py (one parse line each, no
    # type= or default= here: the parsers give one-line errors and the defaults, and the
    # ini settings of fixtures/options.INI_SETTINGS fill in what the command line leaves).
    group = parser.getgroup("qpy-ftp-hil")
    group.addoption("--device", action="append",
                    help="'emulated' (the default: one virtual QuecPython module per worker), "
                         "or pyserial ports: COM5, /dev/ttyUSB6, socket://host:port, "
                         "rfc2217://host:port, usb:SERIAL[:INTERFACE], hwgrep://REGEX; "
                         "several: comma-separated or repeated")
    group.addoption("--devices-file", action="append", metavar="INI",
                    help="modules listed in an INI file: one [name] section each, with "
                         "port, model, labels (comma-separated); may be repeated")
    group.addoption("--device-label", action="append", metavar="LABELS",
                    help="use only modules with this model (prefix), name or label; "
                         "comma-separated: any of them; repeated: all of them")
    group.addoption("--device-firmware", metavar="REGEX",
                    help="use only modules whose firmware version matches this regex")
    group.addoption("--device-wait", metavar="SECONDS",
                    help="seconds to wait for a module another run holds, or its RFC 2217 "
                         "exporter gives to another client (default: 0, give up at once)")
    group.addoption("--device-timeout", metavar="SECONDS",
                    help="seconds one device step may run before it is interrupted "
                         "(default: 120)")
    group.addoption("--prompt-timeout", metavar="SECONDS",
                    help="seconds to wait for each raw REPL prompt when connecting (default: 3)")
    group.addoption("--ftp-server",
                    help="'local' (default): our pyftpdlib server on this PC; "
                         "ssh://user@host[:port]: ours, started on a cloud host for the run; "
                         "ftp://user@host[:port]/folder: attach to an existing server "
                         "(password from QPY_HIL_FTP_PASSWORD or a prompt)")
    group.addoption("--ftplib",
                    help="which ftplib the module uses: auto, bundled (ours), firmware (what "
                         "`import ftplib` finds), or the path of your own ftplib.py; "
                         "comma-separated to run each scenario with several "
                         "(default: bundled,firmware on the virtual module, auto on a bench)")
    group.addoption("--payload-sizes",
                    help="comma-separated payload sizes for transfer scenarios, in bytes or "
                         "with a K or M suffix (default: 0,1,1024,64K,1M)")
    group.addoption("--emulator-usr-kib",
                    help="size of the virtual module's /usr partition, KiB (default: 4096)")
    group.addoption("--emulator-engine",
                    help="who runs device code on the virtual module: cpython (default) or "
                         "micropython (the unix port; Linux x86-64, Python 3.11)")
    group.addoption("--emulator-heap",
                    help="heap of the micropython engine, e.g. 256K (micropython -X "
                         "heapsize; default: the interpreter's)")
    group.addoption("--ftp-dialect", metavar="NAME",
                    help="our server answers as another does: vsftpd, proftpd, pure-ftpd, "
                         "iis, filezilla, or nat (a 227 naming an address the module cannot "
                         "reach); local only (default: pyftpdlib's own replies)")
    group.addoption("--ftp-bind",
                    help="address our FTP server listens on (local: 127.0.0.1, "
                         "ssh://: 0.0.0.0)")
    group.addoption("--ftp-public-host",
                    help="the address the module connects to and PASV names (NAT "
                         "masquerade); default: the bind address, or the ssh:// host")
    group.addoption("--ftp-port",
                    help="FTP control port 1..65535, or 0: any free port (default: any free "
                         "port local, 2121 ssh://)")
    group.addoption("--ftp-passive-ports",
                    help="passive data ports, e.g. 60000-60100 (local: any; "
                         "ssh://: 60000-60100)")
    group.addoption("--ftp-ssh-key",
                    help="ssh:// private key file (ssh -i)")
    group.addoption("--ftp-ssh-option", action="append",
                    help="ssh:// extra ssh -o option, e.g. StrictHostKeyChecking=accept-new; "
                         "repeatable")
    group.addoption("--ftp-ssh-python",
                    help="ssh:// Python on the host, with pyftpdlib>=2 (default python3)")
    group.addoption("--ftp-control-timeout", metavar="SECONDS",
                    help="seconds for the ssh connection and each ssh:// or ftp:// "
                         "control request (default: 30)")
    group.addoption("--ftp-watchdog", metavar="SECONDS",
                    help="ssh://: seconds the server outlives a silent harness before it "
                         "stops by itself (default: 30)")
    group.addoption("--stall-timeout", metavar="SECONDS",
                    help="FTP timeout (s) the module uses where a scenario stalls a transfer "
                         "(default: 3)")
    group.addoption("--reconnect-timeout", metavar="SECONDS",
                    help="seconds to wait for the module's port to come back after a reboot "
                         "(default: 30)")
    group.addoption("--reset-command", metavar="CMD",
                    help="command that power-cycles the module when neither Ctrl-C nor a soft "
                         "reboot brings it back (a relay, uhubctl, an AT command); {port} "
                         "becomes its port")


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
