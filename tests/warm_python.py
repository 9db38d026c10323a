"""`python -m pytest ...` and `python -m harness ...` for the harness's own tests, forked
from a warm interpreter.

A cold `python -m pytest` spends about 0.7 s of CPU importing pytest, its plugins and the
harness before it reads its first option; the harness's own tests start some 150 such
runs, most of which end at the door in a fraction of that. Here each run is a fork of one
interpreter per test process (the zygote) that has imported what every run imports
anyway, and nothing else:

- the modules a run imports before its first option: pytest, pyserial, pyftpdlib, the
  harness; the installed pytest plugins and the project's `pytest_plugins` (fixtures/)
  through pytest's own assertion-rewriting import hook, as a run imports them (so a run
  finds them rewritten, as it would have rewritten them itself); conftest files, test
  modules and a plugin that keeps what it found at its import (xdist: sys.path, for its
  workers) a run imports itself;
- the zygote runs no code of the harness and no pytest session: module state is as fresh
  as right after those imports;
- the run gets its own working folder, environment, argv, stdin (/dev/null) and the head
  of sys.path (the folder, then its PYTHONPATH), as `python -m MODULE` there would, and
  ends as an interpreter ends (non-daemon threads joined, atexit handlers run, streams
  flushed), with its exit code, or minus the signal that ended it.

A run that needs an interpreter started differently (PYTHON* variables but PYTHONPATH
other than the zygote's, another program than `python -m pytest|harness`), a run while the zygote is
busy with another (threads), and every run where there is no os.fork (Windows) start cold,
as subprocess.run would.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WARM_MODULES = ("pytest", "harness")  # what `python -m` may run warm
# imported by the zygote: a run of either module imports these before its first option
PRELOAD = (
    "pytest", "_pytest.config", "_pytest.main", "_pytest.python", "_pytest.fixtures",
    "_pytest.terminal", "_pytest.junitxml", "_pytest.doctest", "_pytest.logging",
    "_pytest.capture", "_pytest.assertion.rewrite", "_pytest.pastebin", "_pytest.skipping",
    "_pytest.unittest", "_pytest.faulthandler", "_pytest.debugging",
    "execnet", "jinja2", "filelock", "allure_commons", "serial", "serial.rfc2217",
    "serial.tools.list_ports", "pyftpdlib.servers", "pyftpdlib.handlers",
    "pyftpdlib.authorizers", "ftplib", "xml.etree.ElementTree", "email.message",
    "harness.options.table", "harness.bench.claim", "harness.bench.health",
    "harness.bench.held", "harness.bench.pool", "harness.bench.virtual",
    "harness.deploy.scripts", "harness.deploy.ftplib_check", "harness.report",
    "harness.scenario.run", "harness.servers.factory", "harness.wire.device", "harness.cli",
)


# plugins that keep, at their import, what the interpreter started with: a run imports them
IMPORT_STATE = (
    "xdist",  # xdist/plugin.py: _sys_path = list(sys.path), the sys.path of its workers
)


def _preload_plugins() -> set[str]:
    """The installed pytest plugins and the project's `pytest_plugins`, imported through
    pytest's assertion-rewriting hook as a run imports them; the names of those modules.
    Nothing (a run imports them itself) where this pytest does it differently."""
    import importlib
    import importlib.metadata

    try:
        from _pytest.assertion import install_importhook
        from _pytest.assertion.rewrite import AssertionRewritingHook
        from _pytest.config import _iter_rewritable_modules, get_config

        hook = install_importhook(get_config())
    except Exception:
        return set()
    try:
        plugins = [ep for dist in importlib.metadata.distributions()
                   for ep in dist.entry_points if ep.group == "pytest11"
                   and ep.module.split(".")[0] not in IMPORT_STATE]
        for ep in plugins:  # what pytest marks before it loads the plugins
            hook.mark_rewrite(*_iter_rewritable_modules(
                [str(f) for f in ep.dist.files or []] if ep.dist else []))
        for ep in plugins:
            ep.load()
        conftest = importlib.import_module("conftest")  # the project's, for its plugin list
        del sys.modules["conftest"]  # a run imports its conftest files afresh
        own = list(getattr(conftest, "pytest_plugins", []))
        hook.mark_rewrite(*own)
        for name in own:
            importlib.import_module(name)
    finally:
        sys.meta_path.remove(hook)  # a run installs its own
    return {name for name, module in sys.modules.items()
            if isinstance(getattr(module, "__loader__", None), AssertionRewritingHook)}


# -- the zygote (this file run as a program) ---------------------------------------------


def _send(message: dict[str, Any]) -> None:
    os.write(1, (json.dumps(message) + "\n").encode())


def _requests() -> Any:
    """Request lines from fd 0, read unbuffered: nothing read ahead reaches a run."""
    pending = b""
    while True:
        while b"\n" not in pending:
            chunk = os.read(0, 65536)
            if not chunk:
                return
            pending += chunk
        line, pending = pending.split(b"\n", 1)
        yield json.loads(line)


def _become_the_run(request: dict[str, Any]) -> None:
    """In the forked child: turn into `python -m MODULE ARGS` in its folder; never returns."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    out = os.open(request["stdout"], os.O_WRONLY | os.O_TRUNC)
    err = os.open(request["stderr"], os.O_WRONLY | os.O_TRUNC)
    for fd, target in ((devnull, 0), (out, 1), (err, 2)):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    head = _head_length(os.environ.get("PYTHONPATH", ""))  # the zygote's own
    os.environ.clear()
    os.environ.update(request["env"])
    tempfile.tempdir = None  # read from TMPDIR again, as a new interpreter would
    sys.argv = ["-m", *request["args"]]
    # what `python -m` puts first: the folder, then PYTHONPATH's entries made absolute
    sys.path[:head] = [os.getcwd(), *_pythonpath(os.environ.get("PYTHONPATH", ""))]
    import runpy

    runpy._run_module_as_main(request["module"])  # type: ignore[attr-defined]
    raise SystemExit(0)  # the module returned: the interpreter would end with 0


def _read_installed_once() -> None:
    """The installed distributions, and each one's metadata files, read once for every
    run: a run's pytest reads every entry_points.txt to find its plugins (pluggy's
    load_setuptools_entrypoints); tests/test_bad_input.py's 60-odd runs: 19.2 -> 17.8 s
    of CPU. Nothing is installed while the tests run; a run asking with arguments reads
    afresh."""
    import functools
    import importlib.metadata as metadata

    afresh = metadata.distributions
    installed = list(afresh())
    for dist in installed:
        dist.read_text = functools.lru_cache(maxsize=None)(dist.read_text)  # type: ignore[method-assign]
        dist.entry_points  # noqa: B018 (reads entry_points.txt into the cache)

    def distributions(**kwargs: Any) -> Any:
        return afresh(**kwargs) if kwargs else iter(installed)

    metadata.distributions = distributions  # type: ignore[assignment]


def zygote() -> None:
    sys.path[0] = str(ROOT)
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    _preload_plugins()
    _read_installed_once()
    assert threading.active_count() == 1, "the zygote must not fork with threads running"
    sys.stdout.flush()
    sys.stderr.flush()
    _send({"ready": os.getpid()})
    for request in _requests():
        pid = os.fork()
        if pid == 0:
            _become_the_run(request)
        _send({"pid": pid})
        _, status, usage = os.wait4(pid, 0)
        _send({"pid": pid, "returncode": os.waitstatus_to_exitcode(status),
               "cpu": usage.ru_utime + usage.ru_stime})


# -- the client (the test process) ----------------------------------------------------------


def _pythonpath(value: str) -> list[str]:
    """PYTHONPATH's entries as an interpreter puts them on sys.path (an empty one: '.')."""
    return [os.path.abspath(entry) for entry in value.split(os.pathsep)] if value else []


def _head_length(zygote_pythonpath: str) -> int:
    """How many entries at the head of the zygote's sys.path a run replaces."""
    return 1 + len(_pythonpath(zygote_pythonpath))


def _interpreter_env(env: Mapping[str, str]) -> dict[str, str]:
    """What an interpreter reads at its start (the rest a run reads when it runs); the
    run sets PYTHONPATH's part, sys.path, itself."""
    return {k: v for k, v in env.items() if k.startswith("PYTHON") and k != "PYTHONPATH"}


class Zygote:
    def __init__(self) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        self.proc = subprocess.Popen([sys.executable, __file__], cwd=ROOT, env=self.env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.busy = threading.Lock()
        self._pending = b""
        ready = self._receive(60.0)
        if ready is None or "ready" not in ready:
            self.close()
            raise RuntimeError("the warm interpreter did not start")

    def _receive(self, timeout: float | None) -> dict[str, Any] | None:
        """The zygote's next line, or None when `timeout` seconds passed first."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("the warm interpreter ended (exit code %s)" % self.proc.wait())
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def run(self, module: str, args: Sequence[str], cwd: Path | str, env: Mapping[str, str],
            timeout: float | None) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", module, *args]
        with tempfile.TemporaryDirectory(prefix="qpy-warm-") as folder:
            out, err = Path(folder, "stdout"), Path(folder, "stderr")
            out.touch()
            err.touch()
            assert self.proc.stdin is not None
            self.proc.stdin.write((json.dumps({
                "module": module, "args": list(args), "cwd": str(Path(cwd).resolve()),
                "env": dict(env), "stdout": str(out), "stderr": str(err)}) + "\n").encode())
            self.proc.stdin.flush()
            started = self._receive(30.0)
            if started is None or "pid" not in started:
                raise RuntimeError("the warm interpreter did not start the run: %s" % cmd)
            pid = started["pid"]
            try:
                ended = self._receive(timeout)
            except BaseException:  # as subprocess.run does: the run does not outlive the test
                os.kill(pid, signal.SIGKILL)
                self._receive(30.0)
                raise
            if ended is None:
                os.kill(pid, signal.SIGKILL)
                self._receive(30.0)
                raise subprocess.TimeoutExpired(cmd, timeout or 0, output=_text(out),
                                                stderr=_text(err))
            global child_cpu
            child_cpu += ended["cpu"]
            return subprocess.CompletedProcess(cmd, ended["returncode"], _text(out), _text(err))

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _text(path: Path) -> str:
    """What subprocess.run(text=True) gives: decoded, universal newlines."""
    return path.read_bytes().decode().replace("\r\n", "\n").replace("\r", "\n")


# CPU seconds the warm runs of this process took (a cold run's are its parent's
# RUSAGE_CHILDREN; a warm run is the zygote's child): for benchmarks/suite_profile.py
child_cpu = 0.0
_zygote: Zygote | None = None
_start_lock = threading.Lock()


def _the_zygote() -> Zygote:
    global _zygote
    with _start_lock:
        if _zygote is None or _zygote.proc.poll() is not None:
            _zygote = Zygote()
            atexit.register(_zygote.close)
        return _zygote


def run(cmd: Sequence[str], *, cwd: Path | str = ROOT, env: Mapping[str, str] | None = None,
        timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
    stdin=subprocess.DEVNULL, timeout=timeout), warm where it can be."""
    environ = dict(os.environ if env is None else env)
    cmd = [str(part) for part in cmd]
    warm = (hasattr(os, "fork") and len(cmd) >= 3 and cmd[0] == sys.executable
            and cmd[1] == "-m" and cmd[2] in WARM_MODULES)
    if warm:
        zygote = _the_zygote()
        if (_interpreter_env(environ) == _interpreter_env(zygote.env)
                and zygote.busy.acquire(blocking=False)):
            try:
                return zygote.run(cmd[2], cmd[3:], cwd, environ, timeout)
            finally:
                zygote.busy.release()
    return subprocess.run(cmd, cwd=cwd, env=environ, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)


if __name__ == "__main__":
    zygote()
