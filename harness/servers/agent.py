"""The far end of --ftp-server=ssh://: our FTP server on the cloud host, driven over stdin/stdout.

agent_link.py starts it through ssh as `python3 -u -c BOOTSTRAP`: the bootstrap
reads this file's source from stdin and runs it as a script; this file then reads the
harness modules it needs (one JSON "bundle" line), imports them from memory and
answers requests, one JSON object per line each way:

    harness -> agent   {"id": 3, "op": "digest", "name": "t-up.bin"}
    agent -> harness   {"id": 3, "ok": true, "result": {"$digest": ["...", 1024]}}

Besides start / stop / ping it answers only the calls in remote_calls.REMOTE_CALLS.

Nothing is installed on the host: the code lives in memory, the FTP home is a fresh
temporary folder, and both are gone when the agent ends. It ends on "stop", on stdin
EOF (the ssh connection closed), when its parent dies (sshd's session process went
away) or when the harness has been silent longer than the watchdog (a link that died
without closing). The control channel is this process's stdin: the agent opens no
port but the FTP server's own.

Self-contained on purpose: only the standard library until the bundle is installed,
and nothing newer than Python 3.8, whatever the host runs.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from typing import Any, BinaryIO

PROTOCOL = 1
MIN_PYTHON = (3, 8)  # the host's Python, not the harness's: cloud images lag behind
MIN_PYFTPDLIB = (2, 0)  # harness/servers/local/ uses pyftpdlib 2's module layout
STARTUP_WATCHDOG = 60.0  # seconds to wait for "start" before giving up on the harness
POLL = 0.2  # how often the watchdog looks at the parent and the silence, in seconds


class _BundleImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the harness modules the harness sent, from memory: nothing touches the disk."""

    def __init__(self, sources: dict[str, str]) -> None:
        self._sources = sources

    def _is_package(self, name: str) -> bool:
        return any(other.startswith(name + ".") for other in self._sources)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self._sources:
            return None
        return importlib.util.spec_from_loader(
            fullname, self, origin="qpy-hil:" + fullname, is_package=self._is_package(fullname))

    def create_module(self, spec: Any) -> None:
        return None  # the default module object

    def exec_module(self, module: Any) -> None:
        name = module.__name__
        exec(compile(self._sources[name], "<%s>" % name.replace(".", "/"), "exec"),
             module.__dict__)


def install_bundle(sources: dict[str, str]) -> str | None:
    """Make the bundled modules importable; None, or why the server cannot run here."""
    if sys.version_info < MIN_PYTHON:
        return "Python %s on this host is too old; the FTP server needs %d.%d or newer" % (
            platform.python_version(), *MIN_PYTHON)
    try:
        import pyftpdlib
    except ImportError:
        return ("pyftpdlib is not installed for %s on this host; install it with: "
                "%s -m pip install 'pyftpdlib>=2'" % (sys.executable, sys.executable))
    version = tuple(int(n) for n in re.findall(r"\d+", pyftpdlib.__ver__)[:2])
    if version < MIN_PYFTPDLIB:
        return ("pyftpdlib %s on this host is too old; the harness needs 2.0 or newer: "
                "%s -m pip install -U 'pyftpdlib>=2'" % (pyftpdlib.__ver__, sys.executable))
    for name in sources:
        sys.modules.pop(name, None)  # never mix with a harness installed on the host
    sys.meta_path.insert(0, _BundleImporter(sources))
    import harness.servers.factory  # noqa: F401  (fail here, with the reason, not at "start")
    return None


def _note(text: str) -> None:
    """A line for the harness's error messages; the pipe may already be gone."""
    try:
        sys.stderr.write("qpy-hil agent: %s\n" % text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class Agent:
    """Owns the FTP server and answers requests; ends everything exactly once."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._out_lock = threading.Lock()
        self._end_lock = threading.Lock()
        self.ended = False
        self.server: Any = None
        self.root: str | None = None
        self.watchdog = STARTUP_WATCHDOG
        self.parent = os.getppid()
        self.last_heard = time.monotonic()
        self.busy = False

    # --- messages

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode("utf-8")
        with self._out_lock:
            try:
                self._out.write(data)
                self._out.flush()
            except (OSError, ValueError):
                pass  # the harness is gone; stdin EOF or the watchdog ends us

    def handle(self, line: bytes) -> bool:
        """Answer one request line; False once the harness asked to stop."""
        self.busy = True
        self.last_heard = time.monotonic()
        try:
            try:
                request = json.loads(line)
                rid, op = request.get("id"), str(request.get("op"))
            except (ValueError, AttributeError):
                self.send({"event": "error", "error": "request is not a JSON object"})
                return True
            try:
                self.send({"id": rid, "ok": True, "result": self.answer(op, request)})
            except Exception as err:
                self.send({"id": rid, "ok": False, "type": type(err).__name__,
                           "error": str(err)})
            return op != "stop"
        finally:
            self.last_heard = time.monotonic()
            self.busy = False

    # --- requests

    def answer(self, op: str, request: dict[str, Any]) -> Any:
        """The result of one request; ValueError for a request not on the allow-list."""
        from harness.servers.remote_calls import REMOTE_CALLS, invoke

        own = {"ping": self.ping, "start": self.start, "stop": self.stop}
        if op in own:
            return own[op](request)
        contract = REMOTE_CALLS.get(op)
        if contract is None:
            raise ValueError("unknown request %r" % op)
        server = self._server()
        if not isinstance(server, contract):
            raise ValueError("the server here cannot %r" % op)
        named = {key: value for key, value in request.items() if key not in ("id", "op")}
        return invoke(getattr(server, op), named)

    def _server(self) -> Any:
        if self.server is None:
            raise RuntimeError("the FTP server is not started; send 'start' first")
        return self.server

    def ping(self, request: dict[str, Any]) -> dict[str, Any]:
        error = self.server.loop_error if self.server is not None else None
        return {"loop_error": None if error is None else repr(error)}

    def start(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.server is not None:
            raise RuntimeError("the FTP server is already running")
        from pathlib import Path

        from harness import link_budget
        from harness.servers.factory import build_server
        from harness.servers.options import ServerOptions
        from harness.servers.spec import ServerSpec

        if request.get("link"):  # the module's link: this end's removals wait for it too
            link_budget.set_current(link_budget.LinkBudget(**request["link"]))
        ports = request.get("passive_ports")
        self.root = tempfile.mkdtemp(prefix="qpy-hil-ftp-")
        # the harness resolved the PASV address already: it is the public host here
        options = ServerOptions(
            home=Path(self.root), user=request["user"], password=request["password"],
            bind=request["bind"], public_host=request.get("masquerade"),
            port=int(request["port"]), quota_bytes=request.get("quota_bytes"),
            passive_ports=range(ports[0], ports[1] + 1) if ports else None)
        server = build_server(ServerSpec("local"), options)
        try:
            server.start()
        except Exception:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
            raise
        self.server = server
        self.watchdog = float(request.get("watchdog") or STARTUP_WATCHDOG)
        return {"port": server.port, "root": self.root}

    def stop(self, request: dict[str, Any]) -> None:
        self.end("stopped by the harness")

    # --- the end

    def end(self, reason: str) -> None:
        """Stop the server and delete its home; later calls do nothing."""
        with self._end_lock:
            if self.ended:
                return
            self.ended = True
            problem = ""
            try:
                if self.server is not None:
                    self.server.stop()
            except Exception as err:
                problem = "; stopping the server: %r" % err
            finally:
                if self.root is not None:
                    shutil.rmtree(self.root, ignore_errors=True)
            _note("ending: %s%s" % (reason, problem))

    def watch(self) -> None:
        """Runs in a thread: end everything if the parent dies or the harness falls silent."""
        while not self.ended:
            time.sleep(POLL)
            if os.getppid() != self.parent:
                reason = "its parent process died (the ssh session ended)"
            elif not self.busy and time.monotonic() - self.last_heard > self.watchdog:
                reason = "no word from the harness for %.0f s (watchdog)" % self.watchdog
            else:
                continue
            self.end(reason)
            os._exit(3)  # the main thread may be blocked reading stdin


def main() -> int:
    stdin = sys.stdin.buffer
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must never corrupt the protocol
    agent = Agent(out)

    def on_signal(signum: int, frame: Any) -> None:
        agent.end("signal %d" % signum)
        os._exit(3)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), on_signal)
    threading.Thread(target=agent.watch, name="qpy-hil-watchdog", daemon=True).start()

    line = stdin.readline()
    if not line:
        agent.end("stdin closed before the bundle arrived")
        return 0
    problem = install_bundle(json.loads(line)["bundle"])
    if problem is not None:
        agent.send({"event": "fatal", "error": problem})
        agent.end(problem)
        return 2
    import pyftpdlib

    agent.send({"event": "hello", "protocol": PROTOCOL, "pid": os.getpid(),
                "ppid": agent.parent, "python": platform.python_version(),
                "pyftpdlib": pyftpdlib.__ver__})
    reason = "stdin closed (the ssh connection ended)"
    for line in iter(stdin.readline, b""):
        if not agent.handle(line):
            reason = "stopped by the harness"
            break
    agent.end(reason)
    return 0


if __name__ == "__main__":
    sys.exit(main())
