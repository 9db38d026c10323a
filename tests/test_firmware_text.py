"""Text as the firmware keeps it, through the real REPL (firmware_surface.TEXT).

Every fact of the table with a probe runs on a virtual module over its pseudo-terminal:
the CPython engine as the legacy build (no unicode, the default), the CPython engine as a
build with unicode (ModuleConfig(unicode=True), the newer port), and the micropython
engine, whose interpreter is unicode but compiles as the build does. Then the host's side:
the literals it sends read alike on every build, and a step's non-ASCII argument reaches
the module as its UTF-8 bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.emulator import ModuleConfig, VirtualModule
from harness.emulator import firmware_surface as fs
from harness.errors import DeviceExecError
from harness.micropython import gate
from harness.wire import snippets
from harness.wire.device import Device
from harness.wire.serial_log import SerialLog
from tests.support import micropython_missing

PROBED = {name: fact for name, fact in fs.TEXT.items() if fact.probe}
# where the CPython engine with unicode does not follow a unicode build, and why
CPYTHON_UNICODE_GAPS = {
    # CPython pads and cuts by characters; MicroPython's lengths are bytes with unicode too
    "format": "widths and precisions of a non-ASCII str count characters",
}
# what the micropython engine shows of the build rather than of its interpreter
MICROPYTHON_AS_BUILD = {"escape-wide"}  # the 1.13 gate refuses it, as the build's lexer


def _said(device: Device, code: str) -> str:
    """What the probe printed, or the exception line it raised."""
    try:
        return device.exec(code, timeout=20).strip()
    except DeviceExecError as exc:
        return exc.exception_line.strip()


@pytest.fixture(scope="module")
def modules() -> Iterator[Callable[[str, bool], Device]]:
    """One virtual module per (engine, unicode), opened once for the module's tests."""
    opened: dict[tuple[str, bool], tuple[VirtualModule, Device]] = {}

    def get(engine: str, unicode: bool) -> Device:
        key = (engine, unicode)
        if key not in opened:
            missing = micropython_missing() if engine == "micropython" else ""
            if missing:
                pytest.skip(missing)
            module = VirtualModule(ModuleConfig(engine=engine, unicode=unicode)).start()
            opened[key] = (module, Device.open(module.port, SerialLog()))
        return opened[key][1]

    yield get
    for module, device in opened.values():
        device.close()
        module.stop()


@pytest.mark.parametrize("name", sorted(PROBED))
def test_the_legacy_build_on_the_cpython_engine(modules, name: str) -> None:
    fact = PROBED[name]
    assert _said(modules("cpython", False), fact.probe) == fact.legacy_out, fact.source


@pytest.mark.parametrize("name", sorted(PROBED))
def test_a_unicode_build_is_the_newer_port(modules, name: str) -> None:
    fact = PROBED[name]
    said = _said(modules("cpython", True), fact.probe)
    if name in CPYTHON_UNICODE_GAPS:
        assert said != fact.unicode_out, "a gap closed: drop it from CPYTHON_UNICODE_GAPS"
        pytest.xfail(CPYTHON_UNICODE_GAPS[name])
    assert said == fact.unicode_out, fact.unicode_source or fact.source


@pytest.mark.parametrize("name", sorted(PROBED))
def test_the_micropython_engine_is_unicode_but_compiles_as_the_build(modules,
                                                                      name: str) -> None:
    fact = PROBED[name]
    want = fact.legacy_out if name in MICROPYTHON_AS_BUILD else fact.unicode_out
    assert _said(modules("micropython", False), fact.probe) == want


def test_a_unicode_build_says_so_in_its_mpy_header(modules) -> None:
    # MPY_FILE_HEADER_INT: version 5 | feature byte << 8, bit 1 unicode (fs.TEXT mpy-flag)
    assert _said(modules("cpython", False), "import usys\nprint(usys.implementation.mpy)") \
        == "5"
    assert _said(modules("cpython", True), "import usys\nprint(usys.implementation.mpy)") \
        == "517"


def test_str_methods_keep_the_firmware_rules_on_bytes(modules) -> None:
    legacy = modules("cpython", False)
    # split on ASCII whitespace only, with maxsplit as objstr.c:519-545; strip likewise;
    # rsplit(None, n) is not implemented (objstr.c:655-656); case is ASCII's
    assert _said(legacy, "s = ' a\\xa0b  c '.split(None, 1)\n"
                         "print(len(s), s[0].encode(), s[1].encode())") == "2 b'a\\xa0b' b'c '"
    assert _said(legacy, "print(len('\\x1c a \\x85'.strip()))") == "5"
    assert _said(legacy, "print('x y'.rsplit(None, 1))") == \
        "NotImplementedError: rsplit(None,n)"
    assert _said(legacy, "print('aB\\xe9'.upper().encode(), 'a\\xc9'.islower())") == \
        "b'AB\\xe9' True"


def test_the_console_writes_and_reads_bytes(modules) -> None:
    legacy = modules("cpython", False)
    # print of a str: its bytes (objstr.c:113-134); a raw byte goes out as it is
    assert legacy.exec_bytes("print('\\xe6\\xb5\\x8b', end='')") == "测".encode()
    assert legacy.exec_bytes("import usys\nusys.stdout.write('\\xff')") == b"\xff"


def test_a_non_ascii_step_argument_arrives_as_its_utf8_bytes(modules) -> None:
    """The host's step arguments are JSON with the text as it is: ujson.loads of a
    \\uXXXX escape would cut it to its low byte on the legacy build."""
    for engine, unicode in (("cpython", False), ("cpython", True), ("micropython", False)):
        device = modules(engine, unicode)
        # a steps module whose step prints the bytes of the argument it got
        device.exec("import ujson\nclass probe:\n    def run(step, a):\n"
                    "        print(a['name'].encode())\n")
        code = snippets.step_run("probe", "upload", {"name": "测试 Ü\x07'\""})
        assert _said(device, code) == repr("测试 Ü\x07'\"".encode()), (engine, unicode)


@pytest.mark.parametrize("text", ["测试文件.bin", "Überweisung März.txt", "zero\u200bwidth",
                                  "nbsp\xa0and\u2028sep", "quote'\"back\\slash\ttab\x00"])
def test_host_literals_read_alike_on_every_build(modules, text: str) -> None:
    literal = snippets.mp_literal(text)
    assert "\\u" not in literal and "\\N" not in literal
    assert not gate.first_violation_as_syntax_error("x = %s\n" % literal)
    for engine, unicode in (("cpython", False), ("cpython", True), ("micropython", False)):
        said = _said(modules(engine, unicode), "print(%s.encode())" % literal)
        assert said == repr(text.encode()), (engine, unicode, literal)


def test_repr_would_not_have_done(modules) -> None:
    """Why the host does not fill templates with repr(): the legacy build reads its
    escapes differently (or refuses them)."""
    assert repr("zero\u200bwidth") == "'zero\\u200bwidth'"
    legacy = modules("cpython", False)
    assert _said(legacy, "print(%r)" % "zero\u200bwidth") == "SyntaxError: invalid syntax"
    assert _said(legacy, "print(%r.encode())" % "nbsp\xa0") == "b'nbsp\\xa0'"  # not UTF-8


def test_the_engine_fact_says_how_text_is_held() -> None:
    from harness.emulator import engine_fact

    assert "str is bytes" in engine_fact(ModuleConfig())
    assert "str is unicode" in engine_fact(ModuleConfig(unicode=True))
    # the micropython engine's interpreter is unicode: the report says where it differs
    assert "the firmware's is bytes" in engine_fact(ModuleConfig(engine="micropython"))


def test_a_clipped_reply_ends_on_a_whole_character(modules) -> None:
    """hil_ftp.clip keeps MAX_TEXT bytes of a reply: on the legacy build a slice of the str
    would halve a UTF-8 character of a file name."""
    root = Path(__file__).resolve().parents[1] / "device_scripts"
    for engine, unicode in (("cpython", False), ("cpython", True), ("micropython", False)):
        device = modules(engine, unicode)
        device.makedirs("/usr/clip")
        for name in ("hil_ftp.py", "hil_common.py"):
            device.push((root / name).read_bytes(), "/usr/clip/" + name)
        reply = "550 " + "测" * 100  # 304 bytes: a cut at 200 falls inside a character
        said = device.exec("import usys\nusys.path.insert(0, '/usr/clip')\nimport hil_ftp\n"
                           "print(hil_ftp.clip(%s))" % snippets.mp_literal(reply))
        assert said.strip() == "550 " + "测" * 65, (engine, unicode)  # 4 + 195 bytes


def test_every_text_fact_names_its_lines() -> None:
    line = re.compile(r":\d+(-\d+)? \(")
    for name, fact in fs.TEXT.items():
        assert fs.REPO + "@" in fact.source and line.search(fact.source), name
        assert not fact.unicode_source or line.search(fact.unicode_source), name
        assert fact.legacy and fact.unicode and fact.emulated_by, name
        assert bool(fact.probe) == bool(fact.legacy_out) == bool(fact.unicode_out), name
