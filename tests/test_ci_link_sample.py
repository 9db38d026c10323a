"""CI runs every scenario file at least once on the slowest link preset.

.ci/run runs the node ids of .ci/link_sample.txt with --emulator-link at the slowest
preset: the sample must name every file of scenarios/, and every id must still
collect (a renamed scenario would silently drop out of the run otherwise).
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.link_profiles import SLOWEST
from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / ".ci" / "link_sample.txt"
SAMPLE_ARGS = ["--payload-sizes=1024", "--ftplib=bundled"]  # as .ci/run gives them


def _sample() -> list[str]:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_the_sample_names_every_scenario_file() -> None:
    files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "scenarios").glob("test_*.py")}
    sampled = {node.split("::", 1)[0] for node in _sample()}
    assert files - sampled == set(), "scenario files CI never runs on the slowest link"


def test_ci_runs_the_sample_on_the_slowest_preset() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".ci/link_sample.txt" in run and "--emulator-link=%s" % SLOWEST in run
    assert all(arg in run for arg in SAMPLE_ARGS)


def test_every_sampled_id_collects() -> None:
    proc = warm_python.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-o", "addopts=", "--collect-only", "-q", *SAMPLE_ARGS, *_sample()],
        cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    collected = [line for line in proc.stdout.splitlines() if "::" in line]
    for node in _sample():
        assert any(line.startswith(node) for line in collected), node
