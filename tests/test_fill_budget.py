"""A virtual module whose /usr is far too big to fill (1 TiB, as a reference build whose
/usr is a host folder reports tens of GB): the module-side disk-full scenarios are
skipped within seconds, each with the free space, the measured write speed and the
estimated seconds, on both engines; none runs into the step timeout."""

from __future__ import annotations

import os
import re
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests import warm_python
from tests.support import micropython_missing

ROOT = Path(__file__).resolve().parents[1]
TIB_IN_KIB = 1024 ** 3
STEP_TIMEOUT = 120  # --device-timeout's default: the fill step gets 3/4 of it
REASON = re.compile(r"/usr has \d+ bytes free: filling it down to 65536 at the measured \d+ "
                    r"bytes/s would take about \d+ s, more than the 90 s this step may take "
                    r"\(--device-timeout 120 s\)")
ENGINES = [pytest.param("cpython"),
           pytest.param("micropython", marks=pytest.mark.skipif(
               bool(micropython_missing()), reason=micropython_missing() or ""))]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_usr_too_big_to_fill_is_skipped_in_seconds(tmp_path: Path, engine: str) -> None:
    junit = tmp_path / "junit.xml"
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
           "-o", "addopts=", "-q", "--basetemp", str(tmp_path / "tmp"),
           "--junitxml", str(junit), "--summary-json", str(tmp_path / "summary.json"),
           "scenarios/test_disk_full.py", "-k", "free_space or fails_inside",
           "--ftplib=bundled", "--emulator-usr-kib=%d" % TIB_IN_KIB,
           "--emulator-engine=%s" % engine]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    started = time.monotonic()
    proc = warm_python.run(cmd, cwd=ROOT, env=env, timeout=4 * STEP_TIMEOUT)
    took = time.monotonic() - started
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    skipped = [node.get("message", "") for node in ET.parse(junit).iter("skipped")]
    assert len(skipped) == 2, (proc.stdout + proc.stderr)[-3000:]
    for message in skipped:
        assert REASON.search(message), message
    # the two skips together take a fraction of one step's timeout
    assert took < STEP_TIMEOUT / 2, "%.0f s" % took
