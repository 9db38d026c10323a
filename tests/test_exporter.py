"""`python -m harness export`: a module shared over RFC 2217 by our own exporter.

The exporter is real (pyserial's PortManager over real sockets), the module is
a virtual one on a real pseudo-terminal, and the clients are pyserial's
rfc2217:// client and the harness itself.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import serial

from harness.bench.locks import LOCK_DIR_ENV
from harness.errors import DeviceBusy
from harness.ports.export_refusal import REFUSAL_PREFIX, exporter_refusal
from harness.ports.exporter import PortExport, export_ports, parse_bind
from harness.wire.device import Device
from tests import warm_python
from tests.support import QUICK_HANDOVER, free_port_range, stop_process

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    # pyserial 3.5's rfc2217 client still calls Thread.setName
    pytest.mark.filterwarnings("ignore:set(Name|Daemon)\\(\\) is deprecated:DeprecationWarning"),
]


class Lines:
    """Health lines an exporter printed, as they come (thread safe)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.then: Callable[[str], None] | None = None  # run on each line, as it is said

    def __call__(self, line: str) -> None:
        with self._cond:
            self.lines.append(line)
            self._cond.notify_all()
        if self.then is not None:
            self.then(line)

    def wait_for(self, pattern: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.lines:
                    if re.search(pattern, line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no line matching %r in %s" % (pattern, self.lines))
                self._cond.wait(left)


@pytest.fixture
def export(start_module) -> Iterator[Callable[..., tuple[PortExport, Lines]]]:
    """Export a fresh virtual module on 127.0.0.1 (any free port); stopped after the test."""
    started: list[PortExport] = []

    def start(handover: float = QUICK_HANDOVER) -> tuple[PortExport, Lines]:
        lines = Lines()
        module = start_module()
        started.append(PortExport(module.port, "127.0.0.1", 0, lines,
                                  handover=handover).start())
        return started[-1], lines

    yield start
    for exporter in started:
        exporter.stop()


def url(exporter: PortExport) -> str:
    return "rfc2217://127.0.0.1:%d" % exporter.port


def test_bind_parsing() -> None:
    assert parse_bind("0.0.0.0:4001") == ("0.0.0.0", 4001)
    assert parse_bind("[::1]:4001") == ("::1", 4001)
    assert parse_bind("4001") == ("0.0.0.0", 4001)
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_bind("bench-a:port")


def test_a_module_exported_runs_code_and_says_who_connected(export) -> None:
    exporter, lines = export()
    device = Device.open(url(exporter))  # no ?ign_set_control: the exporter answers it all
    try:
        assert device.exec("print(6 * 7)").strip() == "42"
    finally:
        device.close()
    lines.wait_for(r"client 127\.0\.0\.1:\d+ connected")
    line = lines.wait_for(r"disconnected after")
    sent, got = map(int, re.search(r"(\d+) bytes to the module, (\d+) from it", line).groups())
    assert sent > 0 and got > 0


def test_a_second_client_is_refused_with_a_line_saying_who_has_the_module(export) -> None:
    exporter, lines = export()
    first = serial.serial_for_url(url(exporter), baudrate=115200, timeout=0.05)
    try:
        holder = lines.wait_for(r"client (127\.0\.0\.1:\d+) connected")
        with socket.create_connection(("127.0.0.1", exporter.port), timeout=5) as second:
            text = second.makefile("rb").readline().decode()
        assert text.startswith(REFUSAL_PREFIX)
        assert re.search(r"client 127\.0\.0\.1:\d+ \(since", text)
        assert holder.split("client ")[1].split()[0] in text  # names the holder
        lines.wait_for(r"refused client 127\.0\.0\.1:\d+")
        # the harness hears the refusal as "busy", with the holder, not as a dead port
        # (pyserial gives up on the refused negotiation after its URL's timeout, 3 s unless
        # the URL says otherwise: the busy line is what matters here)
        with pytest.raises(DeviceBusy, match="in use by client 127.0.0.1"):
            Device.open(url(exporter) + "?timeout=1")
        # the first client is still served
        first.write(b"\r\x03\x03\x01")
        seen = bytearray()
        deadline = time.monotonic() + 10
        while b"raw REPL; CTRL-B to exit" not in seen and time.monotonic() < deadline:
            seen += first.read(256)
        assert b"raw REPL; CTRL-B to exit" in seen
    finally:
        first.close()
    lines.wait_for(r"disconnected after")
    assert exporter_refusal(url(exporter), timeout=1) is None  # free again: no busy line
    Device.open(url(exporter)).close()


def test_a_module_whose_client_leaves_during_a_refusal_is_opened_not_lost(export) -> None:
    exporter, lines = export()
    holder = serial.serial_for_url(url(exporter), baudrate=115200, timeout=0.05)
    lines.wait_for(r"client 127\.0\.0\.1:\d+ connected")
    # the holder leaves right as the exporter refuses the harness, before the harness
    # looks why (the exporter says the refusal before it accepts the next connection)
    lines.then = lambda line: holder.close() if line.split(": ", 1)[1].startswith(
        "refused client") else None
    device = Device.open(url(exporter) + "?timeout=1")
    try:
        assert device.exec("print(6 * 7)").strip() == "42"
    finally:
        device.close()
    assert len([line for line in lines.lines if "refused client" in line]) == 1


def test_a_client_asking_for_settings_the_port_refuses_gets_one_line(export) -> None:
    exporter, lines = export()
    # pyserial's client: "remote rejected value for option 'baudrate'"
    with pytest.raises((ValueError, serial.SerialException), match="rejected value|accept"):
        serial.serial_for_url(url(exporter), baudrate=2 ** 31)  # a pty cannot do this
    lines.wait_for(r"client asked for baudrate=2147483648, the port refused")
    lines.wait_for(r"disconnected after")
    Device.open(url(exporter)).close()  # the port is still served, with sane settings


def test_a_port_that_cannot_be_opened_is_one_line_and_the_others_are_served(
        start_module, tmp_path: Path) -> None:
    module = start_module()
    lines = Lines()
    missing = str(tmp_path / "ttyUSB-missing")
    exports = export_ports([missing, module.port], "127.0.0.1", 0, lines)
    try:
        assert [e.device for e in exports] == [module.port]
        bad = [line for line in lines.lines if missing in line]
        assert len(bad) == 1 and "cannot open it" in bad[0] and "not exported" in bad[0]
        Device.open(url(exports[0])).close()
    finally:
        for exporter in exports:
            exporter.stop()


def test_a_bind_address_in_use_is_one_line_and_the_next_port_is_served(start_module) -> None:
    first, second = start_module(), start_module()
    base = free_port_range(2)[0]
    squatter = socket.create_server(("127.0.0.1", base))  # someone else listens on base
    lines = Lines()
    try:
        exports = export_ports([first.port, second.port], "127.0.0.1", base, lines)
        try:
            assert [(e.device, e.port) for e in exports] == [(second.port, base + 1)]
            bad = [line for line in lines.lines if first.port in line]
            assert len(bad) == 1 and "address in use" in bad[0], lines.lines
            Device.open("rfc2217://127.0.0.1:%d" % (base + 1)).close()
        finally:
            for exporter in exports:
                exporter.stop()
    finally:
        squatter.close()


# -- the whole chain, as CI runs it ----------------------------------------


def _start(cmd: list[str], pattern: str, timeout: float = 20.0
           ) -> tuple[subprocess.Popen[str], re.Match[str]]:
    """Start a harness command and read its stdout until a line matches pattern."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return proc, found
    stop_process(proc)
    raise AssertionError("%s printed no line matching %r: %s" % (cmd, pattern, "".join(seen)))


@pytest.mark.end_to_end
def test_the_quick_catalogue_passes_through_the_exporter(tmp_path: Path) -> None:
    harness = [sys.executable, "-m", "harness"]
    emulator, found = _start(harness + ["emulator"], r"module on (\S+)")
    try:
        exporter, exported = _start(harness + ["export", found.group(1), "--bind",
                                               "127.0.0.1:0"], r"on (rfc2217://\S+)")
        try:
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("PYTEST_XDIST", "PYTEST_ADDOPTS", "PYTEST_CURRENT"))}
            env[LOCK_DIR_ENV] = str(tmp_path / "locks")
            proc = warm_python.run(
                [sys.executable, "-m", "pytest", "scenarios", "-m", "not slow",
                 "--device=%s" % exported.group(1), "-p", "no:cacheprovider", "-q",
                 "--basetemp", str(tmp_path / "tmp"), "--junitxml", str(tmp_path / "j.xml"),
                 "--html", str(tmp_path / "report.html"),
                 "--summary-json", str(tmp_path / "summary.json")],
                cwd=ROOT, env=env, timeout=600)
        finally:
            stop_process(exporter)
    finally:
        stop_process(emulator)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, tail
    assert re.search(r"\d+ passed", tail), tail
    assert re.search(r"rfc2217://127\.0\.0\.1:\d+ \(EC600U\) ran \d+ tests", tail), tail


def test_the_busy_peek_outwaits_the_exporters_hand_over() -> None:
    """The exporter holds a second client up to HANDOVER before it refuses it; a peek
    that gives up sooner hears nothing and calls a busy module "not found"."""
    from harness.ports.export_refusal import PEEK_TIMEOUT
    from harness.ports.exporter import HANDOVER

    assert PEEK_TIMEOUT >= HANDOVER + 3
