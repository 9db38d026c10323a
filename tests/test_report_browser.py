"""The HTML report in a real browser: it opens offline without errors, and QA can use it.

Debian's headless chromium is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4), so no
driver, websocket library or network port is needed. The report is the one
tests/test_report.py generates (a subprocess run with one failing scenario).
A screenshot lands in reports/report-browser.png.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.redact import scan_for_secrets
from tests.support import session_folder
from tests.test_report import ROOT, ReportRun, run_reporting_pytest


def _find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


CHROMIUM = _find_chromium()
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: "
                       "apt-get install chromium); CI installs it to check the HTML report"),
    pytest.mark.skipif(os.name != "posix", reason="the DevTools pipe needs POSIX file "
                       "descriptors 3 and 4"),
]

CALL_TIMEOUT = 20.0  # seconds for one DevTools command
RENDER_TIMEOUT = 20.0  # seconds for the report's script to build its tables
SCREENSHOT = ROOT / "reports" / "report-browser.png"
WIDTH = 1400

# puts our pipe ends on fds 3 and 4, where chromium's --remote-debugging-pipe expects them
_LAUNCHER = ("import os, sys\n"
             "cmd_in, out = int(sys.argv[1]), int(sys.argv[2])\n"
             "os.dup2(cmd_in, 3)\nos.dup2(out, 4)\nos.close(cmd_in)\nos.close(out)\n"
             "os.execv(sys.argv[3], sys.argv[3:])\n")


class DevToolsError(AssertionError):
    pass


class Chromium:
    """Headless chromium, one page, commands and events over the DevTools pipe."""

    def __init__(self, binary: str, profile: Path, log: Path) -> None:
        import fcntl  # POSIX only, like the pipe itself

        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # the child's copies must sit above 4, so that moving them to 3 and 4 cannot clash
        child_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-extensions",
                 "--hide-scrollbars", f"--user-data-dir={profile}", "--remote-debugging-pipe",
                 f"--window-size={WIDTH},1000", "about:blank"]
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(child_r), str(child_w), binary, *flags],
            pass_fds=(child_r, child_w), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=self._log)
        os.close(child_r)
        os.close(child_w)
        self._out = os.fdopen(to_chrome_w, "wb", buffering=0)
        self._inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(from_chrome_r,), daemon=True)
        self._reader.start()
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self.session = ""

    def _read(self, fd: int) -> None:
        buffer = b""
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for message in messages:
                    self._inbox.put(json.loads(message))
        self._inbox.put(None)  # chromium closed its end

    def call(self, method: str, params: dict[str, Any] | None = None, *,
             browser_level: bool = False, timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not browser_level:
            message["sessionId"] = self.session
        self._out.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline, "the reply to %s" % method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise DevToolsError("%s failed: %s" % (method, reply["error"]))
                return reply.get("result", {})
            self.events.append(reply)

    def _receive(self, deadline: float, what: str) -> dict[str, Any]:
        try:
            message = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise DevToolsError("chromium sent no %s in time" % what) from None
        if message is None:
            raise DevToolsError("chromium closed the DevTools pipe while we waited for %s; "
                                "see %s" % (what, self._log.name))
        return message

    def wait_event(self, method: str, timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        seen = [e for e in self.events if e.get("method") == method]
        if seen:
            return seen[0]
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline, "%s event" % method)
            self.events.append(message)
            if message.get("method") == method:
                return message

    def open_page(self, url: str) -> None:
        targets = self.call("Target.getTargets", browser_level=True)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", {"targetId": page["targetId"],
                                                           "flatten": True},
                                 browser_level=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": WIDTH, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        self.events.clear()  # what about:blank did is not the report's business
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        """Evaluate in the page; its value (JSON). A page exception fails the test."""
        found = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                               "awaitPromise": True})
        if "exceptionDetails" in found:
            raise DevToolsError("page script failed: %s\n%s" % (
                expression, json.dumps(found["exceptionDetails"])[:2000]))
        return found["result"].get("value")

    def wait_for(self, expression: str, timeout: float = RENDER_TIMEOUT) -> Any:
        """Poll a page expression until it is truthy; a rendering deadline, not a sleep."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise DevToolsError("page never satisfied %s within %.0f s" % (expression,
                                                                               timeout))
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (what a person does)."""
        box = self.js("(() => { const e = document.querySelector(%s);"
                      " if (!e) return null; e.scrollIntoView({block: 'center'});"
                      " const r = e.getBoundingClientRect();"
                      " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
                      % json.dumps(selector))
        assert box is not None, "nothing to click at %s" % selector
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"],
                                                   "button": "left", "clickCount": 1})

    def errors(self) -> list[str]:
        """Script exceptions and console / log errors the page produced."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"])[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(json.dumps(params.get("args"))[:500])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(params["entry"].get("text", "")[:500])
        return found

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def screenshot(self, path: Path, max_height: int = 4000) -> bytes:
        height = min(max_height, int(self.js("document.documentElement.scrollHeight")))
        shot = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}})
        data = base64.b64decode(shot["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return data

    def close(self, timeout: float = 10.0) -> None:
        try:
            self.call("Browser.close", browser_level=True, timeout=timeout)
        except DevToolsError:
            pass  # it may close the pipe before it answers
        finally:
            self._out.close()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
            self._reader.join(timeout)
            self._log.close()


@pytest.fixture(scope="module")
def report_run(tmp_path_factory: pytest.TempPathFactory) -> ReportRun:
    with session_folder(tmp_path_factory, "hil-report-run") as base:  # test_report.py's too
        run = run_reporting_pytest(base)
    assert run.returncode == 1, "expected exactly the demo failure:\n" + run.output[-4000:]
    return run


@pytest.fixture(scope="module")
def page(report_run: ReportRun,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    folder = tmp_path_factory.mktemp("chromium")
    assert CHROMIUM is not None
    browser = Chromium(CHROMIUM, folder / "profile", folder / "chromium.log")
    try:
        browser.open_page(report_run.html_path.as_uri())
        browser.wait_for("document.querySelectorAll('#results-table tbody.results-table-row')"
                         ".length > 0")
        yield browser
    finally:
        browser.close()


def _test_count(run: ReportRun) -> int:
    return sum(len(tests) for tests in run.data()["tests"].values())


def test_report_opens_offline_without_errors(page: Chromium, report_run: ReportRun) -> None:
    assert page.errors() == []
    foreign = [u for u in page.requested_urls() if not u.startswith(("file:", "data:"))]
    assert foreign == [], "the report must work offline; it fetched %s" % foreign
    rows = page.js("document.querySelectorAll('#results-table tbody.results-table-row').length")
    assert rows == _test_count(report_run)


def test_environment_and_results_tables_render(page: Chromium, report_run: ReportRun) -> None:
    env = page.js("Object.fromEntries([...document.querySelectorAll('#environment tr')]"
                  ".map(tr => [tr.cells[0].textContent, tr.cells[1].textContent]))")
    module = report_run.summary()["modules"][0]
    assert env["Module model"] == module["model"]
    assert env["Firmware"] == module["firmware"]
    assert env["IMEI"] == module["imei"] and "*" in env["IMEI"]
    for key in ("MicroPython", "/usr free", "Serial port", "FTP library", "FTP server",
                "Harness version", "Git revision", "Date"):
        assert env.get(key), key
    headers = page.js("[...document.querySelectorAll('#results-table-head th')]"
                      ".map(th => th.textContent)")
    assert headers[:6] == ["Result", "Test", "Bytes", "KiB/s", "Checksums",
                           "Server reply / what went wrong"]
    uploads = page.js("[...document.querySelectorAll('tbody.results-table-row')]"
                      ".filter(b => b.id.includes('test_upload_binary'))"
                      ".map(b => b.querySelector('.col-hil-bytes').textContent)")
    assert uploads and set(uploads) == {"1,024"}
    width = page.js("document.querySelector('svg.hil-chart').getBoundingClientRect().width")
    assert width > 300
    bars = page.js("[...document.querySelectorAll('svg.hil-chart rect.hil-bar')]"
                   ".map(r => r.getBoundingClientRect().height)")
    assert bars and max(bars) > 50  # drawn, and at a readable size


def _failed_body(report_run: ReportRun) -> str:
    failed = report_run.scenarios("corrupted")[0]
    return "tbody.results-table-row.failed[id=%s]" % json.dumps(failed["nodeid"])


def test_failure_is_open_with_its_line_first(page: Chromium, report_run: ReportRun) -> None:
    failed = report_run.scenarios("corrupted")[0]
    body = _failed_body(report_run)
    assert page.js("!document.querySelector(%s).querySelector('.extras-row')"
                   ".classList.contains('hidden')" % json.dumps(body))
    first = page.js("document.querySelector(%s).querySelector('td.extra .hil-headline')"
                    ".textContent" % json.dumps(body))
    assert first == "\u2717 " + failed["failure"]
    visible = page.js("document.querySelector(%s).querySelector('td.extra .hil-headline')"
                      ".offsetHeight" % json.dumps(body))
    assert visible > 0


def test_collapsed_logs_expand_when_clicked(page: Chromium, report_run: ReportRun) -> None:
    body = _failed_body(report_run)
    details = "%s details.hil-serial" % body
    # [open?, pixels the log adds below its summary line]
    state = ("(() => { const d = document.querySelector(%s); const h = e =>"
             " e.getBoundingClientRect().height;"
             " return [d.open, Math.round(h(d) - h(d.querySelector('summary')))]; })()"
             % json.dumps(details))
    assert page.js(state) == [False, 0]  # collapsed by default
    page.click(details + " > summary")
    is_open, height = page.wait_for(
        "(() => { const s = %s; return s[0] ? s : null; })()" % state)
    assert is_open and height > 50  # the log is on screen now
    # pytest-html's own toggle: a passed row opens on a click on its result cell
    passed = "tbody.results-table-row.passed"
    assert page.js("document.querySelector(%s).querySelector('.extras-row')"
                   ".classList.contains('hidden')" % json.dumps(passed))
    page.click(passed + " td.col-result")
    page.wait_for("!document.querySelector(%s).querySelector('.extras-row')"
                  ".classList.contains('hidden')" % json.dumps(passed))
    assert page.js("document.querySelector(%s).querySelector('details.hil-serial').open"
                   % json.dumps(passed)) is False
    page.click(passed + " td.col-result")  # and closes on a second one
    page.wait_for("document.querySelector(%s).querySelector('.extras-row')"
                  ".classList.contains('hidden')" % json.dumps(passed))
    assert page.errors() == []


def test_screenshot(page: Chromium, report_run: ReportRun) -> None:
    data = page.screenshot(SCREENSHOT)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert scan_for_secrets([SCREENSHOT], report_run.passwords) == []
