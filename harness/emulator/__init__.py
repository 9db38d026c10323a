"""The virtual QuecPython module: a child process behind a real serial port.

`VirtualModule` starts it and tells the host which port to open; everything
after that goes through pyserial, exactly as with a module on a bench.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .config import ModuleConfig

__all__ = ["ModuleConfig", "VirtualModule", "EmulatorStartError"]


class EmulatorStartError(RuntimeError):
    pass


class VirtualModule:
    """A virtual module in a child process; `port` is what pyserial opens."""

    def __init__(self, config: ModuleConfig | None = None, root: Path | None = None,
                 use_socket: bool = False, start_timeout: float = 15.0) -> None:
        self.config = config or ModuleConfig()
        self._own_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="qpy-module-")) if root is None else root
        self.use_socket = use_socket
        self.start_timeout = start_timeout
        self.port = ""
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> VirtualModule:
        cmd = [sys.executable, "-m", "harness.emulator.module", "--root", str(self.root),
               "--config", self.config.to_json(), "--watch-stdin"]
        if self.use_socket:
            cmd.append("--socket")
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.port = self._read_port_line()
        return self

    def _read_port_line(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        stdout = self._proc.stdout
        line: list[bytes] = []
        reader = threading.Thread(target=lambda: line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(self.start_timeout)
        text = line[0].decode().strip() if line else ""
        if not text.startswith("PORT "):
            self.stop()
            raise EmulatorStartError(
                "the virtual module did not start within %.0f s (got %r); run "
                "`python -m harness emulator` to see its error" % (self.start_timeout, text))
        return text[5:]

    @property
    def pid(self) -> int:
        """The module's process: SIGUSR2 to it is a power cycle (POSIX)."""
        assert self._proc is not None
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def usr_path(self, relpath: str = "") -> Path:
        """Host path of a file in the module's /usr (for tests of the emulator)."""
        return self.root / "usr" / relpath

    def stop(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait(timeout=10)
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream:
                    stream.close()
            self._proc = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> VirtualModule:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
