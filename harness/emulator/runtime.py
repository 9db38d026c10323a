"""The module's Python: a namespace, its imports, its files, its output.

Code sent to the REPL runs here, in the emulator's CPython process, with the
module's built-in names and nothing else: `import os` fails as it does on
QuecPython (no weak links), device files import from the virtual /usr, and
globals persist until a soft reboot.
"""

from __future__ import annotations

import builtins
import errno
import ftplib
import posixpath
import signal
import threading
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.micropython.gate import first_syntax_violation

from .config import ModuleConfig
from .cpython_fw import build_builtin_modules
from .cpython_fw.host_sockets import ftplib_on
from .cpython_fw.network import NetworkState
from .devfs import DeviceFs
from .events import MODULE_EVENTS, SoftRebootRequest
from .firmware_text import TEXT_HELPER, FirmwareText, TextCalls, compile_device_code
from .netplan import NetworkPlan, plan_for

DEFAULT_PATH = ["", "/usr"]


class InputQueue:
    """Bytes from the host, waiting to be read by the REPL or by stdin."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._cond = threading.Condition()
        self.closed = False

    def put(self, data: bytes) -> None:
        with self._cond:
            self._buf += data
            self._cond.notify_all()

    def get(self, size: int, timeout: float | None = None) -> bytes:
        """Up to `size` bytes; blocks for the first one (b'' on timeout)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._buf or self.closed, timeout):
                return b""
            data = bytes(self._buf[:size])
            del self._buf[:size]
            return data

    def unget(self, data: bytes) -> None:
        """Put bytes back at the front, for the next reader."""
        with self._cond:
            self._buf[:0] = data
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self._buf.clear()


def check_mpy_113(source: str, filename: str, unicode: bool = False) -> None:
    """What MicroPython 1.13's compiler refuses (f-strings, walrus, ...) fails here too;
    an escape above 0xFF only where the build has no unicode (py/lexer.c:397-405)."""
    problem = first_syntax_violation(source, filename, unicode)
    if problem is not None and problem.rule != "python-syntax":
        raise SyntaxError(problem.message, (filename, problem.line, problem.col, None))


def read_exactly(stdin: InputQueue, size: int) -> bytes:
    """usys.stdin.buffer.read(size): blocks for exactly `size` bytes (fewer if the link closed)."""
    data = bytearray()
    while len(data) < size:
        data += stdin.get(size - len(data))
        if stdin.closed:
            break
    return bytes(data)


class DeviceStdout:
    """print() on the module: text goes to the REPL link, '\\n' becomes '\\r\\n'.

    A str is written as its bytes on the firmware's build (firmware_text.py): UTF-8 with
    unicode, the bytes it holds without."""

    def __init__(self, send: Callable[[bytes], None], text: FirmwareText | None = None
                 ) -> None:
        self._send = send
        self._text = text or FirmwareText(unicode=True)  # the micropython engine's

    def write(self, text: str | bytes) -> int:
        data = self._text.bytes_of(text) if isinstance(text, str) else bytes(text)
        self._send(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
        return len(text)

    def flush(self) -> None:
        pass


class DeviceRuntime:
    def __init__(self, config: ModuleConfig, root: Path, send: Callable[[bytes], None],
                 stdin: InputQueue, plan: NetworkPlan | None = None) -> None:
        self.config = config
        self.text = FirmwareText(config.unicode)
        self.fs = DeviceFs(root, config.usr_bytes, config.block_size, self.text)
        # where the module is on the network (its address, the carrier: netplan.py), and
        # whether it is attached (net.setModemFun: network.py)
        self.plan = plan or plan_for(config)
        self.network = NetworkState(config.reattach_ms / 1000)
        self._host_ftplib: types.ModuleType | None = None
        self.stdout = DeviceStdout(send, self.text)
        self._text_calls = TextCalls(self.text, self.stdout.write)
        self.stdin = stdin
        self.kbd_intr_enabled = True
        self.executing = False
        self.path: list[str] = list(DEFAULT_PATH)
        self.modules: dict[str, types.ModuleType] = {}
        self._firmware = build_builtin_modules(self)
        self.builtins = self._make_builtins()
        self.globals: dict = {}
        self._main_thread = threading.main_thread()
        self._reboot_requested = False
        self._install_interrupt()
        self.soft_reset()

    # -- Ctrl-C and Ctrl-D from the link -----------------------------------

    def _install_interrupt(self) -> None:
        # Ctrl-C from the host raises KeyboardInterrupt in running code only,
        # never in the REPL itself; a real signal also breaks blocking calls.
        def on_interrupt(signum: int, frame: object) -> None:
            if not self.executing:
                return
            if self._reboot_requested:
                self._reboot_requested = False
                raise SoftRebootRequest
            if not self.config.ignore_ctrl_c:
                raise KeyboardInterrupt

        if hasattr(signal, "SIGUSR1") and threading.current_thread() is self._main_thread:
            signal.signal(signal.SIGUSR1, on_interrupt)

    def interrupt(self, reboot: bool = False) -> None:
        """Ctrl-C reached the running program (or, with reboot, a Ctrl-D it cannot ignore)."""
        if reboot:
            self._reboot_requested = True
        ident = self._main_thread.ident  # never None: the main thread is running
        if hasattr(signal, "pthread_kill") and ident is not None:
            signal.pthread_kill(ident, signal.SIGUSR1)
        else:  # Windows: no signals between threads; the next bytecode raises
            import _thread

            _thread.interrupt_main()

    def close(self) -> None:
        pass

    # -- lifecycle -------------------------------------------------------

    def soft_reset(self) -> None:
        """What Ctrl-D does: globals, imported modules and sys.path are gone."""
        self.modules.clear()
        self.path[:] = DEFAULT_PATH
        self.fs.cwd = "/"
        self.kbd_intr_enabled = True
        self.globals = {"__name__": "__main__", "__builtins__": self.builtins}

    def _make_builtins(self) -> dict:
        table = dict(vars(builtins))
        table["open"] = self.fs.open
        table["__import__"] = self.import_module
        # text as the firmware keeps it (firmware_text.py): what compiled code calls
        calls = self._text_calls
        table.update({TEXT_HELPER: calls, "chr": calls.chr, "repr": calls.repr,
                      "print": calls.print})
        for name in ("exit", "quit", "copyright", "credits", "license", "breakpoint"):
            table.pop(name, None)
        return table

    # -- imports ---------------------------------------------------------

    def import_module(self, name: str, globals=None, locals=None, fromlist=(), level=0):
        if level:
            raise ImportError("relative import not supported")
        return self._load(name.split(".")[0])

    def _load(self, name: str) -> types.ModuleType:
        if name in self.modules:
            return self.modules[name]
        if name in self._firmware:
            return self._firmware[name]
        found = self._find_on_path(name)
        if found is not None:
            return self._load_device_file(name, found)
        if name == "ftplib" and self.config.firmware_ftplib:
            return self._firmware_ftplib()
        raise ImportError("no module named '%s'" % name)

    def _firmware_ftplib(self) -> types.ModuleType:
        """The firmware's own ftplib: CPython's, in emulation, one private copy on the
        module's network and its path (its own address, the carrier), so it neither outlives
        a lost network nor bypasses the link. Without unicode its str are bytes, so it
        sends and reads them as they are (latin-1 is the identity there)."""
        if self._host_ftplib is None:
            module = ftplib_on(self.network, self.plan)
            if not self.config.unicode:
                module.FTP = bytes_ftp(module.FTP)  # type: ignore[attr-defined]
            self._host_ftplib = module
        return self._host_ftplib

    def _find_on_path(self, name: str) -> str | None:
        for entry in self.path:
            base = entry if entry else self.fs.cwd
            candidate = posixpath.join(base, name + ".py")
            if self.fs.host(candidate).is_file():
                return self.fs.virtual(candidate)
        return None

    def _load_device_file(self, name: str, vpath: str) -> types.ModuleType:
        source = self.text.source(self.fs.host(vpath).read_bytes())
        code = self.compile(source, vpath)
        module = types.ModuleType(name)
        module.__dict__.update(__file__=vpath, __builtins__=self.builtins)
        self.modules[name] = module
        try:
            exec(code, module.__dict__)
        except BaseException:
            self.modules.pop(name, None)
            raise
        return module

    # -- running code ----------------------------------------------------

    def compile(self, source: str, filename: str, mode: str = "exec") -> types.CodeType:
        """`source`: the program as the build's lexer reads it (FirmwareText.source)."""
        check_mpy_113(source, filename, self.config.unicode)
        return compile_device_code(source, filename, mode)

    def execute(self, source: bytes | str, mode: str = "exec") -> str | None:
        """Run code as the REPL does (its bytes; a str stands for its UTF-8 bytes);
        returns the error text, or None."""
        if isinstance(source, str):
            source = source.encode("utf-8")
        try:
            code = self.compile(self.text.source(source), "<stdin>", mode)
        except SyntaxError as exc:
            return self._format_syntax_error(exc)
        try:
            self.executing = True
            try:
                result = eval(code, self.globals)
                if mode == "single" and result is not None:
                    self.stdout.write(self.text.repr(result) + "\n")
            finally:
                # from here on a Ctrl-C is no longer the program's to receive
                self.executing = False
        except MODULE_EVENTS:
            raise
        except BaseException as exc:  # the module reports every exception, even SystemExit
            return self.format_exception(exc)
        return None

    def read_stdin(self, size: int) -> bytes:
        """usys.stdin.buffer.read(size): blocks for exactly `size` bytes."""
        return read_exactly(self.stdin, size)

    # -- errors, as MicroPython prints them ------------------------------

    def format_exception(self, exc: BaseException) -> str:
        lines = ["Traceback (most recent call last):\n"]
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == "<stdin>" or frame.filename.startswith("/"):
                if not frame.filename.startswith("/") or self._is_device_file(frame.filename):
                    lines.append('  File "%s", line %d, in %s\n'
                                 % (frame.filename, frame.lineno or 0, frame.name))
        lines.append(self._exception_line(exc))
        return "".join(lines)

    def _is_device_file(self, filename: str) -> bool:
        return filename.startswith(("/usr", "/bak"))

    @staticmethod
    def _exception_line(exc: BaseException) -> str:
        name = type(exc).__name__
        if isinstance(exc, OSError) and exc.args and isinstance(exc.args[0], int):
            code = exc.args[0]
            return "%s: [Errno %d] %s\n" % (name, code, errno.errorcode.get(code, ""))
        text = str(exc)
        return "%s: %s\n" % (name, text) if text else "%s: \n" % name

    def _format_syntax_error(self, exc: SyntaxError) -> str:
        return format_syntax_error(exc)


def bytes_ftp(base: type[ftplib.FTP]) -> type[ftplib.FTP]:
    """CPython's FTP for a build whose str are bytes: latin-1 is the identity there."""

    class BytesFTP(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, encoding: str = "latin-1", **kwargs: Any) -> None:
            super().__init__(*args, encoding=encoding, **kwargs)

    return BytesFTP


def format_syntax_error(exc: SyntaxError) -> str:
    """What MicroPython prints for code its compiler refuses."""
    return 'Traceback (most recent call last):\n  File "<stdin>", line %s\n' \
           "SyntaxError: invalid syntax\n" % (exc.lineno or 1)
