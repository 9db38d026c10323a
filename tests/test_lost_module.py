"""A module that vanishes mid-run (unplugged, powered down) gets one chance to
come back; when it does not, the run stops with one line, not an error per test."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]

VANISHING = """
    import pytest
    from harness.errors import DeviceDisconnected

    def test_the_module_powers_down(device):
        with pytest.raises(DeviceDisconnected):
            device.exec("import misc\\nmisc.Power.powerDown()", timeout=5)
"""


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
