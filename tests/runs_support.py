"""Real runs for the between-runs tests: small pytest subprocess runs, and copies of them.

Each run is a report folder (report.html, junit.xml, summary.json) from a real
scenario selection on the virtual module; tests mutate copies of its records to
stage a regression, so what they compare is shaped exactly like a real run.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests import warm_python
from tests.support import session_folder

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT = 120  # seconds for one small run
SELECTION = ["scenarios/test_upload.py", "scenarios/test_download.py", "scenarios/test_550.py",
             "-k", "binary or test_retr_missing_file_is_550", "--payload-sizes=1024,65536"]
REAL_RUNS = 2


def run_scenarios(folder: Path, workers: int = 0) -> Path:
    """One real run into folder; its summary.json (reused if the folder has one already)."""
    summary = folder / "summary.json"
    if summary.exists():
        return summary
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"),
           "--rootdir", str(ROOT), "-p", "no:cacheprovider", "-q",
           "--html", str(folder / "report.html"), "--self-contained-html",
           "--junitxml", str(folder / "junit.xml"), *SELECTION]
    if importlib.util.find_spec("xdist") is not None:
        cmd += ["-n", str(workers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = warm_python.run(cmd, cwd=ROOT, env=env, timeout=RUN_TIMEOUT)
    assert proc.returncode == 0 and summary.exists(), (proc.stdout + proc.stderr)[-4000:]
    return summary


@pytest.fixture(scope="session")
def real_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two real runs' report folders; the first ran on two pytest-xdist workers. Made
    once per session: the tests only read them (and copy them to change a copy)."""
    with session_folder(tmp_path_factory, "hil-real-runs") as base:
        return [run_scenarios(base / f"run{i}", workers=2 if i == 0 else 0).parent
                for i in range(REAL_RUNS)]


def read(path: Path) -> dict[str, Any]:
    if path.is_dir():
        path = path / "summary.json"
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, document: Mapping[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path


def variant(source: Path, *, hours_later: float = 0.0, firmware: str | None = None,
            change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """A copy of a real run's summary: later, on another firmware, with records changed."""
    document = copy.deepcopy(read(source))
    started = datetime.fromisoformat(document["started"]) + timedelta(hours=hours_later)
    document["started"] = started.isoformat(timespec="seconds")
    if firmware is not None:
        for module in document["modules"]:
            module["firmware"] = firmware
        for record in document["scenarios"]:
            record["firmware"] = firmware
    if change is not None:
        change(document)
    return document


def record(document: Mapping[str, Any], *fragments: str) -> dict[str, Any]:
    """The one record whose nodeid holds every fragment."""
    found = [r for r in document["scenarios"] if all(f in r["nodeid"] for f in fragments)]
    assert len(found) == 1, (fragments, [r["nodeid"] for r in found])
    return found[0]


def fail(rec: dict[str, Any], headline: str) -> None:
    """What the report writer records for a scenario whose check failed."""
    rec.update(outcome="failed", failure=headline, checksums_match=False)


def set_rate(rec: dict[str, Any], kib_s: float) -> None:
    for t in rec["transfers"]:
        if t.get("throughput_kib_s") is not None:
            t["throughput_kib_s"] = kib_s
    rec["throughput_kib_s"] = kib_s
