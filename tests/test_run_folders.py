"""The local server's run folders: each run's goes at its end; one a stopped run
left behind goes at the next run's start, never one a live run is using."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from harness.servers.local.run_folders import RunFolder, sweep

HOLDER = """
import sys, time
from pathlib import Path
from harness.servers.local.run_folders import RunFolder
folder = RunFolder.create(Path(sys.argv[1]))
(folder.path / "left.bin").write_bytes(b"left")
print(folder.path, flush=True)
sys.stdin.read()  # until the test lets go: then it dies without removing anything
"""


def test_a_run_folder_goes_at_the_end_of_its_run(tmp_path: Path) -> None:
    folder = RunFolder.create(tmp_path)
    (folder.path / "x.bin").write_bytes(b"x")
    folder.remove()
    folder.remove()  # twice is fine
    assert list(tmp_path.iterdir()) == []


def test_the_sweep_takes_what_an_ended_run_left_and_nothing_a_live_run_holds(
        tmp_path: Path) -> None:
    live = RunFolder.create(tmp_path)  # this process's: still running
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[1])
    assert holder.stdout is not None and holder.stdin is not None
    other = Path(holder.stdout.readline().strip())  # another run, alive
    (tmp_path / "not-a-run-folder").mkdir()  # someone else's: never touched
    assert sweep(tmp_path) == [] and other.is_dir() and live.path.is_dir()
    holder.kill()  # stopped before its clean-up: the OS lets go of its lock
    holder.wait(30)
    holder.stdin.close()
    holder.stdout.close()
    assert sweep(tmp_path) == [other]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.path.name, live.path.name + ".lock", "not-a-run-folder"])
    live.remove()
