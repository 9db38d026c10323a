"""The virtual module is not the host: an address of its own, and carrier NAT.

dataCall.getInfo gives 127.0.0.2 (moddatacall.c:253-270: the data call's address),
every socket of the module connects from it (the firmware binds each new socket to
the data call's address, modsocket.c:285-312) and listens on it, on both engines and
with each ftplib; 127.0.0.1 bound on the module is the module's own loopback, which
the server never reaches. Behind NAT the server sees 127.0.0.3 and cannot connect in.
Nothing ever connects outside 127.0.0.0/8, whatever address a stand-in reports.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from harness.deploy.scripts import deploy_scripts
from harness.emulator import ModuleConfig, VirtualModule, netplan, network_fact
from harness.scenario import FtpRun, Session, ops
from harness.servers.local.server import FtpServer
from harness.wire.device import Device
from tests.support import both_engines

ROOT = Path(__file__).resolve().parents[1]
ENGINES = both_engines()


def _session(config: ModuleConfig, server: FtpServer, operations: list[ops.Op],
             ftplib_kind: str = "bundled") -> tuple[Session, str, float]:
    """One session on a fresh virtual module: what it reported, what the server saw,
    how long it took."""
    with VirtualModule(config) as module:
        device = Device.open(module.port)
        try:
            deploy_scripts(device, ROOT / "device_scripts")
            run = FtpRun(device, server, "address", ftplib_kind=ftplib_kind)
            local = run.on_module("a.bin", os.urandom(2048))
            mark = server.transcript_mark()
            start = time.monotonic()
            staged = [dict(op, local=local) if op.get("local") == "LOCAL" else op
                      for op in operations]
            s = run.session(staged)
            took = time.monotonic() - start
            run.cleanup()
            return s, server.transcript_text(since=mark), took
        finally:
            device.close()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", ["bundled", "firmware"])  # firmware: CPython's, or ours
def test_the_server_sees_the_modules_own_address_and_port_works(
        local_server: FtpServer, engine: str, kind: str) -> None:
    s, seen, _ = _session(ModuleConfig(engine=engine), local_server,
                          [ops.pasv(False), ops.stor("LOCAL", "a.bin")], kind)
    assert "-- connected from 127.0.0.2:" in seen, seen
    assert "<- PORT 127,0,0,2," in seen, seen  # from dataCall.getInfo, no port_host
    assert s.op("stor").ok and s.op("stor").code == 226, s.summary()


@pytest.mark.parametrize("engine", ENGINES)
def test_behind_nat_the_server_sees_the_carrier_and_active_mode_fails_at_once(
        local_server: FtpServer, engine: str) -> None:
    s, seen, took = _session(ModuleConfig(engine=engine, nat=True), local_server,
                             [ops.stor("LOCAL", "p.bin", label="passive"),
                              ops.pasv(False), ops.stor("LOCAL", "a.bin", label="active")])
    assert "-- connected from 127.0.0.3:" in seen, seen
    assert s.op("passive").ok, s.summary()  # passive mode works behind NAT
    active = s.op("active")
    assert not active.ok and active.code == 501, s.summary()  # PORT 127.0.0.2: foreign
    assert "<- PORT 127,0,0,2," in seen, seen
    assert took < 30, "the refusal took %.0f s" % took


@pytest.mark.parametrize("engine", ENGINES)
def test_127_0_0_1_bound_on_the_module_is_the_modules_own_loopback(engine: str) -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with VirtualModule(ModuleConfig(engine=engine)) as module:
        device = Device.open(module.port)
        try:
            device.exec("import usocket\n_l = usocket.socket()\n_l.bind(('127.0.0.1', %d))\n"
                        "_l.listen(1)" % port)
            with pytest.raises(ConnectionRefusedError):  # the server's host is not the module
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
            socket.create_connection((netplan.MODULE_LOOPBACK, port), timeout=5).close()
        finally:
            device.close()


def test_a_stand_in_reporting_a_private_address_is_never_connected_to(
        local_server: FtpServer) -> None:
    s, seen, _ = _session(ModuleConfig(ip="10.0.0.2"), local_server,
                          [ops.pasv(False), ops.stor("LOCAL", "a.bin")])
    assert "-- connected from 127.0.0.2:" in seen, seen  # stood in for inside the loopback
    assert "<- PORT 10,0,0,2," in seen, seen
    assert s.op("stor").code == 501, s.summary()  # the server refused to go there


def test_where_the_loopback_has_only_127_0_0_1_the_module_shares_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netplan, "_bindable", lambda address: address == "127.0.0.1")
    config, note = netplan.fit_to_host(ModuleConfig())
    assert config.ip == "127.0.0.1"
    assert "shares the host's 127.0.0.1" in note and "ifconfig lo0 alias 127.0.0.2" in note
    assert note in network_fact(config, note)
    with pytest.raises(netplan.AddressUnavailable, match="--emulator-nat needs 127.0.0.3"):
        netplan.fit_to_host(ModuleConfig(nat=True))


def test_the_plan_keeps_every_address_in_the_loopback() -> None:
    for config in (ModuleConfig(), ModuleConfig(nat=True), ModuleConfig(ip="10.0.0.2"),
                   ModuleConfig(ip="10.0.0.2", nat=True), ModuleConfig(ip="")):
        plan = netplan.plan_for(config)
        for address in (plan.source, plan.listen, plan.loopback,
                        plan.host_for_bind(config.ip), plan.host_for_bind("8.8.8.8")):
            assert netplan.in_loopback(address), (config, plan)
