"""The host library has no import circle, and each wing imports only what it says.

A circle works until someone imports the "wrong" module first, then fails with
a half-initialised module (the emulator's runtime and firmware modules once
imported each other for the reboot/power events). Three checks: a static graph
of every import in harness/ (also the ones inside functions, which only hide a
circle until the function runs, and the ones for type hints only, which tie two
modules as tightly for a reader), each wing's edges against the "May import:"
line of its docstring, and, for the emulator, a real import of each module first
in a fresh interpreter.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "harness"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking_block(node: ast.AST) -> bool:
    # imports for annotations only never run: they cannot form a circle
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, name: str, known: set[str], type_only: bool = False) -> set[str]:
    """The harness modules `name` imports when it (or one of its functions) runs; with
    type_only, also the ones under `if TYPE_CHECKING:`."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"), str(path))]
    while pending:
        node = pending.pop()
        if _is_type_checking_block(node) and not type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from package import module` imports that module too
            found.update(target + "." + alias.name for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    edges = set()
    for target in found:
        # `import harness.emulator.runtime` runs harness.emulator first
        parts = target.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            if prefix in known and prefix != name:
                edges.add(prefix)
    return edges


def import_graph(type_only: bool = False) -> dict[str, set[str]]:
    files = {_module_name(p): p for p in (ROOT / PACKAGE).rglob("*.py")}
    known = set(files)
    return {name: _imports(path, name, known, type_only) for name, path in files.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> list[str] | None:
        if name in trail:
            return trail[trail.index(name):] + [name]
        if name in done:
            return None
        for target in sorted(graph.get(name, ())):
            # a package importing its own submodules is how packages work
            if target.startswith(name + "."):
                continue
            circle = visit(target, trail + [name])
            if circle:
                return circle
        done.add(name)
        return None

    for start in sorted(graph):
        circle = visit(start, [])
        if circle:
            return circle
    return None


def test_harness_has_no_import_circle():
    graph = import_graph()
    assert "harness.emulator.runtime" in graph  # the walk found the package
    assert find_circle(graph) is None, " -> ".join(find_circle(graph) or [])


def test_no_circle_even_through_imports_for_type_hints():
    graph = import_graph(type_only=True)
    assert find_circle(graph) is None, " -> ".join(find_circle(graph) or [])


# -- wings ----------------------------------------------------------------------

SHARED = {"harness.errors", "harness.deadline", "harness.digest", "harness.redact",
          "harness.link_profiles", "harness.link_budget"}
ENTRY = {"harness.cli", "harness.__main__"}


def wings() -> dict[str, set[str]]:
    """Each wing (a folder of harness/) -> the parts of harness/ its docstring allows."""
    allowed = {}
    for init in sorted((ROOT / PACKAGE).glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        line = " ".join(doc.split("May import:", 1)[1].split()) if "May import:" in doc else ""
        assert line, "%s: its docstring has no 'May import:' line" % init.relative_to(ROOT)
        names = {word.strip(".,") for word in line.split() if word.startswith("harness.")}
        allowed["%s.%s" % (PACKAGE, init.parent.name)] = names
    return allowed


def part_of(module: str, wing_names: set[str]) -> str:
    for wing in wing_names:
        if module == wing or module.startswith(wing + "."):
            return wing
    return module  # a module at the top of harness/


def test_every_wing_imports_only_what_its_docstring_allows():
    allowed = wings()
    assert {"harness.wire", "harness.scenario", "harness.servers"} <= set(allowed)
    broken = []
    for module, targets in import_graph(type_only=True).items():
        source = part_of(module, set(allowed))
        if module in ENTRY or source == PACKAGE:
            continue
        for target in targets:
            wing = part_of(target, set(allowed))
            if wing in (source, PACKAGE):
                continue
            # a module at the top (errors, deadline, ...) may import nothing of harness/
            permitted = allowed.get(source, set())
            if wing not in permitted:
                broken.append("%s imports %s" % (module, target))
    assert not broken, "imports the wing's 'May import:' line does not allow:\n" + \
        "\n".join(sorted(broken))


def test_the_top_of_harness_holds_only_what_every_wing_shares():
    top = {_module_name(p) for p in (ROOT / PACKAGE).glob("*.py")}
    assert top - {PACKAGE} == SHARED | ENTRY


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_circle(graph) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


def test_a_function_level_import_counts(tmp_path):
    source = "def f():\n    from ..runtime import X\n"
    path = tmp_path / "fw_usys.py"
    path.write_text(source)
    name = "harness.emulator.cpython_fw.fw_usys"
    known = {"harness.emulator.runtime", name, "harness.emulator"}
    edges = _imports(path, name, known)
    assert "harness.emulator.runtime" in edges
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..runtime import X\n"
    path.write_text(guarded)
    assert "harness.emulator.runtime" not in _imports(path, name, known)


# the emulator's Python packages, cpython_fw/ with them (mpy/ is MicroPython code for the
# unix port, not a package)
EMULATOR_MODULES = sorted(
    _module_name(p) for p in (ROOT / PACKAGE / "emulator").rglob("*.py")
    if (p.parent / "__init__.py").is_file())


def test_the_fresh_interpreter_check_reaches_the_subpackages():
    assert "harness.emulator.cpython_fw.fw_usocket" in EMULATOR_MODULES
    assert set(FIRST_IN_THE_QUICK_SUITE) <= set(EMULATOR_MODULES)
    assert not any(".mpy." in name for name in EMULATOR_MODULES)


# what a run imports first: the host side, and the module's own process. Every other
# module first, a fresh interpreter each (some 35, 0.2 s of CPU apiece), with the long runs.
FIRST_IN_THE_QUICK_SUITE = ("harness.emulator", "harness.emulator.module")


@pytest.mark.parametrize("first", [
    name if name in FIRST_IN_THE_QUICK_SUITE else pytest.param(name, marks=pytest.mark.end_to_end)
    for name in EMULATOR_MODULES])
def test_each_emulator_module_imports_first_in_a_fresh_interpreter(first):
    # then the others: over the whole parametrisation each pair is tried in both orders
    order = [first] + [name for name in EMULATOR_MODULES if name != first]
    code = "import importlib\nfor name in %r:\n    importlib.import_module(name)\n" % order
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
