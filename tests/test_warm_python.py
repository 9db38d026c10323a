"""tests/warm_python.py: a warm run is the cold run it stands for, as the run sees it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import warm_python

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="warm runs need os.fork")

# a test module that prints what an interpreter gives a run, and leaves a thread and an
# atexit handler behind, which the interpreter's end must still see to
PROBE = '''
    import atexit, os, sys, threading, time

    def test_sees():
        print("PROBE cwd", os.getcwd())
        print("PROBE path", sys.path[:3])
        print("PROBE argv0", os.path.basename(sys.argv[0]))
        print("PROBE env", os.environ.get("WARM_PROBE"), "PYTEST_XDIST_WORKER" in os.environ)
        print("PROBE stdin", sys.stdin.read())
        print("PROBE main", sys.modules["__main__"].__spec__.name)
        atexit.register(lambda: print("PROBE atexit", flush=True))
        threading.Thread(target=lambda: (time.sleep(0.2), print("PROBE thread", flush=True))
                         ).start()

    def test_stops():
        import pytest
        pytest.exit("stopped", returncode=7)

    def test_waits():
        time.sleep(60)
'''


def _probe_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("PROBE")]


@pytest.mark.parametrize("pythonpath", [None, "extra::rel"])
def test_a_warm_run_sees_what_a_cold_one_does(tmp_path: Path, pythonpath: str | None) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(textwrap.dedent(PROBE))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["WARM_PROBE"] = "yes"
    env.pop("PYTHONPATH", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-s",
           "-q", "-p", "no:xdist", "-k", "sees", str(probe)]
    cold = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)
    before = warm_python.child_cpu
    warm = warm_python.run(cmd, cwd=tmp_path, env=env, timeout=120)
    assert warm_python.child_cpu > before, "the run did not go through the zygote"
    assert warm.returncode == cold.returncode == 0, warm.stdout + warm.stderr
    lines = _probe_lines(warm.stdout)
    assert lines == _probe_lines(cold.stdout), (warm.stdout, cold.stdout)
    assert "PROBE thread" in lines and lines[-1] == "PROBE atexit", lines
    assert "PROBE env yes False" in lines


def test_exit_codes_and_timeouts_are_a_cold_runs(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(textwrap.dedent(PROBE))
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
           "-p", "no:xdist", str(probe), "-k", "stops"]
    assert warm_python.run(cmd, cwd=tmp_path).returncode == 7  # pytest.exit(returncode=7)
    usage = warm_python.run([*cmd[:-3], "scenarios/test_550.py", "--payload-sizes=abc"],
                            cwd=warm_python.ROOT)
    assert usage.returncode == 4 and "ERROR: qpy-ftp-hil: --payload-sizes=abc" in usage.stderr
    with pytest.raises(subprocess.TimeoutExpired):
        warm_python.run([*cmd[:-1], "waits"], cwd=tmp_path, timeout=1.0)
