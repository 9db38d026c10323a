"""labgrid:// values and what labgrid-client prints, read without a lab.

The texts below are what labgrid 26.0.1's labgrid-client printed against a real
coordinator (tests/test_labgrid.py drives that lab end to end); here the corners:
forms of the URL, several serial ports, a raw TCP port, an isolated exporter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.bench.labgrid_client import (
    CLIENT_ENV,
    LabgridError,
    PlaceInfo,
    SerialResource,
    find_client,
    parse_places,
    parse_serial_resources,
)
from harness.bench.labgrid_client import _last_reservation as last_reservation
from harness.bench.labgrid_place import parse_labgrid_url, serial_url
from harness.bench.pool import pool_from_options
from harness.bench.spec import PoolConfigError
from harness.options.values import OptionError, parse_host_port
from harness.ports.key import port_key
from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]

PLACES = """\
Place 'lg-pass':
  tags: lab=ci, module=ec600u
  matches:
    hil/passthrough/NetworkSerialPort
  acquired: None
  acquired resources:
  created: 2026-12-06 08:11:35.742761
  changed: 2026-12-06 08:11:36.616890
Place 'lg-pty':
  tags: module=ec600u
  matches:
    hil/pty/NetworkSerialPort
  acquired: vm/alice
  acquired resources:
    hil/pty/NetworkSerialPort/RawSerialPort
  created: 2026-12-06 08:11:37.050979
  changed: 2026-12-06 08:11:45.664806
  reservation: PAFW5GTG67
"""

RESERVED = """\
Reservation 'PAFW5GTG67':
  owner: vm/root
  token: PAFW5GTG67
  state: allocated
  filters:
    main: module=ec600u
  allocations:
    main: lg-pty
  created: 2026-12-06 08:11:44.772061
  timeout: 2026-12-06 08:12:44.772100
"""

WAITED = """\
owner: vm/root
token: 2D0DMZEC0Z
state: waiting
filters:
  main: name=lg-pty
created: 2026-12-06 08:11:42.278713
timeout: 2026-12-06 08:12:42.278771
owner: vm/root
token: 2D0DMZEC0Z
state: allocated
filters:
  main: name=lg-pty
allocations:
  main: lg-pty
created: 2026-12-06 08:11:42.278713
timeout: 2026-12-06 08:12:43.301002
"""

SHOWN = """\
Place 'lg-pty':
  tags: module=ec600u
  matches:
    hil/pty/NetworkSerialPort
  acquired: vm/root
  acquired resources:
    hil/pty/NetworkSerialPort/RawSerialPort
  created: 2026-12-06 08:11:37.050979
  changed: 2026-12-06 08:11:45.664806
  reservation: PAFW5GTG67
Acquired resource 'RawSerialPort' (hil/pty/NetworkSerialPort/RawSerialPort):
  {'acquired': 'lg-pty',
   'avail': True,
   'cls': 'NetworkSerialPort',
   'params': {'extra': {'path': '/dev/pts/1',
                        'proxy': 'localhost',
                        'proxy_required': False},
              'host': '127.0.0.1',
              'port': 46881,
              'speed': 115200}}
Acquired resource 'PowerPort' (hil/power/NetworkPowerPort/PowerPort):
  {'acquired': 'lg-pty', 'avail': True, 'cls': 'NetworkPowerPort',
   'params': {'host': 'pdu', 'index': '3', 'model': 'gude'}}
"""


def test_a_labgrid_url_names_a_place_or_tags_or_both() -> None:
    by_name = parse_labgrid_url("labgrid://lg-pty")
    assert by_name.filters() == ["name=lg-pty"]
    by_tags = parse_labgrid_url("labgrid://?module=ec600u&lab=ci")
    assert by_tags.filters() == ["module=ec600u", "lab=ci"]
    assert parse_labgrid_url("labgrid://lg-pass/?lab=ci").filters() == ["name=lg-pass", "lab=ci"]
    places = parse_places(PLACES)
    assert [p.name for p in places if by_tags.fits(p)] == ["lg-pass"]
    assert [p.name for p in places if by_name.fits(p)] == ["lg-pty"]


@pytest.mark.parametrize("url", ["labgrid://", "labgrid://?", "labgrid://?module",
                                 "labgrid://?=ec600u", "labgrid://a/b"])
def test_a_labgrid_url_without_a_place_or_tags_says_what_to_write(url: str) -> None:
    with pytest.raises(LabgridError, match=r"expected labgrid://PLACE or "
                                           r"labgrid://\?KEY=VALUE"):
        parse_labgrid_url(url)


def test_places_are_read_with_tags_holder_and_reservation() -> None:
    free, held = parse_places(PLACES)
    assert free == PlaceInfo("lg-pass", {"lab": "ci", "module": "ec600u"}, "", "",
                             "2026-12-06 08:11:36.616890")
    assert held.acquired == "vm/alice" and held.reservation == "PAFW5GTG67"
    assert held.holder() == "acquired by vm/alice since 2026-12-06 08:11:45.664806"
    assert free.holder() == ""


def test_a_reservation_is_read_from_reserve_and_from_the_last_poll_of_wait() -> None:
    reserved = last_reservation(RESERVED)
    assert reserved is not None
    assert (reserved.token, reserved.state, reserved.place, reserved.owner) == \
        ("PAFW5GTG67", "allocated", "lg-pty", "vm/root")
    waited = last_reservation(WAITED)
    assert waited is not None and (waited.state, waited.place) == ("allocated", "lg-pty")
    assert last_reservation("") is None


def test_the_serial_ports_of_an_acquired_place_are_read_and_the_rest_left() -> None:
    assert parse_places(SHOWN)[0].tags == {"module": "ec600u"}
    assert parse_serial_resources(SHOWN) == [
        SerialResource("RawSerialPort", "127.0.0.1", 46881, "rfc2217", "/dev/pts/1", False)]


def test_the_url_is_rfc2217_and_a_pseudo_terminal_gets_ign_set_control() -> None:
    pty = SerialResource("RawSerialPort", "127.0.0.1", 4001, path="/dev/pts/3")
    usb = SerialResource("USBSerialPort", "lab-b", 4002, path="/dev/ttyUSB6")
    assert serial_url("p", [pty]) == "rfc2217://127.0.0.1:4001?ign_set_control"
    assert serial_url("p", [usb]) == "rfc2217://lab-b:4002"
    assert serial_url("p", [SerialResource("NetworkSerialPort", "fe80::1", 23, "raw")]) == \
        "socket://[fe80::1]:23"


def test_of_several_serial_ports_the_one_named_repl_is_opened() -> None:
    at = SerialResource("at", "lab-b", 4001)
    repl = SerialResource("repl", "lab-b", 4002)
    assert serial_url("p", [at, repl]) == "rfc2217://lab-b:4002"
    with pytest.raises(LabgridError, match=r"2 serial ports \(at, debug\); name the module's "
                                           r"REPL port repl: labgrid-client -p p "
                                           r"add-named-match"):
        serial_url("p", [at, SerialResource("debug", "lab-b", 4003)])


@pytest.mark.parametrize(("resources", "expected"), [
    ([], "has no serial port"),
    ([SerialResource("s", "lab-b", 4001, proxy_required=True)], "only through an ssh proxy"),
    ([SerialResource("s", "lab-b", None)], "has no host:port"),
])
def test_a_place_the_harness_cannot_open_says_why(resources: list[SerialResource],
                                                  expected: str) -> None:
    with pytest.raises(LabgridError, match=expected):
        serial_url("p", resources)


def test_two_labgrid_values_with_other_tags_are_two_modules_and_the_same_one_is_refused(
        ) -> None:
    assert port_key("labgrid://?module=ec600u&lab=ci") == "labgrid://?lab=ci&module=ec600u"
    assert port_key("labgrid://lg-a/") == "labgrid://lg-a"
    specs = pool_from_options(["labgrid://?module=ec600u,labgrid://?module=eg912u"], None)
    assert [s.port for s in specs] == ["labgrid://?module=ec600u", "labgrid://?module=eg912u"]
    with pytest.raises(PoolConfigError, match="are the same port"):
        pool_from_options(["labgrid://?module=ec600u&lab=ci,labgrid://?lab=ci&module=ec600u"],
                          None)


@pytest.mark.parametrize("good", ["lab.example.net", "127.0.0.1:20408", "[::1]:20408"])
def test_a_coordinator_is_host_or_host_and_port(good: str) -> None:
    assert parse_host_port("--labgrid-coordinator", good) == good


@pytest.mark.parametrize("bad", ["", "lab:", "lab:port", "lab:70000", "http://lab"])
def test_a_coordinator_that_is_not_host_and_port_is_refused(bad: str) -> None:
    with pytest.raises(OptionError, match="give HOST or HOST:PORT"):
        parse_host_port("--labgrid-coordinator", bad)


def test_a_missing_labgrid_client_says_what_to_install_and_where(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CLIENT_ENV, str(tmp_path / "labgrid-client"))
    with pytest.raises(LabgridError) as missing:
        find_client()
    message = str(missing.value)
    assert "labgrid-client not found" in message and "pip install labgrid" in message
    assert "not in this one" in message and "#1245" in message


def run_pytest(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in env.items() if not k.startswith("PYTEST_")}
    return warm_python.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
         "scenarios/test_550.py", *args], cwd=ROOT, env=environ, timeout=120)


@pytest.mark.parametrize(("device", "expected"), [
    ("labgrid://", "--device=labgrid://: expected labgrid://PLACE or labgrid://?KEY=VALUE"
                   "[&KEY=VALUE] (the place's tags, e.g. labgrid://?module=ec600u)"),
    ("labgrid://lg-a,/dev/ttyNOPE0", "--device=labgrid://... cannot be mixed with other "
                                     "ports (/dev/ttyNOPE0); run them separately"),
])
def test_a_labgrid_value_the_run_cannot_use_stops_it_before_collection(device: str,
                                                                        expected: str) -> None:
    proc = run_pytest("--device=%s" % device, env=dict(os.environ))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, out
    assert out.strip() == "ERROR: qpy-ftp-hil: " + expected, out


def test_without_labgrid_client_the_run_stops_saying_what_to_install(tmp_path: Path) -> None:
    env = dict(os.environ, **{CLIENT_ENV: str(tmp_path / "labgrid-client")})
    proc = run_pytest("--device=labgrid://lg-a", env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    assert "labgrid://lg-a (model unknown) left the pool: labgrid-client not found (%s): " \
        "install labgrid in an environment of its own" % (tmp_path / "labgrid-client") in out
    assert "Traceback" not in out
