"""The host's operation helpers (harness/scenario/ops.py) and the module's operations
(device_scripts/hil_ftp.py OPS) name the same operations and the same fields.

A name or a field that only one side knows would otherwise show up on the module, at
run time ("unknown operation"), or not at all (a field the module never reads).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from harness.scenario import ops
from tests.support import load_module

ROOT = Path(__file__).resolve().parents[1]
HIL_FTP = ROOT / "device_scripts" / "hil_ftp.py"
ALWAYS_READ = {"op", "label"}  # run_op reads these of every operation


@pytest.fixture(scope="module")
def hil():
    return load_module("hil_ftp_ops_check", HIL_FTP)


def reads_of_op() -> dict[str, set[str]]:
    """Function name -> the fields it reads of its `op` argument (op['x'], op.get('x')),
    with the fields of the functions it hands `op` on to."""
    tree = ast.parse(HIL_FTP.read_text(encoding="utf-8"))
    own: dict[str, set[str]] = {}
    passes: dict[str, set[str]] = {}
    for func in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        found, callees = set(), set()
        for node in ast.walk(func):
            if isinstance(node, ast.Subscript) and _is_op(node.value) \
                    and isinstance(node.slice, ast.Constant):
                found.add(node.slice.value)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "get" and _is_op(node.func.value) and node.args \
                    and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and any(_is_op(arg) for arg in node.args):
                callees.add(node.func.id)
        own[func.name], passes[func.name] = found, callees
    return {name: own[name].union(*(own.get(c, set()) for c in passes[name]))
            for name in own}


def _is_op(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "op"


def test_every_module_operation_has_a_host_helper_and_no_more(hil) -> None:
    assert set(ops.BUILDERS) == set(hil.OPS), (
        "only on the module: %s; only on the host: %s"
        % (sorted(set(hil.OPS) - set(ops.BUILDERS)), sorted(set(ops.BUILDERS) - set(hil.OPS))))


SAMPLE = {"local": "/usr/hil/run/l", "remote": "r", "source": "a", "target": "b",
          "line": "SITE HELP", "seconds": 1.0, "arg": "x", "call": "size"}


@pytest.mark.parametrize("name", sorted(ops.BUILDERS))
def test_each_helper_builds_only_fields_its_operation_reads(hil, name: str) -> None:
    helper = ops.BUILDERS[name]
    params = inspect.signature(helper).parameters
    built = helper(**{p: SAMPLE[p] for p in params if p in SAMPLE}, label="it")
    assert built["op"] == name and built["label"] == "it"
    function = hil.OPS[name].__name__
    readable = reads_of_op()[function] | ALWAYS_READ
    assert set(built) <= readable, "%s builds fields %s that %s never reads" % (
        name, sorted(set(built) - readable), function)


def _keywords_used_with_ops() -> list[tuple[str, str, str]]:
    """(file, helper, keyword) for every ops.<helper>(..., keyword=...) in scenarios/ and
    tests/: the fields a scenario passes through **fields."""
    found = []
    for path in sorted([*(ROOT / "scenarios").glob("test_*.py"),
                        *(ROOT / "tests").glob("test_*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "ops":
                found += [(path.name, node.func.attr, k.arg) for k in node.keywords if k.arg]
    return found


def test_every_field_a_scenario_passes_is_read_on_the_module(hil) -> None:
    reads = reads_of_op()
    wrong = []
    for file, helper, keyword in _keywords_used_with_ops():
        builder = getattr(ops, helper, None)
        assert builder is not None, "%s calls ops.%s, which does not exist" % (file, helper)
        if keyword in inspect.signature(builder).parameters:
            continue  # a named parameter: checked above
        name = next(n for n, b in ops.BUILDERS.items() if b is builder)
        if keyword not in reads[hil.OPS[name].__name__] | ALWAYS_READ:
            wrong.append("%s: ops.%s(%s=...)" % (file, helper, keyword))
    assert not wrong, "fields the module's operation never reads: %s" % wrong


def test_the_field_check_sees_a_typo(tmp_path) -> None:
    # the reader above finds what an op function reads; a misspelt field is not among them
    reads = reads_of_op()
    assert "check_size" in reads["op_retr"] and "chek_size" not in reads["op_retr"]
    assert "arg" in reads["op_list"]  # read by listing(), which op_list hands `op` to
