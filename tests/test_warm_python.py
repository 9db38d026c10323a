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

    def say(*words):
        print(*words, flush=True)
        with open(os.environ["WARM_PROBE_OUT"], "a") as out:  # what an xdist worker saw
            print(*words, file=out)

    def test_sees():
        say("PROBE cwd", os.getcwd())
        say("PROBE path", sys.path[:3])
        say("PROBE argv0", os.path.basename(sys.argv[0]))
        say("PROBE env", os.environ.get("WARM_PROBE"))
        if "PYTEST_XDIST_WORKER" not in os.environ:  # a worker's stdin is xdist's channel
            say("PROBE stdin", sys.stdin.read())
        say("PROBE main", getattr(sys.modules["__main__"].__spec__, "name", None))
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


@pytest.mark.parametrize("pythonpath, workers", [
    (None, ["-p", "no:xdist"]), ("extra::rel", ["-p", "no:xdist"]), ("extra::rel", ["-n", "1"])],
    ids=["alone", "pythonpath", "pythonpath-xdist"])
def test_a_warm_run_sees_what_a_cold_one_does(tmp_path: Path, pythonpath: str | None,
                                               workers: list[str]) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(textwrap.dedent(PROBE))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["WARM_PROBE"] = "yes"
    env.pop("PYTHONPATH", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-s",
           "-q", *workers, "-k", "sees", str(probe)]
    seen = {}
    for kind in ("cold", "warm"):
        env["WARM_PROBE_OUT"] = str(tmp_path / kind)
        if kind == "cold":
            done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=120)
        else:
            before = warm_python.child_cpu
            done = warm_python.run(cmd, cwd=tmp_path, env=env, timeout=120)
            assert warm_python.child_cpu > before, "the run did not go through the zygote"
        assert done.returncode == 0, done.stdout + done.stderr
        seen[kind] = ((tmp_path / kind).read_text().splitlines(), _probe_lines(done.stdout))
    assert seen["warm"] == seen["cold"]
    said, printed = seen["warm"]
    assert "PROBE env yes" in said
    if "-n" not in workers:  # the run's own interpreter ended as one does
        assert "PROBE thread" in printed and printed[-1] == "PROBE atexit", printed


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
