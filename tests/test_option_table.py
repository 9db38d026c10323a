"""Every option is one row of harness/options/table.py, and nothing else says otherwise.

pytest --help (what conftest.py and fixtures/options.py declared), BenchOptions (what
the fixtures read), README.md's options table and the bench guide's list of ini
settings are each held to the rows, so an option written down a second time, or
changed in one place only, fails here.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from fixtures.options import BenchOptions
from harness.options.table import INI_SETTINGS, OPTIONS, OptionSpec
from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]
BY_NAME = {spec.name: spec for spec in OPTIONS}


def test_names_are_unique_and_long_options() -> None:
    assert len(BY_NAME) == len(OPTIONS)
    for spec in OPTIONS:
        assert re.fullmatch(r"--[a-z0-9]+(-[a-z0-9]+)*", spec.name), spec.name


def test_bench_options_has_one_field_per_row_in_its_order() -> None:
    assert [f.name for f in fields(BenchOptions)] == [spec.field for spec in OPTIONS]


def _conforms(value: object, hint: Any) -> bool:
    """isinstance for the hints BenchOptions uses: X | None, tuple[X, ...], classes."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return any(_conforms(value, arg) for arg in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return isinstance(value, tuple) and all(_conforms(one, item) for one in value)
    return isinstance(value, hint)


@pytest.mark.parametrize("spec", OPTIONS, ids=lambda spec: spec.name)
def test_what_a_row_gives_when_not_given_fits_its_field(spec: OptionSpec) -> None:
    # mypy cannot follow a row's parser into BenchOptions(**...): this does, for the
    # value a run without the option gets (a parsed default, None, or no repeats)
    hint = typing.get_type_hints(BenchOptions)[spec.field]
    if spec.repeatable:
        assert spec.default is None, "a repeated option starts from none"
        assert _conforms((), hint), hint
    elif spec.default is None:
        assert _conforms(None, hint), "%s: no default, so the field must allow None" % hint
    else:
        assert _conforms(spec.parse(spec.name, spec.default), hint), hint


@pytest.mark.parametrize("spec", [s for s in OPTIONS if s.default is not None],
                         ids=lambda spec: spec.name)
def test_the_help_names_the_default(spec: OptionSpec) -> None:
    assert spec.default is not None
    assert re.search(r"(?<![\w.])%s(?![\w.])" % re.escape(spec.default), spec.help), (
        "%s's help does not name its default, %s" % (spec.name, spec.default))


# --- what pytest was told ---------------------------------------------------------


@pytest.fixture(scope="module")
def pytest_help() -> str:
    proc = warm_python.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-o", "addopts=", "--help"],
        cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_pytest_declares_every_row_and_no_other_option(pytest_help: str) -> None:
    """The qpy-ftp-hil group of pytest --help: each row's name and metavar, nothing more
    (an option declared beside the table shows up here)."""
    section = pytest_help.split("\nqpy-ftp-hil:\n", 1)[1].split("\n\n", 1)[0]
    declared = dict(re.findall(r"^  (--[a-z0-9-]+)=(\S+)", section, re.MULTILINE))
    assert declared == {spec.name: spec.metavar or spec.dest.upper() for spec in OPTIONS
                        if not spec.flag}
    flags = re.findall(r"^  (--[a-z0-9-]+)(?:\s|$)", section, re.MULTILINE)
    assert flags == [spec.name for spec in OPTIONS if spec.flag]


def test_pytest_declares_every_ini_setting_and_no_other(pytest_help: str) -> None:
    declared = re.findall(r"^  ([a-z_]+) \(([a-z]+)\):\s+qpy-ftp-hil: like (--[a-z0-9-]+) ",
                          pytest_help, re.MULTILINE)
    assert declared == [(spec.dest, spec.ini, spec.name) for spec in OPTIONS if spec.ini]


# --- what the documents say ------------------------------------------------------


def readme_rows() -> list[tuple[list[tuple[str, bool]], str]]:
    """README.md's options table: per row, its options (name, marked *ini*) and its
    default column."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n### Options\n", 1)[1].split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `--"):
            options, default = [cell.strip() for cell in line.split("|")[1:3]]
            named = re.findall(r"`(--[a-z0-9-]+)`( \*ini\*)?", options)
            rows.append(([(name, bool(ini)) for name, ini in named], default.strip("`")))
    return rows


def test_readme_has_a_row_for_each_option_marked_readme() -> None:
    listed = [name for options, _ in readme_rows() for name, _ in options]
    assert len(listed) == len(set(listed)), "an option in two README rows"
    assert set(listed) - set(BY_NAME) == set(), "README rows for options that do not exist"
    assert set(listed) == {spec.name for spec in OPTIONS if spec.readme}


def test_readme_marks_exactly_the_ini_settings() -> None:
    marked = {name for options, _ in readme_rows() for name, ini in options if ini}
    assert marked == {spec.name for spec in OPTIONS if spec.ini}


def test_readme_default_column_is_the_rows_default() -> None:
    """A row's default column is its first option's default; where that option has
    none (it depends on the run), the column says so in words, unchecked."""
    for options, default in readme_rows():
        first = BY_NAME[options[0][0]]
        if first.default is not None:
            assert default == first.default, "README: %s" % first.name


def test_bench_guide_lists_the_ini_settings() -> None:
    text = (ROOT / "docs" / "bench-guide.md").read_text(encoding="utf-8")
    listed = re.search(r"^The settings are (.+?)\.\s", text, re.MULTILINE | re.DOTALL)
    assert listed, "docs/bench-guide.md: the sentence 'The settings are ...' is gone"
    assert re.findall(r"`([a-z_]+)`", listed.group(1)) == list(INI_SETTINGS)
