"""A module on a remote bench: ser2net exports its port as RFC 2217, pyserial opens rfc2217://.

Here the remote bench is a real ser2net (4.x) on 127.0.0.1 exporting a virtual
module's pseudo-terminal. A pseudo-terminal has no modem lines, so ser2net
never answers pyserial's DTR/RTS requests; `?ign_set_control` (a pyserial URL
option) tells pyserial not to wait for those answers. A bench exporting a real
USB port needs no option: rfc2217://host:port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from harness.bench.claim import claim_module
from harness.bench.locks import lock_name
from harness.bench.selection import Selection
from harness.bench.spec import ModuleSpec
from harness.deploy.scripts import deploy_scripts
from harness.scenario.run import FtpRun
from harness.servers.local.server import FtpServer
from harness.wire.device import Device
from tests.support import stop_process

ROOT = Path(__file__).resolve().parents[1]
SER2NET = shutil.which("ser2net") or next(
    (p for p in ("/usr/sbin/ser2net", "/usr/local/sbin/ser2net") if os.path.exists(p)), None)
RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"

pytestmark = [
    pytest.mark.skipif(SER2NET is None,
                       reason="ser2net is not installed (Debian/Ubuntu: apt-get install ser2net)"),
    # pyserial 3.5's rfc2217 client still calls Thread.setName
    pytest.mark.filterwarnings("ignore:set(Name|Daemon)\\(\\) is deprecated:DeprecationWarning"),
]

# ser2net 4 YAML: one connection, RFC 2217 over telnet on 127.0.0.1, to the module's port
CONFIG = """\
%%YAML 1.1
---
connection: &module
  accepter: telnet(rfc2217),tcp,127.0.0.1,%(tcp)d
  connector: serialdev,%(device)s,115200n81,local
  options:
    kickolduser: true
"""


def _free_port() -> int:
    # ser2net cannot listen on port 0 and tell us the port: take one the OS just gave out
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(proc: subprocess.Popen[bytes], port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)  # ser2net is still starting: look again, until the deadline
    return False


@pytest.fixture
def exported(start_module, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the module's local port, the rfc2217:// URL ser2net exports it at)."""
    module = start_module()
    for _attempt in range(3):  # the free port may be taken before ser2net binds it
        port = _free_port()
        config = tmp_path / "ser2net.yaml"
        config.write_text(CONFIG % {"tcp": port, "device": module.port})
        proc = subprocess.Popen([SER2NET, "-n", "-d", "-c", str(config),
                                 "-P", str(tmp_path / "ser2net.pid")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if _listening(proc, port, timeout=10):
            break
        stop_process(proc)
    else:
        pytest.fail("ser2net did not listen on 127.0.0.1 within 10 s, three times")
    yield module.port, "rfc2217://127.0.0.1:%d?ign_set_control" % port
    stop_process(proc)


def test_ser2net_exports_the_raw_repl(exported: tuple[str, str]) -> None:
    _local, url = exported
    port = serial.serial_for_url(url, baudrate=115200, timeout=0.05)
    try:
        port.write(b"\r\x03\x03\x01")  # stop whatever runs, enter raw REPL
        seen = bytearray()
        deadline = time.monotonic() + 10
        while RAW_PROMPT not in seen and time.monotonic() < deadline:
            seen += port.read(256)
    finally:
        port.close()
    assert RAW_PROMPT in seen, "no raw REPL prompt through ser2net: %r" % bytes(seen)


def test_remote_module_runs_a_scenario_end_to_end(exported: tuple[str, str],
                                                  tmp_path: Path) -> None:
    local, url = exported
    Device.open(url).close()  # reaches the raw REPL through ser2net
    assert lock_name(url) != lock_name(local)  # the remote port has a lock of its own
    claim, problems = claim_module([ModuleSpec("lab-b", url)],
                                   lambda port: Device.open(port, prompt_timeout=3.0),
                                   Selection.from_options(["EC600U"], None), lock_dir=tmp_path)
    assert claim is not None, [h.event() for h in problems]
    server = FtpServer(tmp_path / "ftp-home")
    server.start()
    try:
        assert claim.info.model == "EC600U"
        deploy_scripts(claim.device, ROOT / "device_scripts")
        run = FtpRun(claim.device, server, "rfc2217-upload", ftplib_kind="bundled")
        try:
            run.upload(os.urandom(4096)).assert_intact()
        finally:
            run.cleanup()
    finally:
        server.stop()
        claim.release()
