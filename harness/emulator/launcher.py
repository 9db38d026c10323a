"""Virtual modules forked from one warm process (POSIX), not started as fresh interpreters.

A fresh `python -m harness.emulator.module` spends 0.1-0.2 s of CPU importing its code,
twice that where bytecode is not cached (PYTHONDONTWRITEBYTECODE, common in CI images).
A bench run starts one module per xdist worker; the harness's own tests start some 180.
Here a process's first module starts the launcher (launcher_process.py):
it imports the module's code, runs no thread and forks a module for each request. The
module's stdin and stdout are the caller's pipes (sent over a Unix socket), its folder and
environment the caller's at the request, its argv what `python -m harness.emulator.module`
would get. The kernel reaps the modules (the launcher ignores SIGCHLD); a module is gone
when its stdout closes. The launcher ends with the process that started it (its socket
closes). Where there is no fork (Windows), or the launcher fails, a module starts fresh.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import IO, Protocol

HEADER = struct.Struct("!I")  # the length of the request's JSON that follows
READY = b"ready\n"
START_TIMEOUT = 30.0  # seconds for the launcher to import the module's code
REPLY_TIMEOUT = 10.0  # seconds for it to answer a request with the module's pid


class ModuleProcess(Protocol):
    """What VirtualModule needs of its module's process: subprocess.Popen has it."""

    pid: int
    stdin: IO[bytes] | None
    stdout: IO[bytes] | None

    def poll(self) -> int | None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class ForkedModule:
    """A module the launcher forked: not our child, so gone is "its stdout closed"."""

    def __init__(self, pid: int, stdin: IO[bytes], stdout: IO[bytes]) -> None:
        self.pid = pid
        self.stdin: IO[bytes] | None = stdin
        self.stdout: IO[bytes] | None = stdout
        self.returncode: int | None = None  # 0 once gone: the launcher keeps no status

    def _closed(self, timeout: float) -> bool:
        # after its PORT line the module writes nothing to stdout: readable means closed
        assert self.stdout is not None
        if self.returncode is None and select.select([self.stdout], [], [], timeout)[0]:
            if not os.read(self.stdout.fileno(), 4096):
                self.returncode = 0
        return self.returncode is not None

    def poll(self) -> int | None:
        return self.returncode if self._closed(0) else None

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._closed(1.0 if deadline is None else max(0.0, deadline - time.monotonic())):
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(["virtual module", str(self.pid)], timeout or 0)
        return 0


class Launcher:
    """The client's end: one launcher per process, requests one at a time."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harness.emulator.launcher_process", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        theirs.close()
        self.sock = ours
        self.lock = threading.Lock()
        if self._read_line(START_TIMEOUT) != READY:
            self.close()
            raise OSError("the module launcher did not start")

    def _read_line(self, timeout: float) -> bytes:
        line = b""
        deadline = time.monotonic() + timeout
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return line
            chunk = self.sock.recv(1)
            if not chunk:
                return line
            line += chunk
        return line

    def spawn(self, argv: list[str]) -> ForkedModule:
        request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)})
        data = request.encode()
        stdin_r, stdin_w = os.pipe()
        stdout_r, stdout_w = os.pipe()
        try:
            with self.lock:
                socket.send_fds(self.sock, [HEADER.pack(len(data)) + data], [stdin_r, stdout_w])
                reply = self._read_line(REPLY_TIMEOUT)
        except OSError:
            for fd in (stdin_w, stdout_r):
                os.close(fd)
            raise
        finally:
            os.close(stdin_r)  # the module's ends: the launcher passed them on
            os.close(stdout_w)
        if not reply.strip().isdigit():
            os.close(stdin_w)
            os.close(stdout_r)
            raise OSError("the module launcher did not answer (%r)" % reply)
        return ForkedModule(int(reply), os.fdopen(stdin_w, "wb"), os.fdopen(stdout_r, "rb"))

    def close(self) -> None:
        self.sock.close()  # the launcher reads the end and exits
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_launcher: Launcher | None = None
_launcher_lock = threading.Lock()


def start_module(argv: list[str]) -> ModuleProcess:
    """`python -m harness.emulator.module ARGV`, with a pipe for its stdin and stdout."""
    global _launcher
    if hasattr(os, "fork") and hasattr(socket, "send_fds"):
        with _launcher_lock:
            try:
                if _launcher is None or _launcher.owner != os.getpid():
                    _launcher = Launcher()  # a forked copy of a process starts its own
                return _launcher.spawn(argv)
            except OSError:
                _launcher = None  # this module starts fresh; the next one tries again
    return subprocess.Popen([sys.executable, "-m", "harness.emulator.module", *argv],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
