"""Ctrl-C in the middle of a scenario, on a virtual module that outlives the run.

Once: the step still running on the module is interrupted, the run's files go from
/usr/hil/run and from the server, the module is left at its REPL, the reports hold
every finished test, exit code 2. Twice: the second Ctrl-C (during that clean-up)
ends the run at once, and the next run's start-up finishes the job. Either way the
next run starts and passes as usual.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
import serial
from driven_run import DrivenRun, pytest_args, write_demo

from conftest import read_until
from fixtures.interrupt import CLEANING, STOPPED
from harness.emulator import ModuleConfig, VirtualModule

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="a terminal's Ctrl-C is "
                                "SIGINT to the run's process group (POSIX)")

DEMO = """
    def test_demo_a_finished_scenario(ftp_run):
        assert ftp_run.session([{"op": "noop"}]).result.ok

    def test_demo_interrupted_mid_step(ftp_run, ftp_control, capsys):
        ftp_run.on_module("staged.bin", b"staged" * 100)
        ftp_run.place(ftp_run.server_name("placed.bin"), b"placed" * 100)
        ftp_control.inject_fault("stall", after_bytes=1024)  # the download hangs there
        say(capsys, "DEMO-STEP-STARTING")
        ftp_run.download(b"stalled" * 2000, name="stalled.bin", timeout=60)

    def test_demo_never_starts(ftp_run):
        pass
"""
FINISHED = "test_demo_a_finished_scenario"
STEP_RUNS = 60.0  # s: the demo's step starts on the module within this of its marker
QUICK = 5.0  # s: a run stopped "at once" ends within this of the second Ctrl-C
CLEAN_UP = 15.0  # s: the clean-up after one Ctrl-C ends within this


def step_running(module: VirtualModule, run: DrivenRun) -> None:
    """Wait until the demo's download has its file open on the module: the step runs."""
    deadline = time.monotonic() + STEP_RUNS
    run_dir = module.usr_path("hil/run")
    while not any(p.name.endswith("stalled.bin") for p in run_dir.iterdir()):
        assert time.monotonic() < deadline, "the step never started:\n" + run.output
        time.sleep(0.02)  # polling the module's own folder, bounded by the deadline


def run_folder_files(base: Path) -> list[str]:
    return sorted(str(p.relative_to(base)) for p in base.rglob("*")) if base.is_dir() else []


def at_its_repl(module: VirtualModule) -> bool:
    """The module answers a bare Enter with the friendly prompt: nothing runs on it."""
    port = serial.serial_for_url(module.port, baudrate=115200, timeout=0.05)
    try:
        port.write(b"\r\n")
        read_until(port, b">>> ", timeout=3.0)
        return True
    except AssertionError:
        return False
    finally:
        port.close()


# a run and the next each: the second Ctrl-C is a long run of its own (-m end_to_end)
@pytest.mark.parametrize("presses", [1, pytest.param(2, marks=pytest.mark.end_to_end)])
def test_ctrl_c_mid_scenario_cleans_up_and_the_next_run_starts_normally(
        tmp_path: Path, presses: int) -> None:
    demo = write_demo(tmp_path, DEMO)
    servers = tmp_path / "servers"  # where local servers keep their run folders
    env = {"QPY_HIL_SERVER_DIR": str(servers)}
    # a second Ctrl-C must land in the clean-up: a module deaf to Ctrl-C makes it last
    # (two prompt waits, then a soft reboot), as an application's tight loop does
    module = VirtualModule(ModuleConfig(ignore_ctrl_c=presses == 2), use_socket=True).start()
    try:
        first = DrivenRun(pytest_args(tmp_path / "first", "--device", module.port, "-k", "demo",
                                      str(demo), "scenarios/test_550.py"), env=env)
        first.wait_for("DEMO-STEP-STARTING")
        step_running(module, first)
        first.ctrl_c()
        if presses == 2:
            first.wait_for(CLEANING)
            first.ctrl_c()
        pressed = time.monotonic()
        code = first.finish()
        out = first.output
        assert code == 2, out
        assert out.count(CLEANING) == 1 and out.count(STOPPED) == presses - 1, out
        assert "Traceback" not in out and "test_demo_never_starts" not in out, out
        run_dir = module.usr_path("hil/run")
        left_on_module = sorted(p.name for p in run_dir.iterdir())
        assert first.ended is not None
        if presses == 1:
            assert first.ended - pressed < CLEAN_UP, out
            assert left_on_module == [], left_on_module
            assert run_folder_files(servers) == [], run_folder_files(servers)
            assert at_its_repl(module)
        else:
            assert first.ended - pressed < QUICK, out
            # stopped at once: what the clean-up did not reach is still there (the step's
            # own partial file goes with the step, once the run's server is gone)
            assert [n for n in left_on_module if n.endswith("staged.bin")], left_on_module
            assert any(f.endswith("placed.bin") for f in run_folder_files(servers))
        reports = tmp_path / "first"
        junit = (reports / "junit.xml").read_text()
        assert 'name="%s' % FINISHED in junit and "never_starts" not in junit, junit
        summary = json.loads((reports / "summary.json").read_text())
        assert FINISHED in json.dumps(summary["scenarios"]), summary
        # pytest-html's page; after a second Ctrl-C, the one rewritten as each test ended
        assert FINISHED in (reports / "report.html").read_text()

        second = DrivenRun(pytest_args(tmp_path / "second", "--device", module.port,
                                       "-k", FINISHED, str(demo), "scenarios/test_550.py"),
                           env=env)
        assert second.finish() == 0, second.output
        assert "1 passed" in second.output, second.output
        assert sorted(p.name for p in run_dir.iterdir()) == []  # the start-up sweep
        assert run_folder_files(servers) == []
        assert at_its_repl(module)
    finally:
        module.stop()


def test_a_driven_run_hears_ctrl_c_even_when_the_suite_ignores_it() -> None:
    # the suite started in the background (`pytest &` without job control, nohup) ignores
    # SIGINT and would pass that on: the stability series' runs of the test above hung
    probe = [sys.executable, "-c", "import signal; print('SIGINT', signal.getsignal("
             "signal.SIGINT) is signal.default_int_handler)"]
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        run = DrivenRun(probe)
    finally:
        signal.signal(signal.SIGINT, before)
    assert run.finish(timeout=60) == 0, run.output
    assert "SIGINT True" in run.output, run.output
    assert signal.getsignal(signal.SIGINT) is before
