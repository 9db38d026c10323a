"""Active mode (PORT) on a module whose sockets have no getsockname.

The bundled ftplib takes this side's address from port_host, else from
dataCall.getInfo(1, 0); with neither, the operation fails at once with the reason,
never after a wait for a data connection that cannot come.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from harness.deploy.scripts import deploy_scripts
from harness.emulator import ModuleConfig, VirtualModule
from harness.scenario import FtpRun, ops
from harness.servers.local.server import FtpServer
from harness.wire.device import Device

ROOT = Path(__file__).resolve().parents[1]


def _active_session(ip: str, server: FtpServer, port_host: str | None) -> tuple[float, dict]:
    with VirtualModule(ModuleConfig(ip=ip)) as module:
        device = Device.open(module.port)
        try:
            deploy_scripts(device, ROOT / "device_scripts")
            run = FtpRun(device, server, "active", ftplib_kind="bundled", port_host=port_host)
            local = run.on_module("a.bin", os.urandom(2048))
            start = time.monotonic()
            s = run.session([ops.pasv(False),
                             ops.stor(local, run.server_name("a.bin"))])
            took = time.monotonic() - start
            run.cleanup()
            return took, s.op("stor").data
        finally:
            device.close()


def test_the_data_call_address_is_used(local_server: FtpServer) -> None:
    _, stor = _active_session("127.0.0.1", local_server, None)
    assert stor["ok"] and stor["code"] == 226, stor


def test_port_host_wins_over_a_data_call_that_is_down(local_server: FtpServer) -> None:
    _, stor = _active_session("", local_server, "127.0.0.1")
    assert stor["ok"] and stor["code"] == 226, stor


def test_no_address_fails_at_once_with_the_reason(local_server: FtpServer) -> None:
    took, stor = _active_session("", local_server, None)
    assert not stor["ok"], stor
    assert "cannot tell this side's address: dataCall.getInfo gave" in stor["error"], stor
    assert "no port_host" in stor["error"], stor
    assert took < 1.0, "the failure took %.1f s" % took
