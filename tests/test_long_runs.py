"""The long runs a plain `pytest` leaves out (tests/conftest.py LONG_RUNS) still run in CI:
each is a declared marker, a step of .ci/run of its own, and a row of README's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import LONG_RUNS

ROOT = Path(__file__).resolve().parents[1]


def ci_steps() -> list[str]:
    """The pytest commands of .ci/run, continued lines joined."""
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines()
            if re.match(r"\s*(\w+=\S+\s+)*pytest\s", line)]


@pytest.mark.parametrize("name", LONG_RUNS)
def test_a_long_run_is_a_marker_a_ci_step_and_a_readme_row(name: str,
                                                           pytestconfig: pytest.Config) -> None:
    declared = {line.split(":", 1)[0] for line in pytestconfig.getini("markers")}
    assert name in declared, "LONG_RUNS names %s, which pyproject.toml does not declare" % name
    steps = [step for step in ci_steps() if re.search(r"-m %s(\s|$)" % name, step)]
    assert steps, ".ci/run has no step of its own for -m %s" % name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "| `-m %s` |" % name in readme, "README's table of long runs lacks -m %s" % name


def test_the_plain_suite_skips_each_long_run_unless_chosen(request: pytest.FixtureRequest
                                                           ) -> None:
    chosen = request.config.getoption("markexpr") or ""
    for item in request.session.items:
        for name in LONG_RUNS:
            if item.get_closest_marker(name) is not None and name not in chosen:
                skip = item.get_closest_marker("skip")
                assert skip is not None and "-m %s" % name in skip.kwargs.get("reason", ""), \
                    item.nodeid
