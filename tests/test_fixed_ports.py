"""A fixed --ftp-port and a passive range with several workers: each worker's server
gets its own control port (port + worker index) and its own slice of the range, or
the run refuses at once with one line.

The `probe_*` function is collected only by the runs below (-o python_functions=probe_*),
two real xdist workers in a subprocess, each writing what its server listens on.
"""

from __future__ import annotations

import ftplib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.servers.spec import worker_control_port, worker_passive_ports
from tests import warm_python
from tests.support import free_port_range

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[1]
OUT_ENV = "QPY_HIL_PORTS_OUT"


def probe_server_ports(ftp_server) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with ftplib.FTP() as ftp:  # really listening there, and PASV inside its slice
        ftp.connect(ftp_server.host, ftp_server.port, timeout=10)
        ftp.login(ftp_server.user, ftp_server.password)
        passive = ftplib.parse227(ftp.sendcmd("PASV"))[1]
    Path(os.environ[OUT_ENV], worker + ".json").write_text(json.dumps({
        "port": ftp_server.port, "passive": passive,
        "range": [ftp_server.passive_ports.start, ftp_server.passive_ports.stop - 1]}))


def _run(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, OUT_ENV: str(tmp_path)}
    return warm_python.run(
        [sys.executable, "-m", "pytest", "tests/test_fixed_ports.py", "-o",
         "python_functions=probe_*", "-p", "xdist", "-n", "2", "--dist=each", "-q",
         "-p", "no:cacheprovider",
         "--html=%s" % (tmp_path / "r.html"), "--junitxml=%s" % (tmp_path / "j.xml"),
         "--summary-json=%s" % (tmp_path / "s.json"), *options],
        cwd=ROOT, env=env, timeout=150)


def test_two_workers_get_a_control_port_and_a_passive_slice_each(tmp_path: Path) -> None:
    ports = free_port_range(2 + 8)
    control, passive = ports.start, range(ports.start + 2, ports.stop)
    done = _run(tmp_path, "--ftp-port=%d" % control,
                "--ftp-passive-ports=%d-%d" % (passive.start, passive.stop - 1))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    seen = {path.stem: json.loads(path.read_text()) for path in tmp_path.glob("gw*.json")}
    assert seen["gw0"]["port"] == control and seen["gw1"]["port"] == control + 1
    assert seen["gw0"]["range"] == [passive.start, passive.start + 3]
    assert seen["gw1"]["range"] == [passive.start + 4, passive.start + 7]
    for found in seen.values():
        assert found["range"][0] <= found["passive"] <= found["range"][1]


@pytest.mark.parametrize("option, words", [
    ("--ftp-passive-ports=60000-60002", "passive ports 60000-60002 are 3 for 2 workers"),
    ("--ftp-port=65535", "--ftp-port=65535 with 2 workers needs ports 65535-65536"),
])
def test_too_few_ports_for_the_workers_are_refused_at_once(tmp_path: Path, option: str,
                                                           words: str) -> None:
    done = _run(tmp_path, option)
    assert done.returncode == 4, done.stdout[-3000:] + done.stderr[-3000:]
    assert words in done.stderr, done.stderr[-3000:]
    assert "Traceback" not in done.stderr + done.stdout
    assert not list(tmp_path.glob("gw*.json"))  # no worker started a server


def test_worker_shares() -> None:
    assert [worker_control_port(2121, i, 3) for i in range(3)] == [2121, 2122, 2123]
    shares = [worker_passive_ports(range(60000, 60101), i, 2) for i in range(2)]
    assert shares == [range(60000, 60050), range(60050, 60100)]
    assert worker_passive_ports(range(60000, 60101), 0, 1) == range(60000, 60101)
