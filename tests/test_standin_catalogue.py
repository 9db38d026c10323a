"""Other people's ftplibs run unchanged: the quick catalogue with a Quectel-like ftplib.

tests/quectel_ftplib_standin.py repeats the published Quectel ftplib's habits (readline
with a limit on makefile('rb'), 'latin-1', one Error class, swallowed recv errors, PORT
127.0.0.1). Pushed with --ftplib=PATH, every quick scenario must give the verdict the
firmware would give; and an ftplib that calls what the firmware lacks fails with the
firmware's own error in the failure line.
"""

from __future__ import annotations

import os
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.bench.locks import LOCK_DIR_ENV
from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]
STANDIN = ROOT / "tests" / "quectel_ftplib_standin.py"
# the quick catalogue's size when this test was written; fewer means a lost selection
QUICK_CATALOGUE_AT_LEAST = 82


def _pytest(tmp_path: Path, *args: str) -> tuple[int, str, Path]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_XDIST", "PYTEST_ADDOPTS", "PYTEST_CURRENT"))}
    env[LOCK_DIR_ENV] = str(tmp_path / "locks")
    junit = tmp_path / "junit.xml"
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist",
           "-o", "addopts=", "-q", "-rf", "--basetemp", str(tmp_path / "tmp"),
           "--junitxml", str(junit), "--html", str(tmp_path / "report.html"),
           "--summary-json", str(tmp_path / "summary.json"), *args]
    proc = warm_python.run(cmd, cwd=ROOT, env=env, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr, junit


# scenarios where this ftplib meets a known limit of its own against our server, reported
# as an expected failure with the reason (junit counts it as skipped)
KNOWN_LIMITS = {"test_size_through_the_ftplib_after_a_text_download"}


def _skipped(junit: Path) -> dict[str, str]:
    return {case.get("name", "").split("[")[0]: (skip.get("message") or "")
            for case in ET.parse(junit).getroot().iter("testcase")
            if (skip := case.find("skipped")) is not None}


def _counts(junit: Path) -> dict[str, int]:
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    return {key: int(suite.get(key, "0")) for key in ("tests", "failures", "errors", "skipped")}


@pytest.mark.end_to_end
def test_the_quick_catalogue_passes_with_the_quectel_standin(tmp_path: Path) -> None:
    code, out, junit = _pytest(tmp_path, "scenarios", "-m", "not slow",
                               "--ftplib=%s" % STANDIN)
    counts = _counts(junit)
    assert code == 0, out[-3000:]
    assert counts["failures"] == counts["errors"] == 0, counts
    skipped = _skipped(junit)
    assert set(skipped) == KNOWN_LIMITS, skipped
    assert all("sends SIZE without TYPE I" in why for why in skipped.values()), skipped
    assert counts["tests"] >= QUICK_CATALOGUE_AT_LEAST, counts
    assert "ftplib=quectel_ftplib_standin.py" in junit.read_text(encoding="utf-8")


def test_an_ftplib_calling_what_the_firmware_lacks_fails_with_its_error(tmp_path: Path) -> None:
    source = STANDIN.read_text(encoding="utf-8").replace(
        '        self.file = sock.makefile("rb")',
        '        self.mine = sock.getsockname()\n        self.file = sock.makefile("rb")')
    bad = tmp_path / "getsockname_ftplib.py"
    bad.write_text(source, encoding="utf-8")
    code, out, junit = _pytest(tmp_path, "scenarios/test_commands.py", "-k", "test_syst",
                               "--ftplib=%s" % bad)
    assert code == 1 and _counts(junit)["failures"] == 1, out[-3000:]
    assert re.search(r"FAILED session AttributeError: 'socket' object has no attribute "
                     r"'getsockname'", out), out[-3000:]
