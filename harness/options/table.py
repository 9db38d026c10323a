"""Every qpy-ftp-hil option, one row each: the only place an option is written down.

A row is the option's whole declaration: its name, help text and metavar, whether
it may be repeated, its parser (values.py), its default, whether a bench PC may
keep it in its ini file, and whether README.md's options table lists it. From it
conftest.py declares the option to pytest, and fixtures/options.py its ini setting
and the parse into BenchOptions; tests/test_option_table.py fails when pytest
--help, BenchOptions, README.md's table or the bench guide disagree with a row.

Adding an option: one row below and a BenchOptions field of its name (fixtures/
options.py; plural for a repeatable one), then its use; with readme=True, its row in
README.md's options table, and tests/test_bad_input.py asks for one bad value. A
check between two options (e.g. --emulator-heap needs --emulator-engine=micropython)
stays explicit, in fixtures/options.py's parse().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from harness.emulator.config import ENGINES
from harness.link_profiles import PRESETS
from harness.options.values import (
    parse_choice,
    parse_command,
    parse_count,
    parse_duration,
    parse_existing_file,
    parse_free_text,
    parse_ftplib_choices,
    parse_host,
    parse_host_port,
    parse_output_file,
    parse_port,
    parse_port_range,
    parse_program,
    parse_regex,
    parse_server_url,
    parse_size,
    parse_sizes,
    parse_ssh_option,
    parse_wait,
)
from harness.servers.dialects import DIALECTS

IniType = Literal["string", "paths", "linelist"]  # pytest's addini types

# The host holds a payload in memory and the module's /usr is a few MiB at most:
# a bigger size is a typo. Sizes under the cap that a module cannot hold are
# skipped per test, with the reason (fixtures/payloads.py).
PAYLOAD_CAP = 1024 ** 3


@dataclass(frozen=True)
class OptionSpec:
    """One option. parse(option, text) returns its value or raises OptionError, where
    `option` is how the message names it (--name, or the ini file and setting)."""

    name: str  # "--device-timeout"
    parse: Callable[..., Any]
    help: str  # pytest --help; where it names the default, it names `default`
    default: str | None = None  # parsed when the option is not given; None: the value is None
    repeatable: bool = False  # action="append": each value parsed, a tuple of them
    ini: IniType | None = None  # a bench PC may keep it in pytest.ini as `dest`
    metavar: str | None = None
    readme: bool = False  # README.md's options table has a row for it
    relative_to_ini: bool = False  # parse also takes base=: the ini file's folder, or None
    flag: bool = False  # given without a value (its presence is "on"; default "off")

    @property
    def dest(self) -> str:
        """pytest's name for it, and its ini setting's: --device-timeout -> device_timeout."""
        return self.name[2:].replace("-", "_")

    @property
    def field(self) -> str:
        """Its BenchOptions field: dest, plural for a repeatable option."""
        return self.dest + "s" if self.repeatable else self.dest


def _regex_text(option: str, text: str) -> str:
    return parse_regex(option, text).pattern


def _ftplib_choices(option: str, text: str, *, base: Path | None = None) -> tuple[str, ...]:
    return tuple(parse_ftplib_choices(option, text, base=base))


def _payload_sizes(option: str, text: str) -> tuple[int, ...]:
    return tuple(parse_sizes(option, text, maximum=PAYLOAD_CAP))


def _engine(option: str, text: str) -> str:
    return parse_choice(option, text, ENGINES)


def _dialect(option: str, text: str) -> str:
    return parse_choice(option, text, tuple(DIALECTS))


def _link(option: str, text: str) -> str:
    return parse_choice(option, text, tuple(PRESETS))


def _switch(option: str, text: str) -> bool:
    return parse_choice(option, text, ("on", "off")) == "on"


def _existing_file_text(option: str, text: str) -> str:
    return str(parse_existing_file(option, text))


OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("--device", parse_free_text, repeatable=True, ini="linelist", readme=True,
               help="'emulated' (the default: one virtual QuecPython module per worker), "
                    "or pyserial ports: COM5, /dev/ttyUSB6, socket://host:port, "
                    "rfc2217://host:port, usb:SERIAL[:INTERFACE], hwgrep://REGEX; "
                    "labgrid://PLACE or labgrid://?TAG=VALUE (a place of a labgrid "
                    "coordinator, one per worker); several: comma-separated or repeated"),
    OptionSpec("--devices-file", parse_existing_file, repeatable=True, metavar="INI",
               ini="paths", readme=True,  # pytest takes relative paths from the ini file
               help="modules listed in an INI file: one [name] section each, with "
                    "port, model, labels (comma-separated); may be repeated"),
    OptionSpec("--device-label", parse_free_text, repeatable=True, metavar="LABELS",
               ini="linelist", readme=True,
               help="use only modules with this model (prefix), name or label; "
                    "comma-separated: any of them; repeated: all of them"),
    OptionSpec("--device-firmware", _regex_text, metavar="REGEX", readme=True,
               help="use only modules whose firmware version matches this regex"),
    OptionSpec("--device-wait", parse_wait, default="0", metavar="SECONDS",
               help="seconds to wait for a module another run holds, its RFC 2217 "
                    "exporter gives to another client, or a labgrid place another user "
                    "holds (default: 0, give up at once)"),
    OptionSpec("--labgrid-client", parse_program, metavar="PATH", ini="string", readme=True,
               help="labgrid-client of labgrid's own environment, for labgrid:// "
                    "(default: $QPY_HIL_LABGRID_CLIENT, else labgrid-client on PATH)"),
    OptionSpec("--labgrid-coordinator", parse_host_port, metavar="HOST[:PORT]", ini="string",
               readme=True,
               help="labgrid coordinator for labgrid:// (default: $LG_COORDINATOR, "
                    "else 127.0.0.1:20408)"),
    OptionSpec("--device-timeout", parse_duration, default="120", metavar="SECONDS",
               readme=True,
               help="seconds one device step may run before it is interrupted "
                    "(default: 120)"),
    OptionSpec("--prompt-timeout", parse_duration, default="3", metavar="SECONDS", readme=True,
               help="seconds to wait for each raw REPL prompt when connecting (default: 3)"),
    OptionSpec("--ftp-server", parse_server_url, default="local", ini="string", readme=True,
               help="'local' (default): our pyftpdlib server on this PC; "
                    "ssh://user@host[:port]: ours, started on a cloud host for the run; "
                    "ftp://user@host[:port]/folder: attach to an existing server "
                    "(password from QPY_HIL_FTP_PASSWORD or a prompt)"),
    OptionSpec("--ftplib", _ftplib_choices, ini="string", relative_to_ini=True, readme=True,
               help="which ftplib the module uses: auto, bundled (ours), firmware (what "
                    "`import ftplib` finds), or the path of your own ftplib.py; "
                    "comma-separated to run each scenario with several "
                    "(default: bundled,firmware on the virtual module, auto on a bench)"),
    OptionSpec("--payload-sizes", _payload_sizes, default="0,1,1024,64K,1M", ini="string",
               readme=True,
               help="comma-separated payload sizes for transfer scenarios, in bytes or "
                    "with a K or M suffix (default: 0,1,1024,64K,1M)"),
    OptionSpec("--emulator-usr-kib", parse_count, default="4096",
               help="size of the virtual module's /usr partition, KiB (default: 4096)"),
    OptionSpec("--emulator-engine", _engine, default="cpython", readme=True,
               help="who runs device code on the virtual module: cpython (default) or "
                    "micropython (the unix port; Linux x86-64, Python 3.11)"),
    OptionSpec("--emulator-heap", parse_size, default="0", readme=True,
               help="heap of the micropython engine, e.g. 256K (micropython -X "
                    "heapsize; default: 0, the interpreter's)"),
    OptionSpec("--emulator-nat", _switch, default="off", flag=True, readme=True,
               help="put the virtual module behind carrier NAT: the server sees it at "
                    "another address than dataCall.getInfo gives, so active mode (PORT) "
                    "fails, as on most SIMs (default: off)"),
    OptionSpec("--emulator-link", _link, default="none", metavar="NAME", readme=True,
               help="the cellular link the virtual module's sockets sit behind: %s "
                    "(default: none, the host's loopback; figures and sources: "
                    "harness/link_profiles.py)" % ", ".join(PRESETS)),
    OptionSpec("--ftp-dialect", _dialect, metavar="NAME", readme=True,
               help="our server answers as another does: vsftpd, proftpd, pure-ftpd, "
                    "iis, filezilla, or nat (a 227 naming an address the module cannot "
                    "reach); local only (default: pyftpdlib's own replies)"),
    OptionSpec("--ftp-bind", parse_host, readme=True,
               help="address our FTP server listens on (local: 127.0.0.1, "
                    "ssh://: 0.0.0.0)"),
    OptionSpec("--ftp-public-host", parse_host, ini="string", readme=True,
               help="the address the module connects to and PASV names (NAT "
                    "masquerade); default: the bind address, or the ssh:// host"),
    OptionSpec("--ftp-port", parse_port, readme=True,
               help="FTP control port 1..65535, or 0: any free port (default: any free "
                    "port local, 2121 ssh://)"),
    OptionSpec("--ftp-passive-ports", parse_port_range, ini="string", readme=True,
               help="passive data ports, e.g. 60000-60100 (local: any; "
                    "ssh://: 60000-60100)"),
    OptionSpec("--ftp-ssh-key", _existing_file_text,
               help="ssh:// private key file (ssh -i)"),
    OptionSpec("--ftp-ssh-option", parse_ssh_option, repeatable=True,
               help="ssh:// extra ssh -o option, e.g. StrictHostKeyChecking=accept-new; "
                    "repeatable"),
    OptionSpec("--ftp-ssh-python", parse_free_text, default="python3",
               help="ssh:// Python on the host, with pyftpdlib>=2 (default python3)"),
    OptionSpec("--ftp-control-timeout", parse_duration, default="30", metavar="SECONDS",
               help="seconds for the ssh connection and each ssh:// or ftp:// "
                    "control request (default: 30)"),
    OptionSpec("--ftp-watchdog", parse_duration, default="30", metavar="SECONDS",
               help="ssh://: seconds the server outlives a silent harness before it "
                    "stops by itself (default: 30)"),
    OptionSpec("--link-rtt", parse_wait, metavar="SECONDS", ini="string", readme=True,
               help="the module's expected network round trip, s: every wait the network "
                    "stretches grows with it (default: measured with NOOPs at session start "
                    "on a bench; the --emulator-link profile's on the virtual module)"),
    OptionSpec("--stall-timeout", parse_duration, default="3", metavar="SECONDS", readme=True,
               help="FTP timeout (s) the module uses where a scenario stalls a transfer "
                    "(default: 3)"),
    OptionSpec("--network-reattach-timeout", parse_duration, default="60", metavar="SECONDS",
               readme=True,
               help="seconds the module waits for its network to come back in the "
                    "network_loss scenarios (default: 60)"),
    OptionSpec("--reconnect-timeout", parse_duration, default="30", metavar="SECONDS",
               readme=True,
               help="seconds to wait for the module's port to come back after a reboot "
                    "(default: 30)"),
    OptionSpec("--reset-command", parse_command, metavar="CMD", readme=True,
               help="command that power-cycles the module when neither Ctrl-C nor a soft "
                    "reboot brings it back (a relay, uhubctl, an AT command); {port} "
                    "becomes its port"),
    OptionSpec("--summary-json", parse_output_file, metavar="PATH", readme=True,
               help="one JSON record per scenario, for trends across firmware builds "
                    "(default: summary.json beside the --html report, else "
                    "reports/summary.json)"),
)

# name -> pytest ini type: a bench PC's own settings (issue 15): where its modules
# are, which server and ftplib it uses, and how its network is seen from a module
INI_SETTINGS: dict[str, IniType] = {spec.dest: spec.ini for spec in OPTIONS if spec.ini}
