"""The harness's end of the server agent (agent.py): JSON lines over pipes.

The child process is `ssh ... python3 -u -c BOOTSTRAP` (ssh.py), or,
in the harness's own tests, a local Python running the same bootstrap. The agent's
code and the harness modules it needs travel over the child's stdin, so the far host
needs nothing but Python and pyftpdlib.

One request at a time. A thread reads the child's stdout, so every wait has a timeout;
another keeps the tail of its stderr (ssh's own errors) for messages; a heartbeat keeps
the agent's watchdog fed while the harness has nothing to ask.
"""

from __future__ import annotations

import collections
import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

from harness import link_budget
from harness.deadline import bounded
from harness.errors import HarnessError

# Runs on the far host: read this many bytes of agent source from stdin, run them.
BOOTSTRAP = ("import sys;b=sys.stdin.buffer;"
             "exec(compile(b.read(int(b.readline())),'agent.py','exec'))")
# The harness modules the agent imports, sent in memory ("harness" is an empty package):
# these and every module of harness/servers/ but the agent itself.
BUNDLE = ("harness.errors", "harness.deadline", "harness.digest", "harness.link_budget")
STDERR_LINES = 40  # how much of the child's stderr is kept for error messages
STDERR_WAIT = 2.0  # seconds to let the stderr reader catch up once the child has gone



class AgentError(HarnessError):
    """The agent could not be started, or the link to it failed."""


class AgentRequestError(AgentError):
    """The agent answered a request with an error; `kind` is the far exception's type name."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def agent_payload() -> bytes:
    """What goes down the child's stdin first: the agent's source, then the bundle line."""
    # found from here at call time: in the agent's memory bundle this module has no file
    here = Path(__file__).resolve().parent  # harness/servers
    harness = here.parent
    agent = here / "agent.py"
    source = agent.read_bytes()
    sources = {"harness": ""}
    for name in BUNDLE:
        sources[name] = (harness / (name.split(".", 1)[1] + ".py")).read_text(encoding="utf-8")
    for path in sorted(here.rglob("*.py")):
        if path != agent:
            parts = path.relative_to(harness.parent).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            sources[name] = path.read_text(encoding="utf-8")
    bundle = json.dumps({"bundle": sources}).encode("utf-8")
    return b"%d\n%s%s\n" % (len(source), source, bundle)


class AgentLink:
    """A running agent behind a child process; `describe` names it in every message."""

    def __init__(self, command: list[str], describe: str, timeout: float = 30.0) -> None:
        self.command = command
        self.describe = describe
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.hello: dict[str, Any] = {}
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._lock = threading.Lock()  # one request on the wire at a time
        self._next_id = 0
        self._gone = False  # the child's stdout reached EOF
        self._beat_stop = threading.Event()
        self._beat: threading.Thread | None = None
        self._stderr_reader: threading.Thread | None = None

    # --- life cycle

    def open(self) -> dict[str, Any]:
        """Start the child, send the agent, and return its hello (pid, versions)."""
        try:
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, bufsize=0)
        except OSError as exc:
            raise AgentError("%s: cannot run %r: %s; is the OpenSSH client installed "
                             "(Debian: apt-get install openssh-client; Windows 10+: "
                             "Settings > Optional features > OpenSSH Client)?"
                             % (self.describe, self.command[0], exc)) from exc
        # Popen made all three pipes: stdin, stdout and stderr are never None here
        assert self.process.stdout is not None and self.process.stderr is not None
        threading.Thread(target=self._read_stdout, args=(self.process.stdout,),
                         name="agent-stdout", daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr,
                                               args=(self.process.stderr,),
                                               name="agent-stderr", daemon=True)
        self._stderr_reader.start()
        # from a thread: until ssh is connected the pipe fills and a write would block
        threading.Thread(target=self._send_agent, name="agent-send", daemon=True).start()
        try:
            hello = self._wait(lambda m: "event" in m, "the agent's hello", self.timeout)
        except AgentError:
            self.close(kill=True)
            raise
        if hello.get("event") != "hello":
            self.close(kill=True)
            raise AgentError("%s: the FTP server cannot run there: %s"
                             % (self.describe, hello.get("error", hello)))
        self.hello = hello
        return hello

    def _send_agent(self) -> None:
        try:
            self._write(agent_payload())
        except AgentError:
            pass  # the child is gone: the wait for the hello says why

    def start_heartbeat(self, interval: float) -> None:
        """Ping every `interval` seconds so the agent's watchdog knows the harness is alive."""
        def beat() -> None:
            while not self._beat_stop.wait(interval):
                try:
                    self.request("ping", timeout=max(interval, 5.0))
                except AgentError:
                    return  # the link is down; the next real request says so

        self._beat = threading.Thread(target=beat, name="agent-heartbeat", daemon=True)
        self._beat.start()

    def close(self, timeout: float = 10.0, kill: bool = False) -> None:
        """End the child: close its stdin (the agent ends on EOF), kill it if it lingers."""
        self._beat_stop.set()
        proc = self.process
        if proc is None:
            return
        if kill:
            proc.kill()
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None and not self._gone

    # --- requests

    def request(self, op: str, timeout: float | None = None, **args: Any) -> Any:
        """Send one request and return its result; AgentRequestError if the agent refused."""
        wait = self.timeout if timeout is None else timeout
        with self._lock:
            self._next_id += 1
            rid = self._next_id
            self._write((json.dumps({"id": rid, "op": op, **args}) + "\n").encode("utf-8"))
            answer = self._wait(lambda m: m.get("id") == rid, "the answer to %r" % op, wait)
        if answer.get("ok"):
            return answer.get("result")
        raise AgentRequestError("%s: %s" % (self.describe, answer.get("error")),
                                str(answer.get("type")))

    def _write(self, data: bytes) -> None:
        stdin = self.process.stdin if self.process is not None else None
        try:
            if stdin is None:
                raise ValueError("the agent was never started")
            stdin.write(data)
            stdin.flush()
        except (OSError, ValueError) as exc:
            raise AgentError("%s: the connection is closed (%s)%s"
                             % (self.describe, exc, self._why())) from exc

    def _wait(self, wanted: Any, what: str, timeout: float) -> dict[str, Any]:
        # a request may wait on the module's end of a connection (a removal): stretched
        # by the link (harness/link_budget.py), over before the test's ceiling (deadline.py)
        timeout = bounded(link_budget.current().stretch(timeout, round_trips=2))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if self._gone or left <= 0:
                break
            try:
                message = self._inbox.get(timeout=left)
            except queue.Empty:
                break
            if message is None:
                self._gone = True
                break
            if wanted(message):
                return message
            # anything else is a stale answer to a request that timed out: drop it
        if self._gone:
            raise AgentError("%s: the connection closed while waiting for %s%s"
                             % (self.describe, what, self._why()))
        raise AgentError("%s: waited %.0f s for %s in vain; is the link down? (the wait is "
                         "--ftp-control-timeout)%s" % (self.describe, timeout, what, self._why()))

    def _why(self) -> str:
        if self._gone and self._stderr_reader is not None:
            self._stderr_reader.join(STDERR_WAIT)  # ssh's last words may still be in the pipe
        # one line: pytest shows only the first line of an exit message
        said = [line.strip() for line in self._stderr if line.strip()][-5:]
        return "; it said: %s" % " | ".join(said) if said else ""

    # --- reader threads

    def _read_stdout(self, stdout: IO[bytes]) -> None:
        for line in iter(stdout.readline, b""):
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if isinstance(message, dict):
                self._inbox.put(message)
            elif line.strip():  # e.g. a login script that prints: keep it for messages
                self._stderr.append(line.decode("utf-8", "replace").rstrip())
        self._inbox.put(None)

    def _read_stderr(self, stderr: IO[bytes]) -> None:
        for line in iter(stderr.readline, b""):
            self._stderr.append(line.decode("utf-8", "replace").rstrip())
