"""Runs that wait their turn: a busy module is waited for (--device-wait), with a
line saying who holds it, and only then leaves the pool.

Busy means locked by another run on this PC, or refused by its RFC 2217
exporter because another client has it. Real locks, a real exporter, virtual
modules on real pseudo-terminals.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import serial

from harness.bench.claim import claim_module
from harness.bench.health import check_module
from harness.bench.locks import ModuleLock
from harness.bench.selection import Selection
from harness.bench.spec import ModuleSpec
from harness.ports.exporter import PortExport
from harness.wire.device import Device
from tests.support import QUICK_HANDOVER

pytestmark = [
    pytest.mark.filterwarnings("ignore:set(Name|Daemon)\\(\\) is deprecated:DeprecationWarning"),
]


def fast_open(port: str) -> Device:
    return Device.open(port, prompt_timeout=2.0)


def test_the_start_check_waits_for_a_module_another_run_holds_and_says_who(
        start_module, tmp_path: Path) -> None:
    spec = ModuleSpec("bench-a", start_module().port)
    other = ModuleLock(spec.port, tmp_path)
    other.acquire()  # "another run": its lock, and its owner note
    lines: list[str] = []
    releaser = threading.Timer(0.5, other.release)
    releaser.start()
    health = check_module(spec, fast_open, Selection(), tmp_path, wait=10, notify=lines.append)
    releaser.join()
    assert health.ok, health.problem
    assert len(lines) == 1 and lines[0].startswith("waiting up to 10 s for bench-a")
    assert "run on this PC: pid %d" % os.getpid() in lines[0]


def test_the_start_check_gives_up_after_the_wait_with_the_holder(
        start_module, tmp_path: Path) -> None:
    spec = ModuleSpec("bench-a", start_module().port)
    other = ModuleLock(spec.port, tmp_path)
    other.acquire()
    try:
        health = check_module(spec, fast_open, Selection(), tmp_path, wait=0.5)
    finally:
        other.release()
    assert health.busy and "run on this PC: pid %d" % os.getpid() in health.event()


def test_a_module_its_exporter_refuses_is_busy_and_claimed_once_free(
        start_module, tmp_path: Path) -> None:
    exporter = PortExport(start_module().port, "127.0.0.1", 0, lambda line: None,
                          handover=QUICK_HANDOVER).start()
    url = "rfc2217://127.0.0.1:%d" % exporter.port
    try:
        holder = serial.serial_for_url(url, baudrate=115200)  # another controller has it
        # (pyserial gives up on the refused negotiation after the URL's timeout, 3 s
        # unless it says otherwise: the busy line is what this looks at)
        health = check_module(ModuleSpec("lab-b", url + "?timeout=1"), fast_open, Selection(),
                              tmp_path)
        assert health.busy and "in use by client 127.0.0.1" in health.problem
        # the other controller lets go while the claim waits its turn
        releaser = threading.Timer(0.3, holder.close)
        releaser.start()
        started = time.monotonic()
        claim, problems = claim_module([ModuleSpec("lab-b", url)], fast_open, Selection(),
                                       wait=60, lock_dir=tmp_path)
        releaser.join()
        assert claim is not None, [h.event() for h in problems]
        assert time.monotonic() - started < 60
        claim.release()
    finally:
        exporter.stop()
