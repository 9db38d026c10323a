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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import serial

from .errors import DeviceExecError, DeviceNotFound, HarnessError, PushVerifyError
from .repl import RawRepl
from .results import StepResult, parse_step_output
from .serial_log import LoggedPort, SerialLog

PUSH_CHUNK = 3072  # payload bytes per exec: 4 KiB of base64, small for the module's heap
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

    @property
    def imei_masked(self) -> str:
        return self.imei[:4] + "*" * max(0, len(self.imei) - 8) + self.imei[-4:] \
            if len(self.imei) > 8 else self.imei


class Device:
    def __init__(self, repl: RawRepl, port: str, log: SerialLog) -> None:
        self.repl = repl
        self.port = port
        self.log = log

    @classmethod
    def open(cls, port: str, log: SerialLog | None = None, prompt_timeout: float = 3.0,
             tries: int = 3) -> Device:
        """Open a pyserial port (COM5, /dev/ttyUSB6, socket://..., rfc2217://...)."""
        log = log or SerialLog()
        try:
            ser = serial.serial_for_url(port, baudrate=115200, timeout=0.05, write_timeout=10)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise DeviceNotFound(
                "cannot open %s (%s): is the module plugged in, is the port name right "
                "(Windows: 'Quectel USB REPL Port' in Device Manager; Linux: ls /dev/ttyUSB* "
                "/dev/ttyACM*), is another program holding it?" % (port, exc)) from None
        repl = RawRepl(LoggedPort(ser, log), port, prompt_timeout=prompt_timeout)
        device = cls(repl, port, log)
        try:
            repl.enter_raw(tries=tries)
        except HarnessError:
            ser.close()
            raise
        return device

    def close(self) -> None:
        try:
            self.repl.exit_raw()
        except HarnessError:
            pass
        self.repl.port.close()

    # -- running code ----------------------------------------------------

    def exec(self, code: str, timeout: float = 10.0) -> str:
        """Run code; its output as text. Raises DeviceExecError if it raised."""
        out, err = self.repl.exec_raw(code, timeout)
        text = out.decode("utf-8", "replace")
        if err:
            trace = err.decode("utf-8", "replace")
            first = code.strip().splitlines()[0] if code.strip() else ""
            raise DeviceExecError("code on %s raised %s (first line: %s)"
                                  % (self.port, _last_line(trace), first[:80]), trace)
        return text

    def eval_json(self, expr: str, timeout: float = 10.0, setup: str = "") -> Any:
        """Evaluate an expression on the module and bring its value back as JSON."""
        out = self.exec("%s\nimport ujson\nprint(%r + ujson.dumps(%s))"
                        % (setup, VALUE_PREFIX, expr), timeout)
        marked = [line.rstrip("\r") for line in out.split("\n") if line.startswith(VALUE_PREFIX)]
        if not marked:
            raise HarnessError("no value came back from %s for %r: %r" % (self.port, expr, out))
        return json.loads(marked[-1][len(VALUE_PREFIX):])

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
        """Write bytes to a file on the module; verified by the module's sha256."""
        expected = sha256_bytes(data)
        self.exec("import ubinascii\n_hil_f = open(%r, 'wb')\n_hil_w = _hil_f.write\n"
                  "_hil_d = ubinascii.a2b_base64" % remote)
        try:
            for start in range(0, len(data), PUSH_CHUNK):
                chunk = binascii.b2a_base64(data[start:start + PUSH_CHUNK], newline=False)
                self.exec("_hil_w(_hil_d(%r))" % chunk, timeout=30.0)
        finally:
            self.exec("_hil_f.close()")
        found = self.file_hash(remote)
        if found is None or found != (expected, len(data)):
            raise PushVerifyError(
                "pushed %s to %s:%s but the module holds %s; the serial link lost or "
                "changed bytes, retry or lower the chunk size"
                % (_fmt(expected, len(data)), self.port, remote,
                   _fmt(*found) if found else "no file"))
        return expected

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
                          usr_total=data["total"])

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
