"""A module on the other end of a serial port: run code, move files, run steps.

Everything here is built on RawRepl.exec_raw; the code it sends lives in
harness/wire/snippets.py, where the MicroPython 1.13 gate checks it, so it runs on
the module as it runs on the virtual one.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import posixpath
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import serial

from harness.errors import (
    DeviceBusy,
    DeviceDisconnected,
    DeviceExecError,
    DeviceNotFound,
    DeviceNotResponding,
    DeviceTimeout,
    HarnessError,
    PushVerifyError,
    ReplRefused,
)
from harness.ports.export_refusal import peek
from harness.ports.names import resolve as resolve_port_name
from harness.redact import mask_imei
from harness.wire import snippets
from harness.wire.layout import DEVICE_DIR, USR, VALUE_PREFIX
from harness.wire.power import ResetCommand
from harness.wire.repl import MAX_OWED, RawRepl
from harness.wire.results import StepResult, parse_step_output
from harness.wire.serial_log import LoggedPort, SerialLog

PUSH_CHUNK = 3072  # payload bytes per exec: 4 KiB of base64, small for the module's heap
BINARY_BLOCK = 512  # raw bytes per acknowledged block on the binary path
BINARY_IN_FLIGHT = 2  # blocks sent ahead of the module's acks: fits any USB CDC buffer
ACK = b"\x06"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class ModuleInfo:
    port: str
    model: str
    firmware: str
    imei: str
    micropython: str
    usr_free: int
    usr_total: int
    resolved_port: str = ""  # what a stable name (usb:..., hwgrep://...) opened

    @property
    def imei_masked(self) -> str:
        return mask_imei(self.imei)


def _open_repl(port: str, log: SerialLog, prompt_timeout: float,
               tries: int, preamble: bytes = b"") -> tuple[RawRepl, str]:
    """The raw REPL on a --device value, and the port it resolved to."""
    # the one place a --device value becomes an open port: stable names
    # (usb:SERIAL[:IF], hwgrep://) are resolved here, again at every reconnect
    target = resolve_port_name(port)
    options: dict[str, Any] = {"baudrate": 115200, "timeout": 0.05}
    if not port.startswith("rfc2217://"):  # pyserial's RFC 2217 client has no write timeout
        options["write_timeout"] = 10
    for attempt in (1, 2):
        try:
            ser = serial.serial_for_url(target.port, **options)
            break
        except (serial.SerialException, ValueError, OSError, NotImplementedError) as exc:
            answer = peek(target.port)  # an exporter serving another client?
            if answer.busy:
                raise DeviceBusy("%s: %s" % (target.describe(), answer.busy)) from None
            # free now: an exporter that refused us while its client was leaving, which
            # left between its refusal and this look (once; a server that answers but
            # cannot be opened is not found)
            if not (answer.free and attempt == 1):
                raise DeviceNotFound(
                    "cannot open %s (%s): is the module plugged in, is the port name right "
                    "(Windows: 'Quectel USB REPL Port' in Device Manager; Linux: ls "
                    "/dev/ttyUSB* /dev/ttyACM*), is another program holding it?"
                    % (target.describe(), exc)) from None
    repl = RawRepl(LoggedPort(ser, log), target.describe(), prompt_timeout=prompt_timeout)
    try:
        if preamble:
            repl.write(preamble)
        repl.enter_raw(tries=tries)
    except HarnessError:
        ser.close()
        raise
    return repl, target.port


class Device:
    def __init__(self, repl: RawRepl, port: str, log: SerialLog,
                 resolved_port: str | None = None) -> None:
        self.repl = repl
        self.port = port
        self.resolved_port = resolved_port or port  # today's port of a stable name
        self.log = log
        self.push_mode = "auto"  # "auto": binary where the module allows it, else base64
        self._binary_ok: bool | None = None
        # told (bytes sent, bytes in all) as a push goes (harness/wire/progress.py)
        self.push_progress: Callable[[int, int], None] | None = None
        # --reset-command: what power-cycles this module when nothing else brings it back
        self.reset_command: ResetCommand | None = None
        self.reconnect_timeout = 30.0
        self.power_cycles: list[str] = []  # why and when, for the report
        # the test's time (set_deadlines): steps end by step_deadline, every wait by
        # hard_deadline, so the harness, not pytest-timeout, ends a test that overruns
        self.step_deadline: float | None = None
        self.hard_deadline: float | None = None
        # a lost module gets one reconnect window, however many callers ask it back:
        # (start, end) in time.monotonic; once it has ended with no module, `gone`
        # says why, and nothing waits for it again in this session
        self._window: tuple[float, float] | None = None
        self.gone: str | None = None

    @property
    def lost(self) -> str | None:
        """Why the port went away, once it has; None while it is there."""
        return self.gone or self.repl.lost

    def cleanup_reserve(self) -> float:
        """Seconds a test must keep for recovery and clean-up after its last step:
        interrupting or soft-rebooting the module (about 10 prompt waits), a
        reconnect, a power cycle if there is a reset command, and a few removals."""
        reserve = 10 * self.repl.prompt_timeout + self.reconnect_timeout + 10.0
        if self.reset_command is not None:
            reserve += self.reset_command.timeout + self.reconnect_timeout
        return reserve

    def set_deadlines(self, step: float | None, hard: float | None) -> None:
        """Moments (time.monotonic) by which steps end and every wait ends; None: no limit."""
        self.step_deadline, self.hard_deadline = step, hard
        self.repl.deadline = hard

    def step_time(self, timeout: float) -> float:
        """Seconds a step given `timeout` may run if it starts now: cut to the test's time
        (DeviceTimeout when none is left)."""
        return self._capped(timeout)[0]

    def _capped(self, timeout: float) -> tuple[float, bool]:
        if self.step_deadline is None:
            return timeout, False
        left = self.step_deadline - time.monotonic()
        if left <= 0:
            raise DeviceTimeout(
                "no time left for this step on %s: the test's timeout (pytest-timeout) less "
                "the %.0f s kept for clean-up is spent; raise the test's timeout marker or "
                "lower --device-timeout" % (self.port, self.cleanup_reserve()))
        return (left, True) if left < timeout else (timeout, False)

    @classmethod
    def open(cls, port: str, log: SerialLog | None = None, prompt_timeout: float = 3.0,
             tries: int = 3) -> Device:
        """Open a pyserial port (COM5, /dev/ttyUSB6, socket://..., rfc2217://...)."""
        log = log or SerialLog()
        repl, resolved = _open_repl(port, log, prompt_timeout, tries)
        return cls(repl, port, log, resolved)

    def reconnect(self, timeout: float = 15.0) -> None:
        """Reopen the port after a reset or re-plug (USB ports re-enumerate).

        The module has `timeout` seconds from the first call to come back; a later
        call (the test's clean-up, the next test) waits only what is left of that
        window, and once it has passed with no module, raises at once: the module
        is gone for the session (`gone` says why). A port that opens but whose
        module never gives a prompt is power-cycled with the reset command, if
        there is one, and reopened once more."""
        if self.gone:
            raise DeviceDisconnected(self.gone)
        if self._window is None:
            now = time.monotonic()
            self._window = (now, now + timeout)
        try:
            self._reopen(self._window)
        except DeviceDisconnected as exc:
            if self.reset_command is None:
                raise
            self.gone = None  # the power switch is the last resort: it gets its own window
            self.power_cycle("not back after a reconnect: %s" % exc)

    def power_cycle(self, why: str) -> None:
        """Run --reset-command, then reopen the port; the report says it happened and why.
        The power cycle opens a fresh reconnect window; when it ends with no module,
        the module is gone for the session."""
        assert self.reset_command is not None
        said = self.reset_command.run(self.resolved_port)
        self.power_cycles.append("%s power-cycled with --reset-command (%s)%s" % (
            self.port, why, "; it said: " + said if said else ""))
        now = time.monotonic()
        self._window = (now, now + self.reconnect_timeout)
        self._reopen(self._window)

    def _reopen(self, window: tuple[float, float]) -> None:
        """Open the port again until the window (start, end) ends, or the test's time."""
        try:
            self.repl.port.close()
        except Exception:
            pass
        deadline = window[1]
        if self.hard_deadline is not None:
            deadline = min(deadline, self.hard_deadline)
        last: HarnessError | None = None
        # a receiver cut off by the lost port still waits for bytes: sent (as zeros,
        # then Ctrl-C) on reconnect, so it finishes and gives the REPL back; more than
        # MAX_OWED would flood a module that rebooted meanwhile (left to the power cycle)
        cut_off = self.repl
        owed = cut_off.owed if cut_off.busy and cut_off.owed <= MAX_OWED else 0
        preamble = b"\x00" * owed + b"\x03" if owed else b""
        while time.monotonic() < deadline:
            try:
                self.repl, self.resolved_port = _open_repl(self.port, self.log,
                                                           self.repl.prompt_timeout, 1, preamble)
                self.repl.deadline = self.hard_deadline
                self._binary_ok = None
                self._window = None
                return
            except HarnessError as exc:
                last = exc
                time.sleep(0.5)  # polling for the port to come back, not a race
        window_start, window_end = window
        if time.monotonic() < window_end:  # the test's time ran out first: its window goes on
            raise DeviceDisconnected("%s did not come back within the test's time left: %s"
                                     % (self.port, last))
        # its window is over: nothing waits for it again in this session
        self.gone = "%s did not come back within %.0f s: %s" % (
            self.port, window_end - window_start, last or "its time had run out")
        raise DeviceDisconnected(self.gone)

    def close(self) -> None:
        """Leave the module at its REPL: a step the host stopped waiting for (a Ctrl-C
        on the bench PC) is interrupted first."""
        try:
            if self.repl.busy:
                self.repl.settle()
            self.repl.exit_raw()
        except HarnessError:
            pass
        try:
            self.repl.port.close()
        except Exception:
            pass

    # -- running code ----------------------------------------------------

    def exec(self, code: str, timeout: float = 10.0) -> str:
        """Run code; its output as text. Raises DeviceExecError if it raised."""
        return self.exec_bytes(code, timeout).decode("utf-8", "replace")

    def exec_bytes(self, code: str, timeout: float = 10.0) -> bytes:
        """Run code; its output as the module sent it (UTF-8, line ends untouched)."""
        if self.lost:
            raise DeviceDisconnected(self.lost)
        timeout, capped = self._capped(timeout)
        try:
            out, err = self.repl.exec_raw(code, timeout)  # DeviceDisconnected: self.lost says why
        except DeviceTimeout as exc:
            if not capped:
                raise
            raise DeviceTimeout("%s: cut short to end before the test's timeout "
                                "(pytest-timeout), keeping %.0f s for clean-up"
                                % (exc, self.cleanup_reserve())) from None
        except ReplRefused:
            raise  # the application's choice: a power cycle brings it back the same
        except DeviceNotResponding as exc:
            if self.reset_command is None:
                raise
            # neither Ctrl-C nor a soft reboot helped: the bench's power switch
            self.power_cycle(str(exc))
            raise DeviceTimeout("%s; power-cycled with --reset-command and back at the "
                                "raw REPL" % exc) from None
        if err:
            trace = err.decode("utf-8", "replace")
            first = code.strip().splitlines()[0] if code.strip() else ""
            raise DeviceExecError("code on %s raised %s (first line: %s)" % (
                self.port, DeviceExecError.last_line(trace) or "an error", first[:80]), trace)
        return out

    def eval_json(self, expr: str, timeout: float = 10.0, setup: str = "") -> Any:
        """Evaluate an expression on the module and bring its value back as JSON."""
        out = self.exec(snippets.EVAL_JSON.fill(setup, VALUE_PREFIX, expr), timeout)
        marked = [line.rstrip("\r") for line in out.split("\n") if line.startswith(VALUE_PREFIX)]
        if not marked:
            raise HarnessError("no value came back from %s for %r: %r" % (self.port, expr, out))
        # the JSON value, and nothing a noisy line may have glued after it
        return json.JSONDecoder().raw_decode(marked[-1][len(VALUE_PREFIX):])[0]

    def soft_reset(self) -> None:
        self.repl.soft_reset()

    # -- files -----------------------------------------------------------

    def file_hash(self, path: str) -> tuple[str, int] | None:
        """(sha256, size) of a file on the module, computed there; None if missing."""
        found = self.eval_json(snippets.FILE_HASH.fill(path), timeout=60.0,
                               setup=snippets.SHA_FUNC.source)
        return (found[0], found[1]) if found else None

    def file_hashes(self, paths: list[str]) -> dict[str, tuple[str, int] | None]:
        found = self.eval_json(snippets.FILE_HASHES.fill(paths), timeout=120.0,
                               setup=snippets.SHA_FUNC.source)
        return {p: (tuple(f) if f else None) for p, f in zip(paths, found, strict=True)}

    def makedirs(self, path: str) -> None:
        self.exec(snippets.MAKEDIRS.fill(path))

    def remove(self, path: str) -> bool:
        """Remove a file; False if it was not there."""
        return self.remove_all([path])[0]

    def remove_all(self, paths: list[str]) -> list[bool]:
        """Remove files in one exec; for each, whether it was there."""
        return [bool(x) for x in self.eval_json(snippets.REMOVE_ALL.fill(paths),
                                                setup=snippets.REMOVE_FUNC.source)]

    def exists(self, path: str) -> bool:
        return bool(self.eval_json(snippets.EXISTS.fill(path),
                                   setup=snippets.EXISTS_FUNC.source))

    def listdir(self, path: str) -> list[str]:
        return self.eval_json(snippets.LISTDIR.fill(path), setup=snippets.IMPORT_UOS.source)

    def statvfs(self, path: str = USR) -> tuple[int, int]:
        """(free bytes, total bytes) of the partition holding `path`."""
        st = self.eval_json(snippets.STATVFS.fill(path), setup=snippets.IMPORT_UOS.source)
        return st[0] * st[4], st[0] * st[2]

    def push(self, data: bytes, remote: str) -> str:
        """Write bytes to a file on the module; verified by the module's sha256.

        Raw bytes over stdin where the module allows it (a third less on the
        wire), base64 in exec'd code otherwise or if the binary copy fails.
        """
        expected = (sha256_bytes(data), len(data))
        if self.push_mode != "base64" and self._binary_allowed():
            # an error on the module (a full disk) is raised as it is; only bytes
            # that arrive changed send this and later pushes down the base64 path
            if self._push_binary(data, remote) == expected:
                return expected[0]
            self._binary_ok = False
        found = self._push_base64(data, remote)
        if found != expected:
            raise PushVerifyError(
                "pushed %s to %s:%s but the module holds %s; the serial link lost or "
                "changed bytes: check the cable/hub and retry"
                % (_fmt(*expected), self.port, remote, _fmt(*found) if found else "no file"))
        return expected[0]

    def _binary_allowed(self) -> bool:
        if self.push_mode == "binary":
            return True
        if self._binary_ok is None:
            try:
                self._binary_ok = bool(self.eval_json(
                    snippets.BINARY_PROBE.source, setup=snippets.BINARY_PROBE_SETUP.source))
            except DeviceExecError:
                self._binary_ok = False
        return self._binary_ok

    def _push_base64(self, data: bytes, remote: str) -> tuple[str, int] | None:
        self.exec(snippets.BASE64_OPEN.fill(remote))
        try:
            for start in range(0, len(data), PUSH_CHUNK):
                chunk = binascii.b2a_base64(data[start:start + PUSH_CHUNK], newline=False)
                self.exec(snippets.BASE64_WRITE.fill(chunk), timeout=30.0)
                self.progress(min(start + PUSH_CHUNK, len(data)), len(data))
        finally:
            self.exec(snippets.BASE64_CLOSE.source)
        return self.file_hash(remote)

    def _push_binary(self, data: bytes, remote: str) -> tuple[str, int] | None:
        """Raw bytes read from stdin by a small receiver, acked block by block."""
        block = BINARY_BLOCK
        blocks = [data[i:i + block] for i in range(0, len(data), block)]
        self.repl.start_exec(snippets.PUSH_BINARY.fill(remote, len(data), block,
                                                       BINARY_IN_FLIGHT))
        self.repl.owed = len(data)  # the receiver runs now: owed until sent
        # The receiver acks once when ready, then once per block; after each ack
        # the host tops up to BINARY_IN_FLIGHT unacked blocks and never sends more,
        # so a receiver that fails knows exactly how many bytes are still coming
        # and swallows them before it answers (snippets._RECEIVER).
        acked = -1
        sent = 0
        while acked < len(blocks):
            marker = self.repl.read_until_any((ACK, b"\x04"), 30.0)
            if marker == b"\x04":  # the receiver died early: its error text comes next
                err = self.repl.read_until(b"\x04", 10.0)
                if err is None or self.repl.read_until(b">", self.repl.prompt_timeout) is None:
                    self.repl.enter_raw()  # the framing broke: get a clean prompt back
                self.repl.busy = False
                trace = (err or b"")[:-1].decode("utf-8", "replace")
                raise DeviceExecError("binary push to %s:%s failed: %s" % (
                    self.port, remote, DeviceExecError.last_line(trace) or "an error"), trace)
            if marker is None:
                how = self.repl.recover()
                raise DeviceTimeout("binary push to %s:%s stalled (%s)" % (self.port, remote, how))
            acked += 1
            while sent < len(blocks) and sent - max(acked, 0) < BINARY_IN_FLIGHT:
                self.repl.write(blocks[sent])
                self.repl.owed -= len(blocks[sent])
                sent += 1
            self.progress(min(max(acked, 0) * block, len(data)), len(data))
        return self.finish_push("binary push to %s" % remote)

    def finish_push(self, what: str) -> tuple[str, int] | None:
        """End a streamed push: the (sha256, size) the receiver printed, or None."""
        said = self.finish_push_lines(what)
        return said[-1] if said else None

    def finish_push_lines(self, what: str) -> list[tuple[str, int]]:
        """End a streamed push of one file or more: each (sha256, size) the receiver printed."""
        out, err = self.repl.finish_exec(30.0)
        if err:
            raise DeviceExecError("%s failed" % what, err.decode("utf-8", "replace"))
        said = []
        for line in out.decode("utf-8", "replace").split("\n"):
            if line.startswith(VALUE_PREFIX):
                sha, size = line[len(VALUE_PREFIX):].split()
                said.append((sha, int(size)))
        return said

    def progress(self, done: int, total: int) -> None:
        """Tell push_progress, if anyone listens, how far a push has got."""
        if self.push_progress is not None:
            self.push_progress(done, total)

    def push_file(self, local: Path, remote: str) -> str:
        return self.push(local.read_bytes(), remote)

    def sync_folder(self, local: Path, remote: str) -> list[str]:
        """Push every .py file of `local` whose sha256 differs on the module."""
        self.makedirs(remote)
        files = sorted(p for p in local.iterdir() if p.is_file() and p.suffix == ".py")
        remote_paths = [posixpath.join(remote, p.name) for p in files]
        on_device = self.file_hashes(remote_paths)
        pushed = []
        for path, rpath in zip(files, remote_paths, strict=True):
            data = path.read_bytes()
            if on_device.get(rpath) != (sha256_bytes(data), len(data)):
                self.push(data, rpath)
                pushed.append(path.name)
        return pushed

    # -- identity --------------------------------------------------------

    def info(self) -> ModuleInfo:
        data = self.eval_json(snippets.INFO.source, setup=snippets.INFO_SETUP.source)
        fields = dict(item.split("=", 1) for item in data["uname"] if "=" in item)
        model = fields.get("sysname") or (data["uname"][0] if data["uname"] else "?")
        return ModuleInfo(port=self.port, model=model, firmware=str(data["fw"]),
                          imei=data["imei"], micropython=data["mpy"], usr_free=data["free"],
                          usr_total=data["total"], resolved_port=self.resolved_port)

    def data_call_address(self) -> str:
        """The module's own address, as dataCall.getInfo(1, 0) gives it (moddatacall.c:
        253-270); '' where there is no data call."""
        return str(self.eval_json(snippets.DATA_CALL_ADDRESS.source,
                                  setup=snippets.DATA_CALL_SETUP.source) or "")

    # -- device steps ----------------------------------------------------

    def run_step(self, module: str, step: str, args: dict[str, Any],
                 timeout: float = 60.0, path: str = DEVICE_DIR,
                 secrets: Iterable[str] = ()) -> StepResult:
        """Run one step of a device script; its single result line, parsed.

        `secrets` (passwords in `args`) stay on the host: the serial log masks them.
        """
        for secret in secrets:
            self.log.add_secret(secret)
        code = (snippets.STEP_IMPORT.fill(path, path, module)
                + snippets.step_run(module, step, args))
        output = self.exec(code, timeout)
        return parse_step_output(output)


def _fmt(sha: str, size: int) -> str:
    return "%s... (%d bytes)" % (sha[:12], size)
