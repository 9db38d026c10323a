"""The link a virtual module's sockets sit behind: the radio's arithmetic, the carrier
relay on real sockets, the presets and their sources, and the budget the waits take.

Delays are measured, never slept for: each bound is generous (a busy 2-core machine
only adds time, so lower bounds are what prove the link acted; upper bounds only
catch a relay that hangs), and order is asserted byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.bench.locks import LOCK_DIR_ENV
from harness.deploy.scripts import deploy_scripts
from harness.emulator import ModuleConfig, VirtualModule
from harness.emulator.carrier import Carrier
from harness.emulator.cpython_fw.net_path import NetPath
from harness.emulator.netplan import NetworkPlan
from harness.emulator.radio import DOWN, UP, Radio
from harness.link_budget import MARGIN, LinkBudget
from harness.link_profiles import NONE, PRESETS, SLOWEST, LinkProfile, link_profile
from harness.scenario import FtpRun, ops
from harness.wire.device import Device
from tests import warm_python
from tests.support import both_engines

ROOT = Path(__file__).resolve().parents[1]
ENGINES = both_engines()

# a link slow enough to measure on a busy machine, quick enough for the default suite
TEST_LINK = LinkProfile("test", rtt=0.2, down=40_000, up=20_000, jitter=0.02, title="test")
SLACK = 5.0  # s: an upper bound only catches a relay that hangs


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- the radio's arithmetic ----------------------------------------------------------


def test_a_chunk_arrives_after_its_sending_time_and_half_the_round_trip() -> None:
    clock = Clock()
    radio = Radio(LinkProfile("r", rtt=0.2, up=1000, down=4000), clock)
    assert radio.arrival(UP, 500) == pytest.approx(100.0 + 0.5 + 0.1)
    # the uplink is busy until 100.5: the next chunk waits for it
    assert radio.arrival(UP, 500) == pytest.approx(100.0 + 1.0 + 0.1)
    # the downlink is another direction, at its own rate
    assert radio.arrival(DOWN, 400) == pytest.approx(100.0 + 0.1 + 0.1)


def test_jitter_is_late_only_and_bounded() -> None:
    clock = Clock()
    radio = Radio(LinkProfile("j", rtt=0.2, jitter=0.05), clock)
    arrivals = [radio.arrival(UP, 0) - clock.now for _ in range(200)]
    assert min(arrivals) >= 0.1 and max(arrivals) <= 0.15
    assert max(arrivals) - min(arrivals) > 0.01  # it does vary


def test_the_first_bytes_after_idle_wait_for_the_stall() -> None:
    clock = Clock()
    radio = Radio(LinkProfile("s", rtt=0.2, stall=2.0, idle=10.0), clock)
    assert radio.arrival(UP, 0) == pytest.approx(100.0 + 2.0 + 0.1)  # idle since boot
    clock.now = 103.0
    assert radio.arrival(UP, 0) == pytest.approx(103.1)  # busy: no stall
    clock.now = 200.0
    assert radio.arrival(DOWN, 0) == pytest.approx(202.1)
    assert radio.stalls == 2


# -- the carrier on real sockets ---------------------------------------------------------


@pytest.fixture
def world() -> Iterator[socket.socket]:
    """The server's side: a listener on the host's loopback."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(SLACK)
    yield server
    server.close()


def _carrier(profile: LinkProfile, nat: bool = False) -> tuple[Carrier, NetPath]:
    source = "127.0.0.3" if nat else "127.0.0.2"
    plan = NetworkPlan("127.0.0.2", source, "127.0.0.4" if nat else "127.0.0.2",
                       "127.0.0.4", None, nat)
    carrier = Carrier(plan, profile).start()
    return carrier, NetPath(NetworkPlan(**{**plan.__dict__, "relay": carrier.address}))


def _module_socket() -> socket.socket:
    sock = socket.socket()
    sock.settimeout(SLACK)
    return sock


def test_a_connect_costs_a_round_trip_and_the_server_sees_the_module(world) -> None:
    carrier, path = _carrier(TEST_LINK)
    try:
        start = time.monotonic()
        sock = path.connect(_module_socket(), world.getsockname())
        took = time.monotonic() - start
        conn, peer = world.accept()
        assert peer[0] == "127.0.0.2"
        assert TEST_LINK.rtt * 0.9 <= took < TEST_LINK.rtt + SLACK
        sock.close()
        conn.close()
    finally:
        carrier.close()


def test_behind_nat_the_server_sees_the_carriers_address(world) -> None:
    carrier, path = _carrier(NONE, nat=True)
    try:
        sock = path.connect(_module_socket(), world.getsockname())
        conn, peer = world.accept()
        assert peer[0] == "127.0.0.3"
        sock.close()
        conn.close()
    finally:
        carrier.close()


def _drain(sock: socket.socket, into: bytearray) -> None:
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return
        into += chunk


def test_bytes_arrive_in_order_at_the_links_rate_then_the_fin(world) -> None:
    carrier, path = _carrier(TEST_LINK)
    payload = bytes(range(256)) * 120  # 30 KB: 1.5 s at 20 KB/s up, 0.75 s at 40 KB/s down
    try:
        sock = path.connect(_module_socket(), world.getsockname())
        conn, _ = world.accept()
        conn.settimeout(SLACK * 4)
        got = bytearray()
        reader = threading.Thread(target=_drain, args=(conn, got))
        start = time.monotonic()
        reader.start()
        sock.sendall(payload)
        sock.close()  # the FIN follows the last byte
        reader.join(SLACK * 4)
        up = time.monotonic() - start
        assert bytes(got) == payload  # every byte, in order, then the end
        assert up >= len(payload) / TEST_LINK.up * 0.9, up
        # and down: the server's bytes reach the module at the downlink's rate
        sock = path.connect(_module_socket(), world.getsockname())
        conn, _ = world.accept()
        start = time.monotonic()
        conn.sendall(payload)
        conn.close()
        back = bytearray()
        sock.settimeout(SLACK * 4)
        _drain(sock, back)
        down = time.monotonic() - start
        assert bytes(back) == payload
        assert down >= len(payload) / TEST_LINK.down * 0.9, down
        assert down < up  # the downlink is twice as fast here
    finally:
        carrier.close()


def test_a_reset_crosses_as_a_reset(world) -> None:
    carrier, path = _carrier(NONE)
    try:
        sock = path.connect(_module_socket(), world.getsockname())
        conn, _ = world.accept()
        from harness.emulator.pipe import reset

        reset(conn)  # the server aborts
        with pytest.raises(ConnectionResetError):
            while sock.recv(100):
                pass
    finally:
        carrier.close()


def test_a_refused_connect_is_the_modules_refusal(world) -> None:
    carrier, path = _carrier(TEST_LINK)
    port = world.getsockname()[1]
    world.close()
    try:
        with pytest.raises(ConnectionRefusedError):
            path.connect(_module_socket(), ("127.0.0.1", port))
    finally:
        carrier.close()


def test_the_module_listens_through_the_carrier() -> None:
    """bind, listen and accept (active mode): the server connects to the module's
    address, the connection reaches the module's accept() half a round trip later."""
    carrier, path = _carrier(TEST_LINK)
    try:
        lst, port = path.bind(_module_socket(), ("", 0))
        path.listen(lst, 1)
        client = socket.create_connection(("127.0.0.2", port), timeout=SLACK)
        start = time.monotonic()
        conn, peer = path.accept(lst)
        assert time.monotonic() - start >= TEST_LINK.one_way * 0.9
        assert peer[0] == "127.0.0.1"
        client.sendall(b"150 data\r\n")
        conn.settimeout(SLACK)
        assert conn.recv(100) == b"150 data\r\n"
        for sock in (client, conn, lst):
            sock.close()
    finally:
        carrier.close()


def test_behind_nat_nobody_reaches_the_modules_listener() -> None:
    carrier, path = _carrier(NONE, nat=True)
    try:
        lst, port = path.bind(_module_socket(), ("127.0.0.2", 0))
        path.listen(lst, 1)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", port), timeout=SLACK)
        lst.close()
    finally:
        carrier.close()


def test_an_accept_with_no_connection_times_out_as_the_sockets_timeout() -> None:
    carrier, path = _carrier(NONE)
    try:
        lst, _ = path.bind(_module_socket(), ("", 0))
        path.listen(lst, 1)
        lst.settimeout(0.3)
        with pytest.raises(TimeoutError):
            path.accept(lst)
        lst.close()
    finally:
        carrier.close()


# -- the presets and the budget ------------------------------------------------------------


def test_every_preset_but_none_has_figures_and_a_source() -> None:
    assert {"none", "lte-cat1", "lte-m1", "nb-iot"} <= set(PRESETS)
    assert PRESETS["none"].is_none
    for name, profile in PRESETS.items():
        assert profile.name == name
        if name != "none":
            assert profile.rtt > 0 and profile.up and profile.down, name
            assert "rates:" in profile.source and "round trip" in profile.source, name
    slowest = min((p for p in PRESETS.values() if p.down), key=lambda p: p.down or 0)
    assert slowest.name == SLOWEST
    with pytest.raises(ValueError, match="presets: none, lte-cat1"):
        link_profile("5g")


def test_the_budget_grows_with_the_link_and_the_payload() -> None:
    none = LinkBudget()
    assert none.stretch(5.0, round_trips=10, up_bytes=10**6) == 5.0
    m1 = LinkBudget.of(link_profile("lte-m1"))
    nb = LinkBudget.of(link_profile("nb-iot"))
    assert 5.0 < m1.stretch(5.0, round_trips=2) < nb.stretch(5.0, round_trips=2)
    # each byte more costs what the rate says, with the margin
    assert nb.stretch(5.0, down_bytes=2 * 65536) - nb.stretch(5.0, down_bytes=65536) == \
        pytest.approx(MARGIN * 65536 / (nb.down or 1))
    assert nb.session(120, 2, 65536, 65536) > 120 + nb.transfer_time(65536)


# -- a virtual module behind a preset, end to end ----------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kind", ["bundled", "firmware"])
def test_every_ftplib_on_both_engines_sits_behind_the_link(local_server, engine: str,
                                                           kind: str) -> None:
    """A NOOP costs the preset's round trip, whichever engine and ftplib (CPython's own
    ftplib included: it must not bypass the carrier)."""
    profile = link_profile("lte-m1")
    with VirtualModule(ModuleConfig(engine=engine, link=profile.name)) as module:
        device = Device.open(module.port)
        try:
            deploy_scripts(device, ROOT / "device_scripts")
            run = FtpRun(device, local_server, "link", ftplib_kind=kind,
                         link=LinkBudget.of(profile))
            s = run.session([ops.noop(label="a"), ops.noop(label="b")])
        finally:
            device.close()
    assert s.result.ok, s.summary()
    quickest = min(int(s.op(label).data["ms"]) for label in ("a", "b"))
    assert quickest >= profile.rtt * 1000 * 0.9, s.summary()


# -- a bench: the round trip measured, or given -----------------------------------------


def _bench_run(tmp_path: Path, port: str, *args: str) -> dict[str, Any]:
    """A bench run (a real port, not --device=emulated) of one scenario; its summary."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_XDIST", "PYTEST_ADDOPTS", "PYTEST_CURRENT"))}
    env[LOCK_DIR_ENV] = str(tmp_path / "locks")
    summary = tmp_path / "summary.json"
    proc = warm_python.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-o", "addopts=", "-q", "scenarios/test_commands.py", "-k", "test_syst",
         "--device=%s" % port, "--ftplib=bundled", "--summary-json", str(summary), *args],
        cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return json.loads(summary.read_text(encoding="utf-8"))


def test_a_bench_measures_its_round_trip_at_session_start_or_takes_link_rtt(
        tmp_path: Path) -> None:
    profile = link_profile("lte-m1")
    with VirtualModule(ModuleConfig(link=profile.name)) as module:
        measured = _bench_run(tmp_path, module.port)["modules"][0]["network"]
        given = _bench_run(tmp_path, module.port, "--link-rtt=0.75")["modules"][0]["network"]
    found = re.search(r"round trip (\d+) ms.*measured at session start", measured)
    assert found and int(found.group(1)) >= profile.rtt * 1000 * 0.9, measured
    assert "round trip 750 ms" in given and "--link-rtt" in given, given


def test_a_payload_the_link_cannot_carry_in_time_is_skipped_with_the_reason() -> None:
    proc = warm_python.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-o", "addopts=", "-q", "-rs", "scenarios/test_upload.py", "-k", "upload_binary",
         "--emulator-link=nb-iot", "--payload-sizes=1M", "--ftplib=bundled"],
        cwd=ROOT, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "1 skipped" in out, out[-3000:]
    assert re.search(r"1048576 bytes over the link .* take about \d+ s each way and back, "
                     r"more than the test's 300 s ceiling", out), out[-3000:]
