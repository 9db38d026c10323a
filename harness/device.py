"""A module on the other end of a serial port: run code, move files, run steps.

Everything here is built on RawRepl.exec_raw; the code it sends is
MicroPython 1.13 (u-names only, no f-strings) so it runs on the module as it
runs on the virtual one.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import posixpath
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import serial

from .errors import (
    DeviceBusy,
    DeviceDisconnected,
    DeviceExecError,
    DeviceNotFound,
    DeviceTimeout,
    HarnessError,
    PushVerifyError,
)
from .export_refusal import exporter_refusal
from .port_names import resolve as resolve_port_name
from .repl import RawRepl
from .report.redact import mask_imei
from .results import StepResult, parse_step_output
from .serial_log import LoggedPort, SerialLog

PUSH_CHUNK = 3072  # payload bytes per exec: 4 KiB of base64, small for the module's heap
BINARY_BLOCK = 512  # raw bytes per acknowledged block on the binary path
BINARY_IN_FLIGHT = 2  # blocks sent ahead of the module's acks: fits any USB CDC buffer
ACK = b"\x06"
VALUE_PREFIX = "HIL-VALUE "  # marks the line eval_json reads, among any other output
DEVICE_DIR = "/usr/hil"  # everything the harness puts on the module lives here

# Streams a file through sha256 in 1 KiB blocks; None if the file is missing.
_SHA_FUNC = """
def _hil_sha(p):
    import uhashlib, ubinascii
    try:
        f = open(p, 'rb')
    except OSError:
        return None
    h = uhashlib.sha256()
    b = bytearray(1024)
    n = 0
    while True:
        k = f.readinto(b)
        if not k:
            break
        h.update(memoryview(b)[:k])
        n += k
    f.close()
    return [ubinascii.hexlify(h.digest()).decode(), n]
"""


# Reads `size` raw bytes from stdin into a file, acking each block with \x06.
# Ctrl-C is switched off meanwhile so a 0x03 in the data is data.
_BINARY_RECEIVER = """
import usys, micropython, uhashlib, ubinascii
def _hil_recv(path, size, block):
    f = open(path, 'wb')
    h = uhashlib.sha256()
    src = usys.stdin.buffer
    got = 0
    micropython.kbd_intr(-1)
    try:
        usys.stdout.write('\\x06')
        while got < size:
            data = src.read(min(block, size - got))
            f.write(data)
            h.update(data)
            got += len(data)
            usys.stdout.write('\\x06')
    finally:
        micropython.kbd_intr(3)
        f.close()
    digest = ubinascii.hexlify(h.digest()).decode()
    usys.stdout.write('HIL-VALUE ' + digest + ' ' + str(got) + '\\n')
"""


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
    resolved_port: str = ""  # [ports] what a stable name (usb:..., hwgrep://...) opened

    @property
    def imei_masked(self) -> str:
        return mask_imei(self.imei)


def _open_repl(port: str, log: SerialLog, prompt_timeout: float,
               tries: int) -> tuple[RawRepl, str]:
    """The raw REPL on a --device value, and the port it resolved to."""
    # [ports] the one place a --device value becomes an open port: stable names
    # (usb:SERIAL[:IF], hwgrep://) are resolved here, again at every reconnect
    target = resolve_port_name(port)
    options: dict[str, Any] = {"baudrate": 115200, "timeout": 0.05}
    if not port.startswith("rfc2217://"):  # pyserial's RFC 2217 client has no write timeout
        options["write_timeout"] = 10
    try:
        ser = serial.serial_for_url(target.port, **options)
    except (serial.SerialException, ValueError, OSError, NotImplementedError) as exc:
        refusal = exporter_refusal(target.port)  # [ports] an exporter serving another client
        if refusal:
            raise DeviceBusy("%s: %s" % (target.describe(), refusal)) from None
        raise DeviceNotFound(
            "cannot open %s (%s): is the module plugged in, is the port name right "
            "(Windows: 'Quectel USB REPL Port' in Device Manager; Linux: ls /dev/ttyUSB* "
            "/dev/ttyACM*), is another program holding it?" % (target.describe(), exc)) from None
    repl = RawRepl(LoggedPort(ser, log), target.describe(), prompt_timeout=prompt_timeout)
    try:
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
        self.resolved_port = resolved_port or port  # [ports] today's port of a stable name
        self.log = log
        self.lost: str | None = None  # why the port went away, once it has
        self.push_mode = "auto"  # "auto": binary where the module allows it, else base64
        self._binary_ok: bool | None = None

    @classmethod
    def open(cls, port: str, log: SerialLog | None = None, prompt_timeout: float = 3.0,
             tries: int = 3) -> Device:
        """Open a pyserial port (COM5, /dev/ttyUSB6, socket://..., rfc2217://...)."""
        log = log or SerialLog()
        repl, resolved = _open_repl(port, log, prompt_timeout, tries)
        return cls(repl, port, log, resolved)

    def reconnect(self, timeout: float = 15.0) -> None:
        """Reopen the port after a reset or re-plug (USB ports re-enumerate)."""
        try:
            self.repl.port.close()
        except Exception:
            pass
        deadline = time.monotonic() + timeout
        last: HarnessError | None = None
        while time.monotonic() < deadline:
            try:
                self.repl, self.resolved_port = _open_repl(self.port, self.log,
                                                           self.repl.prompt_timeout, 1)
                self.lost = None
                self._binary_ok = None
                return
            except HarnessError as exc:
                last = exc
                time.sleep(0.5)  # polling for the port to come back, not a race
        raise DeviceDisconnected("%s did not come back within %.0f s: %s"
                                 % (self.port, timeout, last))

    def close(self) -> None:
        try:
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
        if self.lost:
            raise DeviceDisconnected(self.lost)
        try:
            out, err = self.repl.exec_raw(code, timeout)
        except DeviceDisconnected as exc:
            self.lost = str(exc)
            raise
        text = out.decode("utf-8", "replace")
        if err:
            trace = err.decode("utf-8", "replace")
            first = code.strip().splitlines()[0] if code.strip() else ""
            raise DeviceExecError("code on %s raised %s (first line: %s)"
                                  % (self.port, _last_line(trace), first[:80]), trace)
        return text

    def eval_json(self, expr: str, timeout: float = 10.0, setup: str = "") -> Any:
        """Evaluate an expression on the module and bring its value back as JSON."""
        # one write, so another thread's print cannot split the value line
        out = self.exec("%s\nimport ujson, usys\nusys.stdout.write(%r + ujson.dumps(%s) + '\\n')"
                        % (setup, VALUE_PREFIX, expr), timeout)
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
        found = self.eval_json("_hil_sha(%r)" % path, timeout=60.0, setup=_SHA_FUNC)
        return (found[0], found[1]) if found else None

    def file_hashes(self, paths: list[str]) -> dict[str, tuple[str, int] | None]:
        found = self.eval_json("[_hil_sha(p) for p in %r]" % (paths,), timeout=120.0,
                               setup=_SHA_FUNC)
        return {p: (tuple(f) if f else None) for p, f in zip(paths, found, strict=True)}

    def makedirs(self, path: str) -> None:
        self.exec("import uos\npath = ''\nfor part in %r.strip('/').split('/'):\n"
                  "    path = path + '/' + part\n    try:\n        uos.mkdir(path)\n"
                  "    except OSError:\n        pass\n" % path)

    def remove(self, path: str) -> bool:
        """Remove a file; False if it was not there."""
        return bool(self.eval_json(
            "_hil_rm(%r)" % path,
            setup="import uos\ndef _hil_rm(p):\n    try:\n        uos.remove(p)\n"
                  "        return True\n    except OSError:\n        return False\n"))

    def exists(self, path: str) -> bool:
        return bool(self.eval_json(
            "_hil_exists(%r)" % path,
            setup="import uos\ndef _hil_exists(p):\n    try:\n        uos.stat(p)\n"
                  "        return True\n    except OSError:\n        return False\n"))

    def listdir(self, path: str) -> list[str]:
        return self.eval_json("uos.listdir(%r)" % path, setup="import uos")

    def statvfs(self, path: str = "/usr") -> tuple[int, int]:
        """(free bytes, total bytes) of the partition holding `path`."""
        st = self.eval_json("uos.statvfs(%r)" % path, setup="import uos")
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
                    "hasattr(usys.stdin, 'buffer') and hasattr(micropython, 'kbd_intr')",
                    setup="import usys, micropython"))
            except DeviceExecError:
                self._binary_ok = False
        return self._binary_ok

    def _push_base64(self, data: bytes, remote: str) -> tuple[str, int] | None:
        self.exec("import ubinascii\n_hil_f = open(%r, 'wb')\n_hil_w = _hil_f.write\n"
                  "_hil_d = ubinascii.a2b_base64" % remote)
        try:
            for start in range(0, len(data), PUSH_CHUNK):
                chunk = binascii.b2a_base64(data[start:start + PUSH_CHUNK], newline=False)
                self.exec("_hil_w(_hil_d(%r))" % chunk, timeout=30.0)
        finally:
            self.exec("_hil_f.close()")
        return self.file_hash(remote)

    def _push_binary(self, data: bytes, remote: str) -> tuple[str, int] | None:
        """Raw bytes read from stdin by a small receiver, acked block by block."""
        block = BINARY_BLOCK
        blocks = [data[i:i + block] for i in range(0, len(data), block)]
        self.repl.start_exec(_BINARY_RECEIVER + "_hil_recv(%r, %d, %d)"
                             % (remote, len(data), block))
        acked = -1  # the receiver acks once when ready, then once per block
        sent = 0
        while acked < len(blocks):
            marker = self.repl.read_until_any((ACK, b"\x04"), 30.0)
            if marker == b"\x04":  # the receiver died early: its error text comes next
                err = self.repl.read_until(b"\x04", 10.0) or b""
                self.repl.enter_raw()  # blocks we sent may sit in the REPL's line buffer
                trace = err[:-1].decode("utf-8", "replace")
                raise DeviceExecError("binary push to %s:%s failed: %s"
                                      % (self.port, remote, _last_line(trace)), trace)
            if marker is None:
                how = self.repl.recover()
                raise DeviceTimeout("binary push to %s:%s stalled (%s)" % (self.port, remote, how))
            acked += 1
            while sent < len(blocks) and sent - max(acked, 0) < BINARY_IN_FLIGHT:
                self.repl.write(blocks[sent])
                sent += 1
        out, err = self.repl.finish_exec(30.0)
        if err:
            raise DeviceExecError("binary push to %s failed" % remote,
                                  err.decode("utf-8", "replace"))
        values = [line for line in out.decode("utf-8", "replace").split("\n")
                  if line.startswith(VALUE_PREFIX)]
        if not values:
            return None
        sha, size = values[-1][len(VALUE_PREFIX):].split()
        return sha, int(size)

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
        setup = (
            "import uos, usys\ntry:\n    import modem\n    _fw = modem.getDevFwVersion()\n"
            "    _imei = modem.getDevImei()\nexcept Exception:\n    _fw = ''\n    _imei = ''\n"
            "_un = uos.uname()\n_st = uos.statvfs('/usr')\n"
        )
        data = self.eval_json(
            "{'uname': [str(x) for x in _un], 'fw': _fw, 'imei': str(_imei), "
            "'mpy': '.'.join([str(x) for x in usys.implementation.version]), "
            "'free': _st[0] * _st[4], 'total': _st[0] * _st[2]}", setup=setup)
        fields = dict(item.split("=", 1) for item in data["uname"] if "=" in item)
        model = fields.get("sysname") or (data["uname"][0] if data["uname"] else "?")
        return ModuleInfo(port=self.port, model=model, firmware=str(data["fw"]),
                          imei=data["imei"], micropython=data["mpy"], usr_free=data["free"],
                          usr_total=data["total"], resolved_port=self.resolved_port)

    # -- device steps ----------------------------------------------------

    def run_step(self, module: str, step: str, args: dict[str, Any],
                 timeout: float = 60.0, path: str = DEVICE_DIR) -> StepResult:
        """Run one step of a device script; its single result line, parsed."""
        for secret in args.get("secrets", ()):
            self.log.add_secret(secret)
        code = (
            "import usys, ujson\nif %r not in usys.path:\n    usys.path.insert(0, %r)\n"
            "import %s\n%s.run(%r, ujson.loads(%r))\n"
            % (path, path, module, module, step, json.dumps(args))
        )
        output = self.exec(code, timeout)
        return parse_step_output(output)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "an error"


def _fmt(sha: str, size: int) -> str:
    return "%s... (%d bytes)" % (sha[:12], size)
