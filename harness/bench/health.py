"""Whether a module may serve the run: it answers at the raw REPL, and is what was asked for.

At session start every real module of the pool is looked at once, in parallel
(check_pool): locked, opened, identified, matched against the Selection, let go.
One that fails leaves the pool with a line (Health.event); a busy one is looked
at again until the wait is over. The virtual module is not started for this:
what it will report is known (virtual_health).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from harness.bench.locks import BUSY_POLL, ModuleBusy, ModuleLock
from harness.bench.selection import Selection
from harness.bench.spec import ModuleSpec
from harness.emulator import ModuleConfig
from harness.errors import DeviceBusy, HarnessError
from harness.wire.device import Device, ModuleInfo

Opener = Callable[[str], Device]  # a --device value to a Device in raw REPL


class ModuleRejected(HarnessError):
    """The module answered badly, or is not what the run asked for."""


@dataclass
class Health:
    """The outcome of looking at one module: info if it may serve, else the problem."""

    spec: ModuleSpec
    info: ModuleInfo | None = None
    problem: str = ""
    busy: bool = False

    @property
    def ok(self) -> bool:
        return not self.problem

    def event(self) -> str:
        """The pool_event line: which module left the pool, and why."""
        return "%s left the pool: %s" % (self.spec.describe(), self.problem)


def open_checked(spec: ModuleSpec, opener: Opener,
                 selection: Selection) -> tuple[Device, ModuleInfo]:
    """Open and identify a module (locked by the caller); ModuleRejected if it cannot
    serve this run, ModuleBusy if its exporter serves another client."""
    try:
        device = opener(spec.port)
    except DeviceBusy as exc:  # its RFC 2217 exporter serves another client
        raise ModuleBusy(str(exc)) from None
    except Exception as exc:  # any failure to open is a health problem, not a crash
        raise ModuleRejected(_why(exc)) from None
    try:
        info = device.info()
        reason = selection.reject_reason(spec, info.model, info.firmware)
    except Exception as exc:
        device.close()
        raise ModuleRejected("no module info: %s" % _why(exc)) from None
    if reason:
        device.close()
        raise ModuleRejected(reason)
    return device, info


def _why(exc: Exception) -> str:
    return str(exc) if isinstance(exc, HarnessError) else "%s: %s" % (type(exc).__name__, exc)


def check_module(spec: ModuleSpec, opener: Opener, selection: Selection,
                 lock_dir: Path | None = None, wait: float = 0.0,
                 notify: Callable[[str], None] | None = None) -> Health:
    """Lock, open, identify, match, release: may this module serve the run?

    A busy module (another run's lock, or its exporter serving another
    client) is looked at again until `wait` seconds have passed; `notify` hears
    one line saying who holds it when the wait begins.
    """
    deadline = time.monotonic() + wait
    told = False
    while True:
        health = _check_once(spec, opener, selection, lock_dir)
        if not health.busy or time.monotonic() >= deadline:
            return health
        if notify is not None and not told:
            told = True
            notify("waiting up to %.0f s for %s: %s" % (wait, spec.describe(), health.problem))
        time.sleep(BUSY_POLL)  # another run holds it: look again, until the deadline


def _check_once(spec: ModuleSpec, opener: Opener, selection: Selection,
                lock_dir: Path | None) -> Health:
    lock = ModuleLock(spec.port, lock_dir)
    try:
        lock.acquire()
    except ModuleBusy as exc:
        return Health(spec, problem=str(exc), busy=True)
    try:
        device, info = open_checked(spec, opener, selection)
        device.close()
        return Health(spec, info)
    except ModuleBusy as exc:
        return Health(spec, problem=str(exc), busy=True)
    except ModuleRejected as exc:
        return Health(spec, problem=str(exc))
    finally:
        lock.release()


def check_pool(specs: Sequence[ModuleSpec], opener: Opener, selection: Selection,
               lock_dir: Path | None = None, wait: float = 0.0,
               notify: Callable[[str], None] | None = None) -> list[Health]:
    """check_module for every module, in parallel (each bounded by the opener's prompt
    timeout and its tries, and a busy one by `wait`); a module the selection rules out
    is not talked to."""
    def check(spec: ModuleSpec) -> Health:
        static = selection.reject_reason(spec, spec.model or None, None)
        if static:
            return Health(spec, problem=static)
        return check_module(spec, opener, selection, lock_dir, wait=wait, notify=notify)

    if not specs:
        return []
    with ThreadPoolExecutor(max_workers=min(16, len(specs))) as pool:
        return list(pool.map(check, specs))


def virtual_health(spec: ModuleSpec, selection: Selection) -> Health:
    """check_module for the virtual module: what it will report is known without starting one."""
    module = ModuleConfig()
    spec = replace(spec, model=module.model)
    reason = selection.reject_reason(spec, module.model, module.firmware)
    return Health(spec, problem=reason or "")


def fit_specs(healths: Iterable[Health]) -> list[ModuleSpec]:
    """The modules that may serve, with the model each reported, so workers and the
    report name it without asking again."""
    return [h.spec if h.info is None or h.spec.model else replace(h.spec, model=h.info.model)
            for h in healths if h.ok]
