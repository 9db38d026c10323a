"""A pool of modules shared by parallel workers and by runs on the same PC.

Knows nothing of pytest. Four small things:

- which modules there are: ``--device`` values (comma-separated, repeated) and
  devices files (INI, one section per module: port, model, labels);
- who holds a module: a lock file per port in a well-known temp folder
  (filelock), plus pyserial's exclusive lock on local POSIX ports so that other
  tools honouring it (miniterm --exclusive, picocom) stay out as well;
- whether a module may serve: it answers at the raw REPL, and its model,
  labels and firmware match what the run asked for;
- whether a test may run on it: the requirements a test states.

A lock is released by the OS when its process dies, so a crashed run never
leaves a module locked. `take_module` puts it together for one process: start
a virtual module if asked, claim, sync the device scripts, identify.
"""

from __future__ import annotations

import configparser
import errno
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import serial
from filelock import FileLock, Timeout

from harness.bench import devices_file
from harness.bench.lock_owner import forget_owner, read_owner, write_owner
from harness.deadline import bounded
from harness.deploy.scripts import deploy
from harness.emulator import EmulatorStartError, ModuleConfig, VirtualModule, engine_fact
from harness.errors import DeviceBusy, HarnessError
from harness.ports.key import lock_file_name, port_key
from harness.ports.names import locked_port
from harness.wire.device import Device, ModuleInfo

EMULATED = "emulated"
ONLY_PROCESS = "main"  # the worker name of a run that is not split across processes
LOCK_DIR_ENV = "QPY_HIL_LOCK_DIR"  # overrides the well-known lock folder
DEVICES_FILE_KEYS = ("port", "model", "labels")
REQUIREMENT_KEYS = ("model", "label", "firmware", "usr_free", "usr_total")
CLAIM_POLL = 0.25  # seconds between looks at busy modules while waiting for one

Opener = Callable[[str], Device]


class PoolConfigError(HarnessError):
    """--device, --devices-file, --device-label or a requirement is malformed."""


class ModuleBusy(HarnessError):
    """Another worker, run or program holds the module."""


class ModuleRejected(HarnessError):
    """The module answered badly, or is not what the run asked for."""


class NoModule(HarnessError):
    """This process cannot get a module; the message says why (one line, or a short list)."""


# -- which modules --------------------------------------------------------


@dataclass(frozen=True)
class ModuleSpec:
    """One module as the run knows it before talking to it."""

    name: str
    port: str
    model: str = ""  # "" until the module tells
    labels: tuple[str, ...] = ()

    @property
    def emulated(self) -> bool:
        return self.port == EMULATED

    @property
    def key(self) -> str:
        """The port's canonical key (harness/ports/key.py): COM5 for com5 or \\\\.\\COM5."""
        return port_key(self.port)

    def describe(self, model: str = "") -> str:
        """bench-a (COM5, EC600U); COM5 (EC600U) when the name is the port.

        COM names and URLs are shown in their canonical form; a device path as given
        (its by-id name says more than the tty it resolves to)."""
        shown = model or self.model or "model unknown"
        port = self.port if self.port.startswith("/") else self.key
        if self.name == self.port:
            return "%s (%s)" % (port, shown)
        return "%s (%s, %s)" % (self.name, port, shown)

    def as_dict(self) -> dict[str, Any]:
        # plain types only: this crosses to xdist workers
        return {"name": self.name, "port": self.port, "model": self.model,
                "labels": list(self.labels)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModuleSpec:
        return cls(str(data["name"]), str(data["port"]), str(data.get("model", "")),
                   tuple(data.get("labels", ())))


def split_values(values: Iterable[str] | None) -> list[str]:
    """Repeated options with comma-separated values, flattened; blanks dropped."""
    return [part.strip() for value in values or () for part in value.split(",")
            if part.strip()]


def load_devices_file(path: Path) -> list[ModuleSpec]:
    """Modules listed in an INI file: one [name] section each, with port, model, labels.

    [bench PC] UTF-8 with or without a BOM and UTF-16 (PowerShell 5.1) are read;
    every mistake is one line naming the file, the line and what to do.
    """
    try:
        text = devices_file.read_text(path)
    except devices_file.DevicesFileError as exc:
        raise PoolConfigError(str(exc)) from None
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise PoolConfigError(_ini_problem(path, exc)) from None
    specs = [_spec_from_section(path, text, name, parser[name]) for name in parser.sections()]
    if not specs:
        raise PoolConfigError("devices file %s lists no module; expected sections like "
                              "[bench-a] with port = COM5, model = EC600U, labels = lab-a"
                              % path)
    return specs


def _ini_problem(path: Path, exc: configparser.Error) -> str:
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return ("devices file %s, line %d: %r comes before any [module-name] section header; "
                "start each module with a line like [bench-a]"
                % (path, exc.lineno, exc.line.strip()))
    if isinstance(exc, configparser.ParsingError):
        lineno, line = exc.errors[0]  # the line as repr() shows it
        shown = line.strip("'\"").replace("\\n", "").replace("\\r", "").strip()
        return ("devices file %s, line %d: %s is not `key = value`; write e.g. port = COM5"
                % (path, lineno, shown))
    if isinstance(exc, configparser.DuplicateSectionError | configparser.DuplicateOptionError):
        return "devices file %s, line %s: %s; list it once" % (
            path, exc.lineno, str(exc).split(": ", 1)[-1].split(" (", 1)[0])
    return "devices file %s is not valid INI: %s" % (path, str(exc).splitlines()[0])


def _spec_from_section(path: Path, text: str, name: str,
                       section: configparser.SectionProxy) -> ModuleSpec:
    unknown = sorted(set(section) - set(DEVICES_FILE_KEYS))
    if unknown:
        raise PoolConfigError("devices file %s, line %d, [%s]: unknown key %s; the keys are %s"
                              % (path, devices_file.line_of(text, name, unknown[0]), name,
                                 ", ".join(unknown), ", ".join(DEVICES_FILE_KEYS)))
    port = section.get("port", "").strip()
    if not port:
        raise PoolConfigError("devices file %s, line %d, [%s]: no port (add e.g. port = COM5)"
                              % (path, devices_file.line_of(text, name), name))
    return ModuleSpec(name, port, section.get("model", "").strip(),
                      tuple(split_values([section.get("labels", "")])))


def pool_from_options(devices: Iterable[str] | None,
                      devices_files: Iterable[str | Path] | None) -> list[ModuleSpec]:
    """The modules a run may use; [the virtual module] when none is named."""
    ports = split_values(devices)
    specs = [ModuleSpec(port, port) for port in ports if port != EMULATED]
    for path in devices_files or ():
        specs += load_devices_file(Path(path))
    if EMULATED in ports and specs:
        raise PoolConfigError("--device=emulated cannot be mixed with real modules (%s)"
                              % ", ".join(s.port for s in specs))
    if not specs:
        return [ModuleSpec(EMULATED, EMULATED, labels=(EMULATED,))]
    _refuse_duplicates(specs)
    return specs


def _refuse_duplicates(specs: Sequence[ModuleSpec]) -> None:
    seen: dict[str, ModuleSpec] = {}
    for spec in specs:
        key = port_key(locked_port(spec.port))  # usb:/hwgrep:// as their port
        if key in seen:
            raise PoolConfigError("%s and %s are the same port; list each module once"
                                  % (seen[key].describe(), spec.describe()))
        seen[key] = spec


def auto_worker_count(specs: Sequence[ModuleSpec], cpus: int | None) -> int:
    """xdist workers for -n auto: one per module; two (at most one per CPU) when emulated."""
    if any(spec.emulated for spec in specs):
        return max(1, min(2, cpus or 1))
    return max(1, len(specs))


# -- what the run asks for ------------------------------------------------


def model_matches(model: str, wanted: str) -> bool:
    """EC600U matches the module models EC600U and EC600UCNLB (variants add suffixes)."""
    return bool(model) and model.upper().startswith(wanted.upper())


@dataclass(frozen=True)
class Selection:
    """--device-label groups (all must match; within a group, any) and --device-firmware."""

    label_groups: tuple[tuple[str, ...], ...] = ()
    firmware: re.Pattern[str] | None = None

    @classmethod
    def from_options(cls, labels: Iterable[str] | None, firmware: str | None) -> Selection:
        groups = tuple(tuple(split_values([value])) for value in labels or ())
        try:
            pattern = re.compile(firmware) if firmware else None
        except re.error as exc:
            raise PoolConfigError("--device-firmware=%s is not a regular expression: %s"
                                  % (firmware, exc)) from None
        return cls(tuple(g for g in groups if g), pattern)

    def reject_reason(self, spec: ModuleSpec, model: str | None,
                      firmware: str | None) -> str | None:
        """Why this module may not serve, or None. None for model/firmware: not known yet."""
        if spec.model and model and not (model_matches(model, spec.model)
                                          or model_matches(spec.model, model)):
            return "the devices file says %s but the module reports %s; check the cabling" \
                % (spec.model, model)
        for group in self.label_groups:
            if not any(_has_label(spec, model, label) for label in group):
                if model is None and not spec.model:
                    continue  # the module's model may still match; asked again once known
                return "not selected: --device-label=%s matches neither its model (%s) " \
                    "nor its labels (%s)" % (",".join(group), model or spec.model,
                                             ", ".join(spec.labels) or "none")
        if self.firmware is not None and firmware is not None \
                and not self.firmware.search(firmware):
            return "firmware %s does not match --device-firmware=%s" \
                % (firmware or "(none reported)", self.firmware.pattern)
        return None


def label_mismatch(selection: Selection, specs: Sequence[ModuleSpec]) -> str | None:
    """One line when a --device-label group matches no module at all, naming what there
    is; None when each group matches one, or may (a module whose model is not known yet
    may still match by model: the start-up check asks it)."""
    if any(not spec.model for spec in specs):
        return None
    for group in selection.label_groups:
        if not any(_has_label(spec, spec.model, label) for spec in specs for label in group):
            return "--device-label=%s: no module has that model, name or label; there %s: %s" \
                % (",".join(group), "is" if len(specs) == 1 else "are",
                   "; ".join(_what_it_is(spec) for spec in specs))
    return None


def _what_it_is(spec: ModuleSpec) -> str:
    return "%s (model %s, labels: %s)" % (spec.name, spec.model, ", ".join(spec.labels) or "none")


def _has_label(spec: ModuleSpec, model: str | None, label: str) -> bool:
    names = {spec.name.lower(), *(lab.lower() for lab in spec.labels)}
    return label.lower() in names or any(model_matches(m, label)
                                         for m in (model or "", spec.model) if m)


def unmet_requirements(needs: dict[str, Any], spec: ModuleSpec, info: ModuleInfo) -> list[str]:
    """What a test's requires(...) asks that this module lacks; [] if it has it all."""
    unknown = sorted(set(needs) - set(REQUIREMENT_KEYS))
    if unknown:
        raise PoolConfigError("unknown requirement %s; known: %s"
                              % (", ".join(unknown), ", ".join(REQUIREMENT_KEYS)))
    unmet = []
    models = _as_tuple(needs.get("model"))
    if models and not any(model_matches(info.model, m) for m in models):
        unmet.append("model %s (this is %s)" % (" or ".join(models), info.model))
    for label in _as_tuple(needs.get("label")):
        if not _has_label(spec, info.model, label):
            unmet.append("label %s (it has %s)" % (label, ", ".join(spec.labels) or "none"))
    if needs.get("firmware") and not re.search(needs["firmware"], info.firmware):
        unmet.append("firmware matching %s (it runs %s)" % (needs["firmware"], info.firmware))
    for key in ("usr_free", "usr_total"):
        if needs.get(key) and getattr(info, key) < int(needs[key]):
            unmet.append("%s >= %d bytes (it has %d)" % (key, needs[key], getattr(info, key)))
    return unmet


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


# -- who holds a module ---------------------------------------------------


def default_lock_dir() -> Path:
    return Path(os.environ.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir(), "qpy-ftp-hil-locks"))


def lock_name(port: str) -> str:
    """One file name per physical port: by-id links, COM5/com5/\\\\.\\COM5 and URL options
    fold (harness/ports/key.py); never dependent on the current folder or the port's state."""
    return lock_file_name(port)


class ModuleLock:
    """Holds one module against other workers, runs and tools; never blocks."""

    def __init__(self, port: str, lock_dir: Path | None = None) -> None:
        self.port = port
        # usb:SERIAL / hwgrep:// lock the port they stand for today, so a run
        # using COM5 and one using usb:SERIAL never share the module
        self.target = locked_port(port)
        self.key = port_key(self.target)  # [bench PC] COM5 == com5 == \\.\COM5
        self.path = (lock_dir or default_lock_dir()) / lock_name(self.target)
        # not thread-local: a lock taken in one thread may be released in another
        self._file_lock = FileLock(str(self.path), thread_local=False)
        self._guard: serial.SerialBase | None = None

    @property
    def held(self) -> bool:
        return self._file_lock.is_locked

    def acquire(self) -> None:
        """Take the module now, or raise ModuleBusy saying who has it."""
        _make_shared_dir(self.path.parent)
        try:
            self._file_lock.acquire(timeout=0)
        except Timeout:
            owner = read_owner(self.path)  # who holds it, if it said
            raise ModuleBusy("%s is in use by another pytest worker or run on this PC%s "
                             "(lock file %s); wait for it or use another module"
                             % (self._shown(), ": " + owner if owner else "",
                                self.path)) from None
        try:
            self._guard = _exclusive_guard(self.target)
        except ModuleBusy:
            self._file_lock.release()
            raise
        write_owner(self.path, self.key)  # for whoever finds it busy

    def _shown(self) -> str:
        return self.port if self.key == self.port else "%s (%s)" % (self.port, self.key)

    def release(self) -> None:
        if self._guard is not None:
            self._guard.close()
            self._guard = None
        if self._file_lock.is_locked:
            forget_owner(self.path)  # before the lock goes: nobody reads a stale note
            self._file_lock.release()


def _make_shared_dir(folder: Path) -> None:
    if folder.is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True)
    try:
        folder.chmod(0o1777)  # like /tmp: every user of the bench PC can lock a port
    except OSError:
        pass


def _exclusive_guard(port: str) -> serial.SerialBase | None:
    """pyserial's exclusive flock on a local POSIX port; None where it does not apply.

    Windows opens COM ports exclusively anyway, and a URL is not a local file.
    The guard never reads: the Device opens the port again for the traffic.
    """
    if os.name != "posix" or "://" in port:
        return None
    try:
        return serial.Serial(port, baudrate=115200, exclusive=True)
    except serial.SerialException as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            raise ModuleBusy("%s is held exclusively by another program (a terminal, "
                             "QPYcom, another harness); close it" % port) from None
        return None  # cannot open at all: Device.open explains that in its own words


# -- whether a module may serve -------------------------------------------


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


def _open_checked(spec: ModuleSpec, opener: Opener,
                  selection: Selection) -> tuple[Device, ModuleInfo]:
    """Open and identify a module; ModuleRejected if it cannot serve this run."""
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
        time.sleep(CLAIM_POLL)  # another run holds it: look again, until the deadline


def _check_once(spec: ModuleSpec, opener: Opener, selection: Selection,
                lock_dir: Path | None) -> Health:
    lock = ModuleLock(spec.port, lock_dir)
    try:
        lock.acquire()
    except ModuleBusy as exc:
        return Health(spec, problem=str(exc), busy=True)
    try:
        device, info = _open_checked(spec, opener, selection)
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
                device, info = _open_checked(spec, opener, selection)
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
        time.sleep(CLAIM_POLL)  # another run holds them: look again, until the deadline


def _rotated(specs: Sequence[ModuleSpec], start: int) -> list[ModuleSpec]:
    if not specs:
        return []
    at = start % len(specs)
    return [*specs[at:], *specs[:at]]


# -- the module one process holds for its session ---------------------------


@dataclass
class HeldModule:
    """The module a process holds for its session, and the virtual module behind it, if any."""

    claim: Claim
    virtual: VirtualModule | None = None
    scripts: str = ""  # the form the device scripts took on it, and why (harness/deploy/scripts.py)

    @property
    def emulated(self) -> bool:
        return self.virtual is not None

    @property
    def engine(self) -> str:
        """Who runs the device code on a virtual module (the report's "Engine"); '' if real."""
        return engine_fact(self.virtual.config) if self.virtual is not None else ""

    def bring_back(self, timeout: float) -> None:
        """Reconnect a module lost in an earlier test (unplugged, powered down);
        HarnessError if it does not come back within `timeout` seconds."""
        if self.claim.device.lost:
            self.claim.device.reconnect(timeout=timeout)

    def release(self) -> None:
        _release(self.claim, self.virtual)


def take_module(specs: Sequence[ModuleSpec], opener: Opener, selection: Selection, *,
                scripts: Path, worker: str = ONLY_PROCESS, start: int = 0, wait: float = 0.0,
                lock_dir: Path | None = None,
                emulator: ModuleConfig | None = None) -> tuple[HeldModule, list[Health]]:
    """The module this process holds: locked, in raw REPL, `scripts` synced, identified.

    With `emulator` a virtual module of that configuration is started and claimed
    instead of `specs`. `worker` names the process in names and messages; `start`
    is where it begins looking in `specs` (gw1 at the second module: workers rarely
    collide). Returns the module and what went wrong on the way; NoModule says in
    one line (naming the port and what to check) why there is none.
    """
    virtual = _start_virtual(emulator) if emulator is not None else None
    if virtual is not None:
        name = EMULATED if worker == ONLY_PROCESS else "%s-%s" % (EMULATED, worker)
        specs = [ModuleSpec(name, virtual.port, virtual.config.model, (EMULATED,))]
    claim, problems = claim_module(specs, opener, selection, start=start, wait=wait,
                                   lock_dir=lock_dir)
    if claim is None:
        _release(None, virtual)
        raise NoModule("%s found no free module that fits:\n  %s"
                       % (worker, "\n  ".join(h.event() for h in problems)))
    try:
        deployed = deploy(claim.device, scripts)
        claim.info = claim.device.info()  # /usr free after the scripts landed
    except HarnessError as exc:
        _release(claim, virtual)
        raise NoModule("%s: %s" % (claim.spec.describe(), exc)) from None
    return HeldModule(claim, virtual, deployed.note), problems


def _start_virtual(config: ModuleConfig) -> VirtualModule:
    try:
        return VirtualModule(config).start()
    except (EmulatorStartError, HarnessError) as exc:
        raise NoModule(str(exc)) from None


def _release(claim: Claim | None, virtual: VirtualModule | None) -> None:
    try:
        if claim is not None:
            claim.release()
    finally:
        if virtual is not None:
            virtual.stop()
