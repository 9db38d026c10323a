"""Bad input at the door (issue 17): every option, a broken ftplib, a server the run
cannot use, each through a real pytest run of the scenarios.

Each run must end with the right exit code and one line that names the option (or
the file, or the server) and what to do; never a "Traceback" or an "INTERNALERROR".
Runs against the virtual module leave nothing behind (it lives only for the run);
runs against an attached server leave its folder as they found it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.options import INI_SETTINGS
from harness.servers.attached import PASSWORD_ENV
from tests import warm_python
from tests.support import free_port, stop_process

ROOT = Path(__file__).resolve().parents[1]
USAGE = 4  # pytest's usage-error exit code: a value the run cannot use
SCENARIO = ["scenarios/test_550.py", "-k", "test_retr_missing_file_is_550"]
pytestmark = pytest.mark.timeout(180)

# one bad value per option: (argument, what the one line must say)
BAD_VALUES: dict[str, tuple[str, str]] = {
    "--device": ("--device=emulated,/dev/ttyNOPE0", "cannot be mixed with real modules"),
    "--devices-file": ("--devices-file=no-such-bench.ini", "does not exist"),
    "--device-label": ("--device-label=nomatch", "--device-label=nomatch: no module has that "
                       "model, name or label; there is: emulated (model EC600U, labels: "
                       "emulated)"),
    "--device-firmware": ("--device-firmware=(", "--device-firmware=(: not a regular expression"),
    "--device-wait": ("--device-wait=-1", "--device-wait=-1: give seconds >= 0"),
    "--device-timeout": ("--device-timeout=0",
                         "--device-timeout=0: a timeout must be a number of seconds > 0"),
    "--prompt-timeout": ("--prompt-timeout=0",
                         "--prompt-timeout=0: a timeout must be a number of seconds > 0"),
    "--reconnect-timeout": ("--reconnect-timeout=soon", "--reconnect-timeout=soon: give seconds"),
    "--network-reattach-timeout": ("--network-reattach-timeout=0",
                                   "--network-reattach-timeout=0: a timeout must be"),
    "--ftp-server": ("--ftp-server=gopher://x@y", "--ftp-server=gopher://x@y: use 'local'"),
    "--ftplib": ("--ftplib=no-such-ftplib.py", "is neither auto, bundled, firmware nor an "
                 "existing file"),
    "--payload-sizes": ("--payload-sizes=abc", "--payload-sizes=abc: 'abc' is not a size: use a "
                        "comma-separated list of whole bytes >= 0, with an optional K, M or G "
                        "suffix"),
    "--emulator-usr-kib": ("--emulator-usr-kib=0", "--emulator-usr-kib=0: give a whole number"),
    "--emulator-engine": ("--emulator-engine=pypy",
                          "--emulator-engine=pypy: use one of: cpython, micropython"),
    "--emulator-heap": ("--emulator-heap=lots", "--emulator-heap=lots: use whole bytes"),
    "--emulator-link": ("--emulator-link=5g", "--emulator-link=5g: use one of: none, lte-cat1"),
    "--ftp-dialect": ("--ftp-dialect=wu-ftpd", "--ftp-dialect=wu-ftpd: use one of: vsftpd, "
                      "proftpd, pure-ftpd, iis, filezilla, nat"),
    "--link-rtt": ("--link-rtt=-1", "--link-rtt=-1: give seconds >= 0"),
    "--ftp-bind": ("--ftp-bind=http://0.0.0.0", "give a host name or an IP address"),
    "--ftp-public-host": ("--ftp-public-host=my host", "give a host name or an IP address"),
    "--ftp-port": ("--ftp-port=70000", "--ftp-port=70000: a TCP port 1..65535 (or 0: any free "
                   "port)"),
    "--ftp-passive-ports": ("--ftp-passive-ports=9-1", "--ftp-passive-ports=9-1: a port range"),
    "--ftp-ssh-key": ("--ftp-ssh-key=no-such-key", "--ftp-ssh-key=no-such-key: does not exist"),
    "--ftp-ssh-option": ("--ftp-ssh-option=StrictHostKeyChecking",
                         "give one ssh option as Key=Value"),
    "--ftp-ssh-python": ("--ftp-ssh-python=", "--ftp-ssh-python=: must not be empty"),
    "--ftp-control-timeout": ("--ftp-control-timeout=-1", "a timeout must be"),
    "--ftp-watchdog": ("--ftp-watchdog=0", "--ftp-watchdog=0: a timeout must be"),
    "--stall-timeout": ("--stall-timeout=-1",
                        "--stall-timeout=-1: a timeout must be a number of seconds > 0"),
    "--reset-command": ("--reset-command=no-such-relay-tool {port}",
                        "program 'no-such-relay-tool' not found"),
    "--summary-json": ("--summary-json=tests", "--summary-json=tests: is a folder"),
    "--labgrid-client": ("--labgrid-client=no-such-labgrid-client",
                         "--labgrid-client=no-such-labgrid-client: program not found"),
    "--labgrid-coordinator": ("--labgrid-coordinator=lab:port",
                              "--labgrid-coordinator=lab:port: give HOST or HOST:PORT"),
}
# options whose every value is fine (free text checked where it is used, or a flag);
# an option added later goes in BAD_VALUES above or here, with the reason
FREE_TEXT: dict[str, str] = {"--emulator-nat": "a flag: there is no value to get wrong"}


def run_pytest(*args: str, env: dict[str, str] | None = None,
               cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in (env or os.environ).items() if not k.startswith("PYTEST_")}
    return warm_python.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
         "--prompt-timeout=2", *args],
        cwd=cwd, env=environ, timeout=150)


def assert_one_line(proc: subprocess.CompletedProcess[str], code: int, expected: str) -> str:
    """The run ended with `code`, and `expected` is on one line; no traceback wall."""
    out = proc.stdout + proc.stderr
    assert proc.returncode == code, out
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
    lines = [line for line in out.splitlines() if expected in line]
    assert lines, "%r is not on one line of:\n%s" % (expected, out)
    return lines[0]


def assert_usage_error(proc: subprocess.CompletedProcess[str], expected: str) -> None:
    """Stopped before collection: the whole output is pytest's one usage-error line."""
    line = assert_one_line(proc, USAGE, expected)
    printed = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert printed == [line], printed
    assert line.startswith("ERROR: qpy-ftp-hil: "), line


# --- every option ----------------------------------------------------------------


def declared_options() -> set[str]:
    """The options `pytest --help` lists under qpy-ftp-hil (whoever declared them)."""
    proc = run_pytest("--help", "-p", "no:xdist")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    section = proc.stdout.split("\nqpy-ftp-hil:\n", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^  (--[a-z0-9-]+)", section, re.MULTILINE))


def test_every_option_has_a_bad_value_row_or_is_free_text() -> None:
    declared = declared_options()
    assert "--payload-sizes" in declared and "--summary-json" in declared
    missing = declared - set(BAD_VALUES) - set(FREE_TEXT)
    assert not missing, "options with no bad-value row in tests/test_bad_input.py: %s" % (
        ", ".join(sorted(missing)))
    assert not (set(BAD_VALUES) | set(FREE_TEXT)) - declared, "rows for options that are gone"


@pytest.mark.parametrize("option", sorted(BAD_VALUES))
def test_a_bad_value_ends_the_run_in_one_line(option: str) -> None:
    argument, expected = BAD_VALUES[option]
    assert_usage_error(run_pytest(*SCENARIO, argument), expected)


# --- the table, row by row ----------------------------------------------
# (its rows for --payload-sizes=abc, --stall-timeout, --device-timeout, --prompt-timeout,
# --ftp-port and --device-label are BAD_VALUES' rows above, with the table's whole line)


@pytest.mark.parametrize("argument, expected", [
    ("--payload-sizes=-5", "--payload-sizes=-5: sizes are >= 0"),
    ("--payload-sizes=99999999999", "--payload-sizes=99999999999: a size is at most 1G"),
])
def test_table_row_refused_at_start(argument: str, expected: str) -> None:
    assert_usage_error(run_pytest(*SCENARIO, argument), expected)


def test_sizes_take_suffixes_and_one_the_module_cannot_hold_is_skipped_with_the_reason(
        tmp_path: Path) -> None:
    proc = run_pytest("scenarios/test_upload.py", "-k", "test_upload_binary", "-rs",
                      "--payload-sizes=1K,8M", "--ftplib=bundled", "-p", "no:xdist",
                      "--summary-json=%s" % (tmp_path / "summary.json"))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "1 passed, 1 skipped" in out, out
    assert "lacks what this test requires: usr_free >= 8388608 bytes" in out, out


@pytest.fixture
def broken_ftplib(tmp_path: Path) -> Path:
    return tmp_path / "ftplib.py"  # each test writes what is wrong with it


def test_ftplib_that_does_not_compile_stops_before_the_first_scenario(broken_ftplib: Path
                                                                      ) -> None:
    broken_ftplib.write_text("class FTP:\n    def connect(self, host:\n        pass\n")
    proc = run_pytest(*SCENARIO, "--ftplib=%s" % broken_ftplib)
    assert_usage_error(proc, "--ftplib=%s: the module cannot import it: %s, line 2: "
                             "SyntaxError: invalid syntax" % (broken_ftplib, broken_ftplib))


def test_ftplib_in_a_syntax_micropython_refuses_is_named_with_the_line(broken_ftplib: Path
                                                                       ) -> None:
    broken_ftplib.write_text("GREETING = 'hi'\nWELCOME = f'{GREETING}'\n")
    proc = run_pytest(*SCENARIO, "--ftplib=%s" % broken_ftplib)
    assert_usage_error(proc, "%s, line 2: SyntaxError: invalid syntax" % broken_ftplib)


def test_ftplib_that_imports_what_the_firmware_lacks_stops_the_run(broken_ftplib: Path) -> None:
    broken_ftplib.write_text("import os\n\n\nclass FTP:\n    pass\n")
    proc = run_pytest(*SCENARIO, "--ftplib=%s" % broken_ftplib)
    assert_usage_error(proc, "%s, line 1: ImportError: no module named 'os'" % broken_ftplib)


@pytest.mark.parametrize("workers", [["-p", "no:xdist"], ["-n", "2"]], ids=["alone", "xdist"])
def test_what_only_the_module_refuses_stops_the_run_at_session_start(
        broken_ftplib: Path, workers: list[str], tmp_path: Path) -> None:
    # the host cannot know this module is missing: the module's own import says so
    broken_ftplib.write_text("import ufirmware_lacks_this\n"
                             + (ROOT / "device_scripts" / "ftplib.py").read_text())
    proc = run_pytest(*SCENARIO, "--ftplib=%s" % broken_ftplib, *workers,
                      "--summary-json=%s" % (tmp_path / "summary.json"))
    line = assert_one_line(proc, USAGE, "--ftplib=%s: the module cannot import it: "
                           "/usr/hil/user/ftplib.py, line 1: ImportError: no module named "
                           "'ufirmware_lacks_this'" % broken_ftplib)
    assert "qpy-ftp-hil: " in line
    assert " passed" not in proc.stdout and " failed" not in proc.stdout  # no scenario ran


@pytest.mark.parametrize("source, missing", [
    ("", "no class FTP (the steps call FTP(), FTP.connect(host, port, timeout), "),
    ("class FTP:\n    pass\n", "FTP lacks connect, set_pasv, login, sendcmd, getresp, "
                               "retrbinary, storbinary, retrlines, quit, close"),
], ids=["empty", "class-FTP-pass"])  # the other gaps: tests/test_ftplib_calls.py
def test_a_hollow_ftplib_is_refused_at_the_door_naming_what_it_lacks(
        broken_ftplib: Path, source: str, missing: str) -> None:
    broken_ftplib.write_text(source)
    proc = run_pytest(*SCENARIO, "--ftplib=%s" % broken_ftplib)
    assert_usage_error(proc, "--ftplib=%s: the device steps cannot use it: %s"
                       % (broken_ftplib, missing))


def test_an_ftplib_hollow_only_at_run_time_is_refused_by_the_module(
        broken_ftplib: Path, tmp_path: Path) -> None:
    # a class built when the file runs: the host's call-free look cannot tell, the module
    # can (how a worker gives up under xdist: the module's import refusal above)
    broken_ftplib.write_text("FTP = type('FTP', (), {})\n")
    proc = run_pytest(*SCENARIO, "--ftplib=%s" % broken_ftplib, "-p", "no:xdist",
                      "--summary-json=%s" % (tmp_path / "summary.json"))
    assert_one_line(proc, USAGE, "--ftplib=%s (user): the device steps cannot use it: FTP "
                    "lacks connect, set_pasv, login" % broken_ftplib)
    assert " passed" not in proc.stdout and " failed" not in proc.stdout  # no scenario ran


# --- an attached server the run cannot use ---------------------------------------


FTPD = """
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

users = DummyAuthorizer()
users.add_user("qa", "right", sys.argv[1], perm="elradfmw")
users.add_user("reader", "right", sys.argv[1], perm="elr")  # may not write anywhere


class Handler(FTPHandler):
    authorizer = users
    auth_failed_timeout = 0


server = FTPServer(("127.0.0.1", 0), Handler)
print(server.address[1], flush=True)
server.serve_forever()
"""


@pytest.fixture(scope="module")
def company_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """A real pyftpdlib server in its own process: (port, its folder)."""
    home = tmp_path_factory.mktemp("company-ftp")
    proc = subprocess.Popen([sys.executable, "-c", FTPD, str(home)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield port, home
    finally:
        stop_process(proc)


def test_an_attached_server_that_works_is_left_as_it_was(company_server: tuple[int, Path],
                                                         tmp_path: Path) -> None:
    port, home = company_server
    proc = run_pytest(*SCENARIO, "--ftp-server=ftp://qa@127.0.0.1:%d/" % port,
                      "--summary-json=%s" % (tmp_path / "summary.json"), "-p", "no:xdist",
                      env={**os.environ, PASSWORD_ENV: "right"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(home.iterdir()) == []


@pytest.mark.parametrize("who, password, expected", [
    ("qa", "wrong", "login refused for qa at 127.0.0.1:{port} (530 Authentication failed.): "
                    "check the user and %s" % PASSWORD_ENV),
    ("reader", "right", "no write permission in / for reader on 127.0.0.1:{port}"),
], ids=["530", "read-only"])
def test_an_attached_server_the_run_cannot_use_stops_it_in_one_line(
        company_server: tuple[int, Path], who: str, password: str, expected: str) -> None:
    port, home = company_server
    proc = run_pytest(*SCENARIO, "--ftp-server=ftp://%s@127.0.0.1:%d/" % (who, port),
                      env={**os.environ, PASSWORD_ENV: password})
    assert_usage_error(proc, expected.format(port=port))
    assert "sendall" not in proc.stdout + proc.stderr
    assert list(home.iterdir()) == []


def test_an_attached_server_that_refuses_connections_stops_the_run_in_one_line() -> None:
    port = free_port()  # nobody listens there
    proc = run_pytest(*SCENARIO, "--ftp-server=ftp://qa@127.0.0.1:%d/" % port,
                      env={**os.environ, PASSWORD_ENV: "right"})
    assert_usage_error(proc, "cannot reach 127.0.0.1:%d: connection refused" % port)


# --- the ini file (issue 15, item 5) --------------------------------------------


def run_with_ini(tmp_path: Path, ini: str, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "pytest.ini"
    path.write_text("[pytest]\n" + ini)
    return run_pytest("-c", str(path), "--rootdir", str(ROOT), *args,
                      "--summary-json=%s" % (tmp_path / "summary.json"))


BAD_INI_VALUES: dict[str, tuple[str, str]] = {
    "device": ("emulated, /dev/ttyNOPE0", "cannot be mixed with real modules"),
    "devices_file": ("no-such-bench.ini", "pytest.ini: devices_file=%s: does not exist"),
    "device_label": ("nomatch", "--device-label=nomatch: no module has that"),
    "ftp_server": ("gopher://x@y", "pytest.ini: ftp_server=gopher://x@y: use 'local'"),
    "ftplib": ("no-such-ftplib.py", "pytest.ini: ftplib=no-such-ftplib.py: "),
    "payload_sizes": ("abc", "pytest.ini: payload_sizes=abc: 'abc' is not a size"),
    "ftp_public_host": ("my host", "pytest.ini: ftp_public_host=my host: give a host name"),
    "ftp_passive_ports": ("9-1", "pytest.ini: ftp_passive_ports=9-1: a port range"),
    "labgrid_client": ("no-such-labgrid-client", "pytest.ini: labgrid_client=no-such-labgrid-"
                       "client: program not found"),
    "labgrid_coordinator": ("lab:port", "pytest.ini: labgrid_coordinator=lab:port: give HOST"),
    "link_rtt": ("slow", "pytest.ini: link_rtt=slow: give seconds as a number >= 0"),
}


def test_every_ini_setting_has_a_bad_value_row() -> None:
    assert set(BAD_INI_VALUES) == set(INI_SETTINGS)


@pytest.mark.parametrize("name", sorted(BAD_INI_VALUES))
def test_a_bad_ini_setting_is_named_with_its_file(name: str, tmp_path: Path) -> None:
    value, expected = BAD_INI_VALUES[name]
    proc = run_with_ini(tmp_path, "%s = %s\n" % (name, value), *SCENARIO)
    assert_usage_error(proc, expected.replace("%s", str(tmp_path / value)))


def test_the_command_line_wins_over_the_ini_file(tmp_path: Path) -> None:
    proc = run_with_ini(tmp_path, "payload_sizes = abc\n", "scenarios/test_upload.py",
                        "-k", "test_upload_binary", "--payload-sizes=1K", "--ftplib=bundled",
                        "-p", "no:xdist", "--collect-only")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "test_upload_binary[ftplib=bundled-1024B]" in out, out


def test_ini_settings_are_used_and_paths_are_from_the_ini_folder(tmp_path: Path) -> None:
    (tmp_path / "my_ftplib.py").write_bytes((ROOT / "device_scripts" / "ftplib.py").read_bytes())
    proc = run_with_ini(tmp_path, "payload_sizes = 2K\nftplib = my_ftplib.py\n",
                        "scenarios/test_upload.py", "-k", "test_upload_binary", "-p", "no:xdist",
                        "-rA")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "PASSED scenarios/test_upload.py::test_upload_binary[ftplib=my_ftplib.py-2048B]" \
        in out, out
