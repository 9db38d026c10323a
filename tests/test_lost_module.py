"""A module that vanishes mid-run (unplugged, powered down) gets one chance to
come back; when it does not, the run stops with one line, not an error per test.

One chance is one reconnect window (--reconnect-timeout) from the moment the
harness first waits for it: the test's clean-up and the next test never wait
again, so the run ends a window after the unplug, plus a few seconds, whether the
module vanished during a step, during a test's teardown or between tests.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest
from driven_run import DrivenRun, pytest_args, write_demo
from lost_module_demo import CASES, DEMO, NEVER
from support import pytest_html_data

from harness.emulator import VirtualModule
from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]
WINDOW = 4  # s: --reconnect-timeout of these runs
# s: the run's own end after the window (session teardown, reports); less than WINDOW,
# so a second wait for the module fails the test
FEW_SECONDS = 3.5

VANISHING = """
    import pytest
    from harness.errors import DeviceDisconnected

    def test_the_module_powers_down(device):
        with pytest.raises(DeviceDisconnected):
            device.exec("import misc\\nmisc.Power.powerDown()", timeout=5)
"""


@pytest.mark.end_to_end  # the quick suite's lost module: the [step] case below
def test_run_stops_cleanly_when_the_module_does_not_come_back(tmp_path: Path) -> None:
    demo = tmp_path / "test_vanishing_module.py"
    demo.write_text(textwrap.dedent(VANISHING))
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"),
           "--rootdir", str(ROOT), "-p", "no:cacheprovider", "-p", "no:xdist", "-o", "addopts=",
           "--reconnect-timeout=2", "--ftplib=bundled",
           str(demo), "scenarios/test_550.py"]  # the module goes first, then real scenarios
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    started = time.monotonic()
    proc = warm_python.run(cmd, cwd=ROOT, env=env, timeout=120)
    took = time.monotonic() - started
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    assert "did not come back within 2 s" in out and "the run stops here" in out, out
    assert "1 passed" in out and " error" not in out.split("short test summary")[-1], out
    assert took < 60


VANISHING_PORT = """
    import sys
    import pytest
    sys.path.insert(0, %r)
    from port_double import VanishingPort
    from harness.errors import DeviceDisconnected

    @pytest.mark.parametrize("os_form", ["windows", "posix"])
    def test_the_port_vanishes_mid_step(device, os_form):
        logged = device.repl.port.inner
        double = VanishingPort(logged.port, os_form)
        logged.port = double
        double.vanish_at("in_waiting", after=b"sleep_ms", calls=3)
        with pytest.raises(DeviceDisconnected, match="went away"):
            device.exec("import utime\\nutime.sleep_ms(2000)", timeout=10)
"""


def test_the_next_test_gets_a_clean_reconnect_after_a_vanished_port(tmp_path: Path) -> None:
    demo = tmp_path / "test_vanishing_port_demo.py"
    demo.write_text(textwrap.dedent(VANISHING_PORT % str(ROOT / "tests")))
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"),
           "--rootdir", str(ROOT), "-p", "no:cacheprovider", "-p", "no:xdist", "-o", "addopts=",
           "--ftplib=bundled", "--junitxml", str(tmp_path / "junit.xml"),
           str(demo), "scenarios/test_550.py"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = warm_python.run(cmd, cwd=ROOT, env=env, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert " error" not in out.split("short test summary")[-1], out
    junit = (tmp_path / "junit.xml").read_text()
    assert 'errors="0"' in junit and 'failures="0"' in junit, junit


HUNG_FOR_GOOD = """
    import pytest
    from harness.errors import DeviceTimeout

    def test_demo_the_application_hangs_deaf_to_ctrl_c_and_ctrl_d(device):
        with pytest.raises(DeviceTimeout, match="power-cycled with --reset-command"):
            device.exec("import micropython\\nmicropython.kbd_intr(-1)\\nwhile True:\\n"
                        "    pass", timeout=0.5)

    def test_demo_the_next_test_runs_on_the_power_cycled_module(device):
        assert device.eval_json("'back'") == "back"
"""


@pytest.mark.end_to_end  # the power cycle itself: tests/test_bench_link.py, in the quick suite
@pytest.mark.skipif(not hasattr(signal, "SIGUSR2"), reason="the virtual module's power "
                    "switch is SIGUSR2, which Windows lacks")
def test_reset_command_power_cycles_and_the_report_says_why(tmp_path: Path) -> None:
    demo = tmp_path / "test_hung_module.py"
    demo.write_text(textwrap.dedent(HUNG_FOR_GOOD))
    junit = tmp_path / "junit.xml"
    reset = "%s -m harness emulator --power-cycle {port}" % sys.executable
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"),
           "--rootdir", str(ROOT), "-p", "no:cacheprovider", "-p", "no:xdist", "-o", "addopts=",
           "--ftplib=bundled", "--prompt-timeout=1", "--reset-command", reset,
           "--junitxml", str(junit), "-k", "demo", "scenarios/test_550.py", str(demo)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = warm_python.run(cmd, cwd=ROOT, env=env, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "2 passed" in out, out
    report = junit.read_text()
    assert "power-cycled with --reset-command" in report, report
    assert "ignores Ctrl-C and Ctrl-D" in report, report  # and why


# a window and a run each: the quick suite takes the module lost during a step, and the
# long run (-m end_to_end) the other moments
@pytest.mark.parametrize("case", [
    case if case == "step" else pytest.param(case, marks=pytest.mark.end_to_end)
    for case in sorted(CASES)])
def test_a_lost_module_is_waited_for_once_and_the_run_ends_with_one_line(
        tmp_path: Path, case: str) -> None:
    chosen = CASES[case]
    flag = tmp_path / "unplugged"
    demo = write_demo(tmp_path, DEMO)
    # outside the run, unplugged at the marker; on a TCP port, as a pty's number would be
    # taken by another test's module at once, and the run would reach that one
    module = VirtualModule(use_socket=True).start()
    try:
        run = DrivenRun(pytest_args(tmp_path, "--device", module.port,
                                    "--reconnect-timeout=%d" % WINDOW, "-k", chosen.keyword,
                                    str(demo), "scenarios/test_550.py"),
                        env={"DEMO_UNPLUGGED": str(flag)})
        run.wait_for(chosen.marker)
        module.stop()
        unplugged = time.monotonic()
        flag.touch()
        code = run.finish()
    finally:
        module.stop()
    out = run.output
    assert code == 3, out
    took = run.ended - unplugged
    assert took < WINDOW + FEW_SECONDS, "%.1f s from the unplug to the end:\n%s" % (took, out)
    stop_lines = [line for line in out.splitlines() if "the run stops here" in line]
    assert len(stop_lines) == 1 and "did not come back within %d s" % WINDOW in stop_lines[0], out
    finished = [name for name in chosen.tests if name != NEVER]
    junit = (tmp_path / "junit.xml").read_text()
    assert NEVER not in junit and all('name="%s' % name in junit for name in finished), junit
    tests_shown = json.dumps(pytest_html_data((tmp_path / "report.html").read_text())["tests"])
    assert all(name in tests_shown for name in finished), tests_shown
    # summary.json holds the scenarios (tests with an ftp_run): the one that lost the module
    scenarios = json.loads((tmp_path / "summary.json").read_text())["scenarios"]
    assert [rec["nodeid"].split("::")[-1].split("[")[0] for rec in scenarios] == \
        [name for name in finished if name in chosen.scenarios], scenarios
