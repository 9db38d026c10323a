"""Claiming a module: the first of the pool that is free and fit, locked and open.

A Claim is a module this process holds: its lock, its Device in raw REPL, what
it reported. claim_module tries the modules in turn (each process from another
start, so workers rarely collide) and waits for busy ones up to a deadline; a
module that failed is not tried again. held.py builds a session on it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness.bench.health import Health, ModuleRejected, Opener, open_checked
from harness.bench.locks import BUSY_POLL, ModuleBusy, ModuleLock
from harness.bench.selection import Selection, unmet_requirements
from harness.bench.spec import ModuleSpec
from harness.deadline import bounded
from harness.wire.device import Device, ModuleInfo


@dataclass
class Claim:
    """A module held by this process: locked, open in raw REPL, identified."""

    spec: ModuleSpec
    device: Device
    info: ModuleInfo
    lock: ModuleLock

    def release(self) -> None:
        try:
            self.device.close()
        finally:
            self.lock.release()

    def refresh_free(self) -> ModuleInfo:
        """info with the free space of /usr as it is now."""
        free, _total = self.device.statvfs()
        return replace(self.info, usr_free=free)

    def lacks(self, needs: dict[str, Any]) -> list[str]:
        """What a test's requires(...) asks that this module lacks; free space as it is now."""
        info = self.refresh_free() if needs.get("usr_free") else self.info
        return unmet_requirements(needs, self.spec, info)


def claim_module(specs: Sequence[ModuleSpec], opener: Opener, selection: Selection,
                 start: int = 0, wait: float = 0.0,
                 lock_dir: Path | None = None) -> tuple[Claim | None, list[Health]]:
    """Take the first module that is free and fit, trying from specs[start] on.

    Busy modules are looked at again until `wait` seconds have passed; a module
    that failed is not. Returns the claim (or None) and what went wrong on the way.
    """
    order = _rotated(specs, start)
    deadline = time.monotonic() + bounded(wait)  # over before the test's ceiling
    failed: list[Health] = []
    while True:
        busy: list[Health] = []
        for spec in order:
            lock = ModuleLock(spec.port, lock_dir)
            try:
                lock.acquire()
            except ModuleBusy as exc:
                busy.append(Health(spec, problem=str(exc), busy=True))
                continue
            try:
                device, info = open_checked(spec, opener, selection)
            except ModuleBusy as exc:  # refused by its exporter: wait like a lock
                lock.release()
                busy.append(Health(spec, problem=str(exc), busy=True))
                continue
            except ModuleRejected as exc:
                lock.release()
                failed.append(Health(spec, problem=str(exc)))
                continue
            return Claim(spec, device, info, lock), failed
        order = [h.spec for h in busy]
        if not order or time.monotonic() >= deadline:
            return None, failed + busy
        time.sleep(BUSY_POLL)  # another run holds them: look again, until the deadline


def _rotated(specs: Sequence[ModuleSpec], start: int) -> list[ModuleSpec]:
    if not specs:
        return []
    at = start % len(specs)
    return [*specs[at:], *specs[:at]]
