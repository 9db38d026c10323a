"""The virtual module offers exactly the firmware surface table (firmware_surface.py).

Both directions: every name the table gives BUILD is there, nothing else is (public
names); every callable refuses one argument too few and one too many with MicroPython
1.13's TypeError; a name the firmware lacks fails with MicroPython's AttributeError.
"""

from __future__ import annotations

import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.emulator import firmware_surface as fs
from harness.emulator.config import ModuleConfig
from harness.emulator.runtime import DeviceRuntime, InputQueue

MODULES = ["usocket", "uos", "utime", "modem", "misc", "dial", "dataCall", "checkNet", "net"]
# types checked member by member (an instance, or the class where it has no constructor)
TYPES = [("usocket", "socket"), ("misc", "Power"), ("misc", "ADC"), ("misc", "PWM"),
         ("misc", "USB"), ("misc", "PowerKey"), ("checkNet", "CheckNetwork")]


@pytest.fixture(scope="module")
def runtime() -> Iterator[DeviceRuntime]:
    with tempfile.TemporaryDirectory() as root:
        yield DeviceRuntime(ModuleConfig(), Path(root), lambda data: None, InputQueue())


def _public(obj: Any) -> set[str]:
    return {n for n in dir(obj) if not n.startswith("_")}


def _module(rt: DeviceRuntime, name: str) -> types.ModuleType:
    return rt.import_module(name)


@pytest.mark.parametrize("name", MODULES)
def test_module_names_are_exactly_the_table(runtime: DeviceRuntime, name: str) -> None:
    wanted = {n for n in fs.offered(name) if not n.startswith("_")}
    assert _public(_module(runtime, name)) == wanted


@pytest.mark.parametrize(("module", "type_name"), TYPES)
def test_type_members_are_exactly_the_table(runtime: DeviceRuntime, module: str,
                                            type_name: str) -> None:
    cls = getattr(_module(runtime, module), type_name)
    wanted = {n for n in fs.offered_members(module, type_name) if not n.startswith("_")}
    assert _public(cls) == wanted


def _callables() -> list[tuple[str, str | None, str, fs.Entry]]:
    found: list[tuple[str, str | None, str, fs.Entry]] = []
    for module in MODULES:
        for attr, entry in fs.offered(module).items():
            if entry.kind in fs.CALLABLE_KINDS and not attr.startswith("_"):
                found.append((module, None, attr, entry))
    for module, type_name in TYPES:
        for attr, entry in fs.offered_members(module, type_name).items():
            if entry.kind in fs.CALLABLE_KINDS and not attr.startswith("_"):
                found.append((module, type_name, attr, entry))
    return found


CALLABLES = _callables()


def _target(rt: DeviceRuntime, module: str, type_name: str | None, attr: str) -> Any:
    owner: Any = _module(rt, module)
    if type_name is not None:
        cls = getattr(owner, type_name)
        ctor = fs.SURFACE[module].classes[type_name].ctor
        if ctor is None:
            owner = cls
        elif type_name == "CheckNetwork":
            owner = cls("proj", "1.0")
        elif type_name == "PWM":
            owner = cls(0, 0, 100, 50)
        else:
            owner = cls()
    return getattr(owner, attr)


@pytest.mark.parametrize(("module", "type_name", "attr", "entry"), CALLABLES,
                         ids=["%s.%s%s" % (m, t + "." if t else "", a) for m, t, a, _ in CALLABLES])
def test_argument_counts_are_the_tables(runtime: DeviceRuntime, module: str,
                                        type_name: str | None, attr: str,
                                        entry: fs.Entry) -> None:
    func = _target(runtime, module, type_name, attr)
    lo, hi = fs.arg_range(entry)
    self_counts = entry.kind == "method"
    if lo > 0:
        with pytest.raises(TypeError, match=r"^function (takes|missing)") as few:
            func(*([0] * (lo - 1)))
        assert "positional arguments" in str(few.value)
    if hi is not None:
        with pytest.raises(TypeError, match=r"^function ") as many:
            func(*([0] * (hi + 1)))
        given = hi + 1 + (1 if self_counts else 0)
        assert str(many.value).endswith("%d were given" % given) or \
            str(many.value).endswith("got %d" % given), str(many.value)


@pytest.mark.parametrize(("source", "error"), [
    ("import usocket\nusocket.socket().getsockname()",
     "AttributeError: 'socket' object has no attribute 'getsockname'"),
    ("import usocket\nusocket.socket().shutdown(2)",
     "AttributeError: 'socket' object has no attribute 'shutdown'"),
    ("import usocket\nusocket.socket().gettimeout()",
     "AttributeError: 'socket' object has no attribute 'gettimeout'"),
    ("import usocket\nusocket.socket().recv_into(bytearray(4))",
     "AttributeError: 'socket' object has no attribute 'recv_into'"),
    ("import uos\nuos.sep", "AttributeError: 'module' object has no attribute 'sep'"),
    ("import uos\nuos.dupterm(None)",
     "AttributeError: 'module' object has no attribute 'dupterm'"),
    ("import dataCall\ndataCall.getPdpRange()",
     "AttributeError: 'module' object has no attribute 'getPdpRange'"),
    ("import misc\nmisc.Power()", "TypeError: cannot create 'Power' instances"),
    ("import os", "ImportError: no module named 'os'"),
    ("import usocket\nusocket.socket().listen()",
     "TypeError: function takes 2 positional arguments but 1 were given"),
    ("import dataCall\ndataCall.getInfo(1)",
     "TypeError: function missing 1 required positional arguments"),
    ("import usocket\nusocket.socket(af=2)",
     "TypeError: function doesn't take keyword arguments"),
])
def test_what_the_firmware_lacks_fails_with_its_own_error(runtime: DeviceRuntime, source: str,
                                                          error: str) -> None:
    text = runtime.execute(source)
    assert text is not None and text.rstrip().endswith(error), text


def test_getaddrinfo_answers_an_empty_list_for_an_unknown_host(runtime: DeviceRuntime) -> None:
    usocket = _module(runtime, "usocket")
    assert usocket.getaddrinfo("no-such-host.invalid", 21) == []
    info = usocket.getaddrinfo("127.0.0.1", 21)
    assert info and info[0][-1] == ("127.0.0.1", 21) and len(info[0]) == 5


def test_datacall_getinfo_has_the_firmware_shape(tmp_path: Path) -> None:
    rt = DeviceRuntime(ModuleConfig(ip="10.1.2.3"), tmp_path, lambda data: None, InputQueue())
    datacall = rt.import_module("dataCall")
    assert datacall.getInfo(1, 0) == (1, 0, [1, 0, "10.1.2.3", "8.8.8.8", "114.114.114.114"])
    assert len(datacall.getInfo(1, 2)) == 4
    down = DeviceRuntime(ModuleConfig(ip=""), tmp_path, lambda data: None, InputQueue())
    assert down.import_module("dataCall").getInfo(1, 0)[2][:3] == [0, 0, "0.0.0.0"]


def test_socket_stream_methods_as_the_firmware(runtime: DeviceRuntime) -> None:
    """readline(limit), read(n), makefile() is the socket, and the peer's close: recv
    raises OSError(107), read(n) answers b'' (modsocket.c:747-757, py/stream.c:203-207)."""
    usocket = _module(runtime, "usocket")
    own = runtime.config.ip  # the module's own address: it connects to itself there
    server = usocket.socket()
    server.bind(("", 0))
    server.listen(1)
    port = server._sock.getsockname()[1]  # the host side of the test may look underneath
    client = usocket.socket()
    client.connect((own, port))
    conn, addr = server.accept()
    assert addr[0] == own
    conn.write(b"220 hello\r\nabcdef")
    conn.close()
    f = client.makefile("rb")
    assert f is client
    assert f.readline(100) == b"220 hello\r\n"
    assert f.readline(3) == b"abc"
    assert f.read(2) == b"de"
    assert f.read(10) == b"f"
    with pytest.raises(OSError) as closed:
        client.recv(10)
    assert closed.value.args[0] == 107
    assert client.read(10) == b""
    client.close()
    server.close()


def test_latin_1_acts_as_utf_8_in_device_code(runtime: DeviceRuntime) -> None:
    source = ("x = '测试文件'.encode('latin-1')\n"
              "assert x == b'\\xe6\\xb5\\x8b\\xe8\\xaf\\x95\\xe6\\x96\\x87\\xe4\\xbb\\xb6', x\n"
              "assert x.decode('latin-1') == '测试文件'\n"
              "assert bytearray(x).decode('ascii') == '测试文件'\n")
    assert runtime.execute(source) is None
