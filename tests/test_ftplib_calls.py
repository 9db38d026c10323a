"""The table of ftplib calls device code relies on (harness/deploy/ftplib_calls.py)
is the truth: every call device code makes is in it, as device code makes it; ours,
CPython's and the Quectel stand-in are as it says; the door check reads it."""

from __future__ import annotations

import ast
import ftplib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.deploy.ftplib_calls import CALLS, by_name, required, rows
from harness.deploy.ftplib_check import Arity, gaps_line, host_gaps, module_gaps
from harness.deploy.scripts import deploy_scripts, resolve_ftplib
from harness.emulator import ModuleConfig, VirtualModule
from harness.wire.device import Device
from tests.test_layout import module_constants

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "device_scripts"
BUNDLED = SCRIPTS / "ftplib.py"
STANDIN = Path(__file__).with_name("quectel_ftplib_standin.py")
QUECTEL_LIKE = Path(__file__).with_name("quectel_ftplib_like.py")
# how device code names an ftplib: the module, an FTP object, the one a session holds
FTPLIB_NAMES = {"ftplib"}
FTP_NAMES = {"ftp"}


def _is_ftp(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in FTP_NAMES
    # ctx['ftp']
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
        and node.slice.value == "ftp"


def device_calls(path: Path) -> Iterator[tuple[str, str, int | str | None, int]]:
    """(name in the table's form, how it is used, positional count or keyword name,
    line) of every use of an ftplib in a device script."""
    tree = ast.parse(path.read_text())
    calls = {id(node.func): node for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (_is_ftp(node.value) or (
                isinstance(node.value, ast.Name) and node.value.id in FTPLIB_NAMES)):
            on_module = isinstance(node.value, ast.Name) and node.value.id in FTPLIB_NAMES
            name = node.attr if on_module else "FTP." + node.attr
            call = calls.get(id(node))
            if call is not None:
                yield name, "call", len(call.args), node.lineno
                for keyword in call.keywords:
                    yield name, "keyword", keyword.arg, node.lineno
            else:
                how = "set" if isinstance(node.ctx, ast.Store) else "read"
                yield name, how, None, node.lineno
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("getattr", "hasattr") and _is_ftp(node.args[0]):
            attr = node.args[1]
            if isinstance(attr, ast.Constant):
                yield "FTP." + str(attr.value), node.func.id, None, node.lineno
                continue
            # op_api: getattr(ftp, name)(*args), name one of API_CALLS
            assert isinstance(attr, ast.Name) and node.func.id == "getattr", node.lineno
            for name in module_constants(path)["API_CALLS"]:  # type: ignore[attr-defined]
                yield "FTP." + name, "call", "*args", node.lineno


def test_every_ftplib_call_of_device_code_is_in_the_table_as_it_is_made() -> None:
    table = by_name()
    seen = set()
    for name, how, count, line in device_calls(SCRIPTS / "hil_ftp.py"):
        assert name in table, "hil_ftp.py line %d uses %s: add it to ftplib_calls.py" % (
            line, name)
        call = table[name]
        seen.add(name)
        if how == "call" and count == "*args":
            assert not call.required, "%s is called by name from op_api: not required" % name
        elif how == "call":
            assert count == len(call.passes), "line %d passes %d arguments to %s, the table " \
                "says %s" % (line, count, name, call.passes)
        elif how == "keyword":
            assert count in call.keywords, "line %d passes %s= to %s, the table says %s" % (
                line, count, name, call.keywords)
        elif how == "set":
            assert call.kind == "attribute set", (name, line)
        elif how in ("getattr", "hasattr"):
            assert not call.required, "%s is asked for first (line %d): not required" % (
                name, line)
    assert seen == set(table), "in the table, never used: %s" % (set(table) - seen)
    assert list(device_calls(SCRIPTS / "hil_gen.py")) == []  # payloads: no ftplib


def parameters(path: Path) -> dict[str, tuple[str, int]]:
    """FTP's methods in an ftplib source: name -> (parameters after self, line)."""
    tree = ast.parse(path.read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "FTP")
    found = {}
    for node in cls.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = (ast.unparse(node.args).split(", ", 1)[-1]
                                if node.args.args[1:] or node.args.vararg
                                or node.args.kwonlyargs else "", node.lineno)
    return found


def methods_of_rows() -> list[tuple[str, str]]:
    return [(call.name, call.method) for call in CALLS if call.kind in ("class", "method")]


@pytest.mark.parametrize("name, method", methods_of_rows())
def test_ours_is_as_the_table_says(name: str, method: str) -> None:
    has = by_name()[name].bundled
    assert parameters(BUNDLED)[method] == (has.params, has.line)


@pytest.mark.parametrize("name, method", methods_of_rows())
def test_cpythons_is_as_the_table_says(name: str, method: str) -> None:
    has = by_name()[name].cpython
    found = parameters(Path(ftplib.__file__))[method]
    assert found[0] == has.params
    if sys.version_info[:2] == (3, 11):  # the table quotes 3.11's lines
        assert found[1] == has.line


@pytest.mark.parametrize("name, method", methods_of_rows())
def test_the_quectel_stand_in_has_quectels_signatures(name: str, method: str) -> None:
    # the stand-in repeats QuecPython/ftplib@6d957e96 (whose lines the table quotes)
    assert parameters(STANDIN)[method][0] == by_name()[name].quectel.params


@pytest.mark.parametrize("path", [BUNDLED, STANDIN, Path(ftplib.__file__)],
                         ids=["bundled", "quectel-stand-in", "cpython"])
def test_every_ftplib_the_harness_knows_passes_the_door(path: Path) -> None:
    assert host_gaps(path) is None


def test_our_guess_at_a_worse_ftplib_cannot_resume_and_the_door_says_so() -> None:
    assert host_gaps(QUECTEL_LIKE) == ("FTP.retrbinary(cmd, callback, blocksize=1024) has no "
                                       "rest, which the steps pass by name")


@pytest.mark.parametrize("source, said", [
    ("", "no class FTP (the steps call FTP(), FTP.connect(host, port, timeout), FTP.set_pasv"),
    ("class FTP:\n    pass\n", "FTP lacks connect, set_pasv, login, sendcmd, getresp, "
                               "retrbinary, storbinary, retrlines, quit, close"),
    ("class FTP:\n    def __init__(self, host):\n        pass\n",
     "FTP.__init__(host) takes 1 argument, the steps pass 0"),
    ("class FTP:\n    def retrbinary(self, cmd, callback, *, blocksize=1024):\n        pass\n",
     "FTP.retrbinary(cmd, callback, *, blocksize=1024) takes 2 arguments, the steps pass 3: "
     "cmd, callback, blocksize"),
], ids=["empty", "class-FTP-pass", "init-needs-a-host", "blocksize-keyword-only"])
def test_what_a_hollow_ftplib_lacks_is_named(tmp_path: Path, source: str, said: str) -> None:
    path = tmp_path / "ftplib.py"
    path.write_text(source)
    found = host_gaps(path)
    assert found is not None and said in found, found


def test_methods_come_from_bases_in_the_same_file_and_optional_ones_are_not_asked(
        tmp_path: Path) -> None:
    path = tmp_path / "ftplib.py"
    methods = "".join("    def %s(self%s):\n        pass\n" % (
        call.method, "".join(", " + p for p in call.passes)
        + "".join(", %s=None" % k for k in call.keywords))
        for call in required() if call.kind == "method")
    path.write_text("class _Base:\n%s\n\nclass FTP(_Base):\n    pass\n" % methods)
    assert host_gaps(path) is None  # storlines and lastresp are not required


@pytest.mark.parametrize("source", [
    "from elsewhere import FTP\n",
    "try:\n    from elsewhere import Base\nexcept ImportError:\n    Base = object\n\n\n"
    "class FTP(Base):\n    pass\n",
], ids=["imported", "base-imported"])
def test_what_the_host_cannot_read_is_left_to_the_module(tmp_path: Path, source: str) -> None:
    path = tmp_path / "ftplib.py"
    path.write_text(source)
    assert host_gaps(path) is None


def test_a_method_takes_what_the_steps_pass() -> None:
    assert Arity(2, 4).takes(3) and Arity(1, None).takes(9) and not Arity(3, 3).takes(2)
    assert gaps_line({"retrbinary": Arity(3, 3, "a, b, c")}, [by_name()["FTP.retrbinary"]]) \
        is None
    assert gaps_line({}, [by_name()["FTP.storlines"]]) == "FTP lacks storlines"


def test_the_table_renders_for_the_docs() -> None:
    table = rows()
    assert len(table) == len(CALLS)
    retr = next(r for r in table if r["call"].startswith("FTP.retrbinary("))
    assert retr["call"] == "FTP.retrbinary(cmd, callback, blocksize, [rest=...])"
    assert retr["quectel"] == "(cmd, callback, blocksize=2048, rest=None) line 632"
    assert "rest" in retr["differences"] and retr["required"] == "yes"
    assert next(r for r in table if r["call"] == "FTP.port_host")["cpython"] == "no"
    assert all(r["note"] for r in table)


# -- on the module ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def device() -> Iterator[Device]:
    with VirtualModule(ModuleConfig()) as module:
        dev = Device.open(module.port)
        deploy_scripts(dev, SCRIPTS)
        yield dev
        dev.close()


@pytest.mark.parametrize("choice", ["bundled", "firmware", str(STANDIN)])
def test_the_module_finds_nothing_missing_in_a_whole_ftplib(device: Device, choice: str) -> None:
    assert module_gaps(device, resolve_ftplib(device, choice)) is None


@pytest.mark.parametrize("source, said", [
    ("FTP = None\n", "no class FTP"),
    ("FTP = type('FTP', (), {'connect': lambda self, host, port: None})\n",
     "FTP.connect takes 2 arguments, the steps pass 3: host, port, timeout"),
    ("FTP = type('FTP', (), {'retrbinary': lambda self, cmd, callback, blocksize: None})\n",
     "FTP.retrbinary has no rest, which the steps pass by name"),
], ids=["no-class", "short-connect", "no-rest"])
def test_the_module_names_what_a_run_time_class_lacks(device: Device, tmp_path: Path,
                                                      source: str, said: str) -> None:
    path = tmp_path / "ftplib.py"
    path.write_text(source)
    assert host_gaps(path) is None  # built when it runs: only the module can tell
    device.soft_reset()  # a user's ftplib is imported once per boot: the one before goes
    found = module_gaps(device, resolve_ftplib(device, str(path)))
    assert found is not None and said in found, found  # CPython engine: counts known too
