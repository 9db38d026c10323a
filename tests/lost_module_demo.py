"""Demo tests for a module that vanishes for good at three moments of a run, and how
each case is driven: tests/test_lost_module.py asserts on them (short reconnect
window), benchmarks/lost_module.py times them (the bench's window).

Each demo prints a marker (tests/driven_run.py) where the module is to vanish;
whoever drives the run unplugs it there. `between` waits for the file named by
DEMO_UNPLUGGED, so the module is gone before the next test touches it.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO = """
    import os
    import time

    import pytest

    def test_demo_a_first_test_passes(device):
        assert device.eval_json("'first'") == "first"

    @pytest.fixture
    def module_work_in_teardown(device, capsys):
        yield
        say(capsys, "DEMO-IN-TEARDOWN")
        device.exec("import utime\\nutime.sleep(60)", timeout=90)

    def test_demo_vanishes_during_a_step(ftp_run, capsys):
        ftp_run.on_module("left.bin", b"left behind" * 10)
        say(capsys, "DEMO-IN-STEP")
        ftp_run.session([{"op": "idle", "seconds": 60, "every": 1}])

    def test_demo_vanishes_during_its_teardown(ftp_run, module_work_in_teardown):
        ftp_run.on_module("left.bin", b"left behind" * 10)

    def test_demo_vanishes_between_tests(capsys):
        say(capsys, "DEMO-BETWEEN-TESTS")
        flag = os.environ["DEMO_UNPLUGGED"]
        deadline = time.monotonic() + 60
        while not os.path.exists(flag):  # the driver unplugs the module, then says so
            assert time.monotonic() < deadline, "nobody unplugged the module"
            time.sleep(0.05)

    def test_demo_the_next_test_finds_it_gone(ftp_run):
        ftp_run.on_module("next.bin", b"next" * 10)

    def test_demo_the_one_after_never_runs(device):
        assert device.eval_json("'never'") == "never"
"""

FIRST = "test_demo_a_first_test_passes"
NEVER = "test_demo_the_one_after_never_runs"
STEP = "test_demo_vanishes_during_a_step"
TEARDOWN = "test_demo_vanishes_during_its_teardown"
NEXT = "test_demo_the_next_test_finds_it_gone"


@dataclass(frozen=True)
class Case:
    """One moment the module vanishes at: the demo tests that run, and the marker."""

    name: str
    tests: tuple[str, ...]
    marker: str
    scenarios: tuple[str, ...]  # those of `tests` that are scenarios (use ftp_run)

    @property
    def keyword(self) -> str:
        """The -k expression that selects this case's tests."""
        return " or ".join(self.tests)


CASES = {
    "step": Case("step", (FIRST, STEP, NEVER), "DEMO-IN-STEP", (STEP,)),
    "teardown": Case("teardown", (FIRST, TEARDOWN, NEVER), "DEMO-IN-TEARDOWN", (TEARDOWN,)),
    "between": Case("between", (FIRST, "test_demo_vanishes_between_tests", NEXT, NEVER),
                    "DEMO-BETWEEN-TESTS", (NEXT,)),
}
