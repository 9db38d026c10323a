"""A whole pytest run against a bad --device ends fast, with one line that says why."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]


def run_pytest(*args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = warm_python.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
         "scenarios/test_550.py", *args],
        cwd=ROOT, timeout=timeout)
    return proc, time.monotonic() - started


def test_port_that_does_not_exist() -> None:
    proc, took = run_pytest("--device=/dev/ttyNOPE0")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    assert "cannot open /dev/ttyNOPE0" in out and "plugged in" in out
    assert "Traceback" not in out
    assert took < 30


def test_port_that_never_answers() -> None:
    master, slave = os.openpty()
    try:
        port = os.ttyname(slave)
        proc, took = run_pytest("--device=%s" % port, "--prompt-timeout=0.5")
    finally:
        os.close(master)
        os.close(slave)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    assert "no raw REPL prompt on %s after 3 tries" % port in out
    assert "another program" in out and "disabled the REPL" in out
    assert "Traceback" not in out
    assert took < 30
