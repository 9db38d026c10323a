"""A run that overruns or is killed still tells what happened.

- The harness's own step timeout fires before pytest-timeout's ceiling (which
  on Windows ends the process with os._exit), leaving a line in the report.
- summary.json, junit.xml and report.html are rewritten as each test finishes,
  so a SIGKILL half way leaves the evidence of every finished test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]

# The demos' ceiling: the harness ends a step that overruns at half of it (its clean-up
# reserve is larger than the rest), and the clean-up takes the other half. 8 s leaves the
# hung step 4 s after the claim and the interrupt 4 s, far more than either takes.
HUNG_STEP = """
    import pytest

    def test_demo_the_module_is_claimed(device):
        assert device.eval_json("1") == 1

    @pytest.mark.timeout(8)
    def test_demo_a_step_hangs_past_the_ceiling(device):
        device.exec("import utime\\nwhile True:\\n    utime.sleep_ms(5)", timeout=120)

    def test_demo_the_next_one_runs(device):
        assert device.eval_json("'next'") == "next"
"""

BLOCKS_FOREVER = """
    import threading

    def test_blocks_until_the_run_is_killed():
        threading.Event().wait()
"""


def pytest_cmd(tmp_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"),
            "--rootdir", str(ROOT), "-p", "no:cacheprovider", "-p", "no:xdist",
            "-o", "addopts=", "--ftplib=bundled",
            "--html", str(tmp_path / "r" / "report.html"), "--self-contained-html",
            "--junitxml", str(tmp_path / "r" / "junit.xml"), *args]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


def test_the_harness_times_out_a_step_before_pytest_timeout_does(tmp_path: Path) -> None:
    demo = tmp_path / "test_hung_step.py"
    demo.write_text(textwrap.dedent(HUNG_STEP))
    # scenarios/ loads the project's conftest; -k keeps only the demo's tests
    proc = warm_python.run(pytest_cmd(tmp_path, "-k", "demo", "scenarios/test_550.py", str(demo)),
                           cwd=ROOT, env=clean_env(), timeout=300)
    out = proc.stdout + proc.stderr
    assert "cut short to end before the test's timeout" in out, out
    assert "Timeout >" not in out and "Timeout (>" not in out, out  # pytest-timeout never fired
    assert "1 failed, 2 passed" in out and "deselected" in out, out


FIRST_TEST_HANGS = """
    import pytest

    @pytest.mark.timeout(8)
    def test_demo_the_first_test_hangs(device):
        device.exec("import utime\\nwhile True:\\n    utime.sleep_ms(5)", timeout=120)
"""


@pytest.mark.end_to_end  # the same cut as above, in the test that claims the module
def test_the_first_test_of_a_process_is_cut_short_too(tmp_path: Path) -> None:
    # the module is claimed inside the first test, after pytest-timeout's timer started
    demo = tmp_path / "test_first_hangs.py"
    demo.write_text(textwrap.dedent(FIRST_TEST_HANGS))
    proc = warm_python.run(pytest_cmd(tmp_path, "-k", "demo", "scenarios/test_550.py", str(demo)),
                           cwd=ROOT, env=clean_env(), timeout=300)
    out = proc.stdout + proc.stderr
    assert "cut short to end before the test's timeout" in out, out
    assert "Timeout >" not in out and "Timeout (>" not in out, out
    assert "1 failed" in out, out


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_a_killed_run_keeps_the_evidence_of_every_finished_test(tmp_path: Path) -> None:
    demo = tmp_path / "test_blocks.py"
    demo.write_text(textwrap.dedent(BLOCKS_FOREVER))
    summary = tmp_path / "r" / "summary.json"
    proc = subprocess.Popen(pytest_cmd(tmp_path, "--summary-json", str(summary), "--timeout=0",
                                       "scenarios/test_550.py", str(demo)),
                            cwd=ROOT, env=clean_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        finished: dict[str, str] = {}
        while "test_blocks_until" not in "".join(finished) or len(finished) < 4:
            # every 550 scenario has finished once the blocking test is the only one left
            assert proc.poll() is None, "the run ended by itself"
            assert time.monotonic() < deadline, "no incremental summary.json: %s" % finished
            try:
                finished = json.loads(summary.read_text())["partial"]["tests"]
            except (OSError, ValueError, KeyError):
                pass
            if "test_550.py" in "".join(finished) and proc.poll() is None:
                done_550 = [n for n in finished if "test_550.py" in n]
                if len(done_550) >= 3:
                    break
            time.sleep(0.2)  # polling the file the run rewrites, bounded by the deadline
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    document = json.loads(summary.read_text())
    done = [n for n, outcome in document["partial"]["tests"].items() if outcome == "passed"]
    assert len(done) >= 3
    recorded = {rec["nodeid"] for rec in document["scenarios"] if rec.get("outcome") == "passed"}
    junit = (tmp_path / "r" / "junit.xml").read_text()
    page = (tmp_path / "r" / "report.html").read_text()
    for nodeid in done:
        assert nodeid in recorded
        assert 'name="%s"' % nodeid.rpartition("::")[2] in junit
        assert nodeid in page
