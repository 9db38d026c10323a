"""The virtual module's network goes and comes back as the firmware's does, on both engines.

What is checked is firmware_surface.NETWORK_LOSS, fact by fact, from device code on a
virtual module (a real process behind a pseudo-terminal) talking to a real TCP peer on
127.0.0.1: net.setModemFun's answers, getState / dataCall.getInfo / checkNet while the
network is away and back, the errno of each socket operation and its moment, what the
peer hears (nothing while the module is away; a reset, never a FIN, once it is back),
and CPython's ftplib (the CPython engine's firmware ftplib) failing alike; each also
behind a link, where the carrier's relay carries the module's sockets (carrier.py).
"""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from harness.emulator import ModuleConfig, VirtualModule
from harness.emulator import firmware_surface as fs
from harness.emulator.carrier import Carrier
from harness.emulator.cpython_fw.host_sockets import socket_module
from harness.emulator.cpython_fw.network import NetworkState
from harness.emulator.netplan import NetworkPlan, plan_for
from harness.link_profiles import link_profile
from harness.wire.device import Device
from tests.support import micropython_missing

REATTACH_MS = 300
QUIET = 0.3  # s the peer listens for a FIN or RST that must not come

ENGINES = [pytest.param("cpython"),
           pytest.param("micropython", marks=pytest.mark.skipif(
               bool(micropython_missing()), reason=micropython_missing() or ""))]
LINK = "lte-cat1"  # the quickest preset: the relay in the way, at little cost in time
# each engine on the host's loopback, and behind the link
MODULES = [pytest.param((p.values[0], link), marks=p.marks,
                        id=p.values[0] + ("" if link == "none" else "-" + link))
           for link in ("none", LINK) for p in ENGINES]


class Peer:
    """A TCP server on 127.0.0.1 holding the connections the module makes to it."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: queue.Queue[socket.socket] = queue.Queue()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            conn.sendall(b"hello")
            self.held.append(conn)
            self.accepted.put(conn)

    def first(self) -> socket.socket:
        """The first connection the module made (waits for the accept, 5 s at most)."""
        if not hasattr(self, "_first"):
            self._first = self.accepted.get(timeout=5)
        return self._first

    def heard(self, timeout: float) -> str:
        """What the first connection's peer hears next: data, 'FIN', 'RST' or 'nothing'."""
        conn = self.first()
        conn.settimeout(timeout)
        try:
            data = conn.recv(100)
        except TimeoutError:
            return "nothing"
        except ConnectionResetError:
            return "RST"
        return data.decode() if data else "FIN"

    def close(self) -> None:
        self.listener.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def peer() -> Iterator[Peer]:
    found = Peer()
    yield found
    found.close()


@pytest.fixture(params=MODULES)
def module(request: pytest.FixtureRequest,
           start_module: Callable[..., VirtualModule]) -> Iterator[Device]:
    engine, link = request.param
    device = Device.open(start_module(engine=engine, link=link,
                                      reattach_ms=REATTACH_MS).port)
    yield device
    device.close()


SETUP = """
import usocket, net, dataCall, checkNet, utime
def attempt(what, call):
    try:
        call()
        print(what, 'ok')
    except OSError as exc:
        print(what, exc.args[0])
"""


def lines(device: Device, code: str) -> list[str]:
    return device.exec(code, timeout=30).strip().replace("\r", "").split("\n")


def test_the_network_goes_and_comes_back_as_the_firmware_says(module: Device,
                                                              peer: Peer) -> None:
    assert lines(module, SETUP + """
s = usocket.socket()
s.connect(('127.0.0.1', %d))
print(s.recv(5))
print(net.getModemFun(), net.getState()[1][0], dataCall.getInfo(1, 0)[2][0])
print(net.setModemFun(0), net.getModemFun(), net.getState()[1][0], dataCall.getInfo(1, 0))
attempt('recv', lambda: s.recv(5))
attempt('recv', lambda: s.recv(5))
attempt('send', lambda: s.send(b'x'))
attempt('connect', lambda: usocket.socket().connect(('127.0.0.1', %d)))
print(checkNet.CheckNetwork('p', '1').check_datacall_status())
print(net.setModemFun(7), net.setModemFun(4), net.getModemFun())
s.close()
""" % (peer.port, peer.port)) == [
        "b'hello'",
        "1 1 1",
        "0 0 0 (1, 0, [0, 0, '0.0.0.0', '0.0.0.0', '0.0.0.0'])",
        "recv %d" % fs.ECONNABORTED,  # the first operation after the abort
        "recv %d" % fs.ENOTCONN_AFTER_ABORT,  # every later one
        "send %d" % fs.ENOTCONN_AFTER_ABORT,
        "connect %d" % fs.EHOSTUNREACH,  # no route while the data call is down
        "0",
        "-1 0 4",  # a level the module does not take; airplane mode
    ]
    # the module closed its socket, but the server hears nothing while it is away
    assert peer.heard(QUIET) == "nothing"
    back = lines(module, SETUP + """
t = utime.ticks_ms()
print(net.setModemFun(1), net.getState()[1][0], dataCall.getInfo(1, 0)[2][0])
print(checkNet.waitNetworkReady(10), utime.ticks_diff(utime.ticks_ms(), t))
print(net.getState()[1][0], dataCall.getInfo(1, 0)[2][:3])
s2 = usocket.socket()
s2.connect(('127.0.0.1', %d))
print(s2.recv(5))
s2.close()
""" % peer.port)
    assert back[0] == "0 2 0"  # re-attaching: searching, no data call yet
    ready, waited = back[1].rsplit(" ", 1)
    assert ready == "(3, 1)" and REATTACH_MS <= int(waited) < REATTACH_MS + 2000
    assert back[2:] == ["1 [1, 0, '%s']" % ModuleConfig().ip, "b'hello'"]
    # back on the network: the dead connection is reset, never closed as if complete
    assert peer.heard(5.0) == "RST"


def test_checknet_waits_out_its_timeout_while_the_module_is_off(module: Device) -> None:
    out = lines(module, SETUP + """
net.setModemFun(0)
t = utime.ticks_ms()
print(checkNet.waitNetworkReady(1), utime.ticks_diff(utime.ticks_ms(), t) >= 1000)
print(net.setModemFun(1))
print(checkNet.waitNetworkReady(10))
""")
    assert out == ["(2, 0) True", "0", "(3, 1)"]


@pytest.fixture(params=["none", LINK])
def plan(request: pytest.FixtureRequest) -> Iterator[NetworkPlan]:
    """The module's place on the network: straight out, or behind a carrier's relay."""
    config = ModuleConfig(link=request.param)
    if request.param == "none":
        yield plan_for(config)
        return
    carrier = Carrier(plan_for(config), link_profile(request.param)).start()
    yield plan_for(config, carrier.address)
    carrier.close()


def test_cpython_ftplibs_sockets_fail_alike(peer: Peer, plan: NetworkPlan) -> None:
    # the CPython engine's firmware ftplib is CPython's: its sockets consult the network
    # too, on the module's path (from its own address, through the relay)
    network = NetworkState(reattach_s=0.05)
    sockets = socket_module(network, plan)
    conn = sockets.create_connection(("127.0.0.1", peer.port), 5)
    assert conn.recv(5) == b"hello"
    assert conn.getpeername() == ("127.0.0.1", peer.port)  # the server, not the relay
    assert peer.first().getpeername()[0] == plan.source  # the module's address
    reader = conn.makefile("rb")
    assert network.set_modem_fun(0) == 0
    for errno in (fs.ECONNABORTED, fs.ENOTCONN_AFTER_ABORT):
        with pytest.raises(OSError) as caught:
            reader.read1(5)  # makefile's reads go through recv_into
        assert caught.value.errno == errno
    with pytest.raises(OSError) as caught:
        sockets.create_connection(("127.0.0.1", peer.port), 5)
    assert caught.value.errno == fs.EHOSTUNREACH
    reader.close()
    conn.close()
    assert peer.heard(QUIET) == "nothing"
    network.set_modem_fun(1)
    assert network.wait_up(5.0)
    assert peer.heard(5.0) == "RST"


def test_a_re_attach_takes_the_configured_time() -> None:
    now = [100.0]
    network = NetworkState(reattach_s=20.0, clock=lambda: now[0])
    network.set_modem_fun(0)
    network.set_modem_fun(1)
    assert not network.up
    now[0] += 19.9
    assert not network.up
    now[0] += 0.2
    assert network.up


def test_a_connection_closed_before_the_cut_ends_as_usual(peer: Peer,
                                                         plan: NetworkPlan) -> None:
    network = NetworkState(reattach_s=0.01)
    conn = socket_module(network, plan).create_connection(("127.0.0.1", peer.port), 5)
    assert conn.recv(5) == b"hello"  # unread data would turn the close into a RST
    conn.close()  # closed while the network was up: a FIN, as always
    assert peer.heard(5.0) == "FIN"
    network.set_modem_fun(0)
    assert not network.keep_open(conn)
