"""A real labgrid lab on 127.0.0.1 for the tests: a coordinator, an exporter, two places.

    lg-pass  a NetworkSerialPort passed through to `python -m harness export` of a
             virtual module (what a Windows bench PC's exporter is to labgrid)
    lg-pty   a RawSerialPort on a virtual module's pseudo-terminal, served by the
             exporter's own ser2net

Both carry the tag module=ec600u; lg-pass also lab=ci. labgrid runs from its own
environment (never this one: labgrid issue #1245): $QPY_HIL_LABGRID_CLIENT or
labgrid-client on PATH; coordinator and exporter are the programs beside it. These
tests take about a minute, so the plain suite skips them unless one is there; .ci/run
makes .venv-labgrid/ and runs them as a step of their own (marker `labgrid`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from harness.bench.labgrid_client import CLIENT_ENV, LabgridClient, LabgridError
from harness.emulator import ModuleConfig, VirtualModule
from tests.support import accepts, free_port

ROOT = Path(__file__).resolve().parents[1]
INSTALL = ("no labgrid-client: python -m venv .venv-labgrid && .venv-labgrid/bin/pip install "
           "labgrid (an environment of its own: its pyserial-labgrid replaces pyserial, "
           "labgrid issue #1245), then %s=.venv-labgrid/bin/labgrid-client pytest -m labgrid"
           % CLIENT_ENV)
SER2NET = shutil.which("ser2net") or next(
    (p for p in ("/usr/sbin/ser2net", "/usr/local/sbin/ser2net") if os.path.exists(p)), None)
SER2NET_MISSING = "ser2net is not installed (Debian/Ubuntu: apt-get install ser2net)"
PLACES = ("lg-pass", "lg-pty")
START_TIMEOUT = 30.0  # s for the coordinator to listen and the exporter to publish

PLACES_YAML = """\
lg-pass:
  matches:
  - {exporter: hil, group: passthrough, cls: NetworkSerialPort}
  tags: {module: ec600u, lab: ci}
lg-pty:
  matches:
  - {exporter: hil, group: pty, cls: NetworkSerialPort}
  tags: {module: ec600u}
"""

EXPORTER_YAML = """\
passthrough:
  NetworkSerialPort:
    host: 127.0.0.1
    port: %(exported)d
pty:
  RawSerialPort:
    port: %(pty)s
"""


def labgrid_client_program() -> str | None:
    """labgrid-client of labgrid's own environment, or None."""
    for candidate in (os.environ.get(CLIENT_ENV), shutil.which("labgrid-client")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass
class Lab:
    client: LabgridClient
    coordinator: str  # 127.0.0.1:PORT
    program: str  # labgrid-client

    def as_user(self, user: str, *args: str) -> str:
        """labgrid-client as another user of the lab (LG_USERNAME)."""
        env = dict(os.environ, LG_USERNAME=user, LG_COORDINATOR=self.coordinator)
        done = subprocess.run([self.program, *args], env=env, capture_output=True, text=True,
                              timeout=30, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def held(self) -> dict[str, str]:
        """place -> HOST/USER, for the places acquired now."""
        return {p.name: p.acquired for p in self.client.places() if p.acquired}


@contextmanager
def running_lab(folder: Path, program: str) -> Iterator[Lab]:
    bindir = Path(program).parent
    modules = [VirtualModule(ModuleConfig()).start() for _ in PLACES]
    started: list[subprocess.Popen[bytes]] = []
    try:
        exporter = _start([sys.executable, "-m", "harness", "export", modules[0].port,
                           "--bind", "127.0.0.1:0"], ROOT, folder / "export.log", started)
        exported = int(_read_until(exporter, folder / "export.log",
                                   r"on rfc2217://127\.0\.0\.1:(\d+)").group(1))
        (folder / "places.yaml").write_text(PLACES_YAML)  # the coordinator loads it at start
        (folder / "exporter.yaml").write_text(EXPORTER_YAML % {"exported": exported,
                                                               "pty": modules[1].port})
        coordinator = _coordinator(bindir, folder, started)
        _start([str(bindir / "labgrid-exporter"), "-c", coordinator, "-n", "hil",
                "--hostname", "127.0.0.1", "exporter.yaml"], folder,
               folder / "labgrid-exporter.log", started)
        client = LabgridClient(program, coordinator)
        _wait_for_resources(client)
        yield Lab(client, coordinator, program)
    finally:
        for proc in reversed(started):
            _stop_group(proc)
        for module in modules:
            module.stop()


def _coordinator(bindir: Path, folder: Path, started: list[subprocess.Popen[bytes]]) -> str:
    for _attempt in range(3):  # the free port may be taken before the coordinator binds it
        port = free_port()
        proc = _start([str(bindir / "labgrid-coordinator"), "-l", "127.0.0.1:%d" % port],
                      folder, folder / "labgrid-coordinator.log", started)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if accepts(port):
                return "127.0.0.1:%d" % port
            time.sleep(0.1)  # still starting: look again, until the deadline
    raise AssertionError("labgrid-coordinator did not listen within %.0f s" % START_TIMEOUT)


def _start(cmd: list[str], cwd: Path, log: Path, started: list[subprocess.Popen[bytes]]
           ) -> subprocess.Popen[bytes]:
    # output to a file (a full pipe would stall it); a session of its own, so that the
    # ser2net the exporter starts goes with it
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    started.append(proc)
    return proc


def _read_until(proc: subprocess.Popen[bytes], log: Path, pattern: str) -> re.Match[str]:
    deadline = time.monotonic() + START_TIMEOUT
    text = ""
    while time.monotonic() < deadline and proc.poll() is None:
        text = log.read_text(errors="replace")
        found = re.search(pattern, text)
        if found:
            return found
        time.sleep(0.05)  # it is still starting: look again, until the deadline
    raise AssertionError("%s printed no line matching %r: %s" % (proc.args, pattern, text))


def _wait_for_resources(client: LabgridClient) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    text = ""
    while time.monotonic() < deadline:
        try:
            text = client.run("resources")
        except LabgridError as exc:
            text = str(exc)
        if "hil/passthrough/" in text and "hil/pty/" in text:
            return
        time.sleep(0.2)  # the exporter is still connecting: look again, until the deadline
    raise AssertionError("the exporter published no resources within %.0f s: %s"
                         % (START_TIMEOUT, text))


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
