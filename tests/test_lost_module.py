"""A module that vanishes mid-run (unplugged, powered down) gets one chance to
come back; when it does not, the run stops with one line, not an error per test."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

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
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    took = time.monotonic() - started
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    assert "did not come back within 2 s" in out and "the run stops here" in out, out
    assert "1 passed" in out and " error" not in out.split("short test summary")[-1], out
    assert took < 60
