"""labgrid places end to end: a real coordinator and exporter on 127.0.0.1 (tests/labgrid_lab.py).

The quick catalogue runs through both places, one per xdist worker: lg-pass passes
through to `python -m harness export` of a virtual module, lg-pty is a RawSerialPort
on a pseudo-terminal the exporter's own ser2net serves. A place someone else holds
is waited for and its holder named; a place whose holder is killed is released by
the next one that asks; Ctrl-C releases it on the way out.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.bench.labgrid_client import CLIENT_ENV
from harness.bench.labgrid_place import PlaceBusy, hold_place, parse_labgrid_url
from harness.bench.locks import LOCK_DIR_ENV
from tests.labgrid_lab import (
    INSTALL,
    SER2NET,
    SER2NET_MISSING,
    Lab,
    labgrid_client_program,
    running_lab,
)

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = labgrid_client_program()

pytestmark = [
    pytest.mark.labgrid,
    pytest.mark.skipif(PROGRAM is None, reason=INSTALL),
    pytest.mark.skipif(SER2NET is None, reason=SER2NET_MISSING),
    # pyserial 3.5's rfc2217 client still calls Thread.setName
    pytest.mark.filterwarnings("ignore:set(Name|Daemon)\\(\\) is deprecated:DeprecationWarning"),
]

HOLDS_AND_BLOCKS = """
    import threading

    def test_demo_holds_the_place(device):
        print("CLAIMED", flush=True)
        threading.Event().wait(120)
"""

HOLDER = """
import sys, threading
from pathlib import Path
from harness.bench.labgrid_client import LabgridClient
from harness.bench.labgrid_place import hold_place, parse_labgrid_url
client = LabgridClient(sys.argv[1], sys.argv[2])
place = hold_place(client, parse_labgrid_url(sys.argv[3]), Path(sys.argv[4]), 0, print)
print("HELD", place.name, flush=True)
threading.Event().wait(120)
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    assert PROGRAM is not None
    with running_lab(tmp_path_factory.mktemp("lab"), PROGRAM) as started:
        yield started


@pytest.fixture
def notes(lab: Lab, tmp_path: Path) -> Iterator[Path]:
    """The lock folder (and so the notes) of this test's runs; nothing held after it."""
    folder = tmp_path / "locks"
    yield folder
    for place, holder in lab.held().items():  # leave the lab as found, whatever failed
        lab.as_user(holder.split("/")[1], "-p", place, "release", "--kick")
    assert not list(folder.glob("labgrid-*.json")), "a note outlived its reservation"


def run_env(lab: Lab, notes: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update({LOCK_DIR_ENV: str(notes), CLIENT_ENV: lab.program,
                "LG_COORDINATOR": lab.coordinator})
    return env


def pytest_cmd(tmp_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
            "--basetemp", str(tmp_path / "tmp"), "--junitxml", str(tmp_path / "j.xml"),
            "--html", str(tmp_path / "report.html"),
            "--summary-json", str(tmp_path / "summary.json"), *args]


def test_the_quick_catalogue_runs_through_both_places(lab: Lab, notes: Path,
                                                      tmp_path: Path) -> None:
    # -n auto (the default): one worker per place that fits the tags
    proc = subprocess.run(pytest_cmd(tmp_path, "scenarios", "-m", "not slow",
                                     "--device=labgrid://?module=ec600u"),
                          cwd=ROOT, env=run_env(lab, notes), capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, tail
    assert re.search(r"\d+ passed", tail) and not re.search(r"\d+ (failed|errors?)\b", tail), tail
    for place in ("lg-pass", "lg-pty"):
        assert re.search(r"%s \(rfc2217://127\.0\.0\.1:\d+, EC600U\) ran \d+ tests" % place,
                         tail), tail
    assert lab.held() == {}  # both released at the session's end


def test_a_value_no_place_fits_ends_the_run_naming_the_places(lab: Lab, notes: Path,
                                                              tmp_path: Path) -> None:
    proc = subprocess.run(pytest_cmd(tmp_path, "scenarios/test_550.py",
                                     "--device=labgrid://?module=bg95"),
                          cwd=ROOT, env=run_env(lab, notes), capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    assert "labgrid://?module=bg95 (model unknown) left the pool: no place fits it at the " \
        "coordinator %s; there: lg-pass (lab=ci module=ec600u); lg-pty (module=ec600u)" \
        % lab.coordinator in out, out


def test_a_held_place_is_waited_for_with_its_holder_named(lab: Lab, notes: Path) -> None:
    lab.as_user("alice", "-p", "lg-pty", "acquire")
    wanted = parse_labgrid_url("labgrid://lg-pty")
    with pytest.raises(PlaceBusy, match=r"labgrid://lg-pty: lg-pty acquired by \S+/alice "
                                        r"since .*\(--device-wait=SECONDS waits for it\)"):
        hold_place(lab.client, wanted, notes, 0, print)

    lines: list[str] = []
    announced = threading.Event()

    def notify(line: str) -> None:
        lines.append(line)
        announced.set()

    def alice_is_done() -> None:  # once the wait began, alice releases
        if announced.wait(60):
            lab.as_user("alice", "-p", "lg-pty", "release")

    releaser = threading.Thread(target=alice_is_done)
    releaser.start()
    try:
        place = hold_place(lab.client, wanted, notes, 60, notify)
    finally:
        announced.set()
        releaser.join(60)
    try:
        assert place.name == "lg-pty" and place.url.endswith("?ign_set_control")
        assert re.fullmatch(r"waiting up to 60 s for labgrid place lg-pty: lg-pty acquired by "
                            r"\S+/alice since .*", lines[0]), lines
        assert lab.held()["lg-pty"] != "alice"
    finally:
        place.release()
    assert lab.held() == {}


def test_a_killed_holders_place_is_released_by_the_next_that_asks(lab: Lab, notes: Path
                                                                  ) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, lab.program, lab.coordinator, "labgrid://lg-pass",
         str(notes)], cwd=ROOT, stdout=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().startswith("HELD lg-pass")  # or it ended, failing
    finally:
        holder.kill()
        holder.wait(10)
    assert "lg-pass" in lab.held()  # labgrid keeps no lease: the place outlives its client
    lines: list[str] = []
    place = hold_place(lab.client, parse_labgrid_url("labgrid://?lab=ci"), notes, 0,
                       lines.append)
    try:
        assert lines == ["released labgrid place lg-pass: its holder (pid %d on this PC, "
                         "since %s) ended without releasing it"
                         % (holder.pid, lines[0].split("since ")[1].split(")")[0])], lines
        assert place.name == "lg-pass"
    finally:
        place.release()


def _ctrl_c_reaches_python() -> None:
    # a shell without job control starts its background jobs with SIGINT ignored, and
    # Python keeps an ignored SIGINT ignored (no KeyboardInterrupt): as from a terminal
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_releases_the_place(lab: Lab, notes: Path, tmp_path: Path) -> None:
    demo = tmp_path / "test_holds.py"
    demo.write_text(textwrap.dedent(HOLDS_AND_BLOCKS))
    # scenarios/ loads the project's conftest; -k keeps only the demo's test
    run = subprocess.Popen(
        pytest_cmd(tmp_path, "-p", "no:xdist", "-s", "-k", "demo", "--ftplib=bundled",
                   "--device=labgrid://lg-pass", "scenarios/test_550.py", str(demo)),
        cwd=ROOT, env=run_env(lab, notes), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, stdin=subprocess.DEVNULL, preexec_fn=_ctrl_c_reaches_python)
    assert run.stdout is not None
    seen = []
    deadline = time.monotonic() + 120
    for line in run.stdout:
        seen.append(line)
        if "CLAIMED" in line or time.monotonic() > deadline:
            break
    assert "lg-pass" in lab.held(), "".join(seen)
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=60)
    assert "KeyboardInterrupt" in out, "".join(seen) + out
    assert lab.held() == {}, "".join(seen) + out
