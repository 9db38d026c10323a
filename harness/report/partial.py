"""The reports of a run that may not reach its end, rewritten as each test finishes.

pytest-html and junitxml write only at session end; a run that is killed
(pytest-timeout's thread method calls os._exit on Windows, a SIGKILL, a
power cut of the bench PC) would leave nothing. So after every test the
report writer rewrites summary.json, junit.xml and report.html in place with
what has finished so far, each atomically (a temporary file, then os.replace:
a kill mid-write leaves the previous copy, never half a file). At session end
the real writers replace them with the full reports.

A finished test's line in each document never changes, so it is made once (a
rewrite joins them). A rewrite still costs in proportion to the tests so far, so
they are rewritten at most once a second (Throttle): a test that finishes sooner
is written by a timer at the second's end. A kill loses at most the last second.
"""

from __future__ import annotations

import functools
import html
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

PARTIAL_NOTE = ("this run has not finished (or was killed): the tests below are the ones "
                "that finished; the full report replaces this page at the end of the run")


@dataclass(frozen=True)
class FinishedTest:
    nodeid: str
    outcome: str  # passed / failed / error / skipped / xfailed / xpassed
    duration_s: float
    message: str = ""  # the one-line headline of a failure, or the skip reason


REWRITE_INTERVAL_S = 1.0


class Throttle:
    """Calls `write` at most once per `interval` seconds, and never later than that:
    a request that comes sooner is done by a timer when the interval is up. Whoever
    changes what `write` reads holds `lock` meanwhile (the timer's write runs in its
    own thread)."""

    def __init__(self, write: Callable[[], None], interval: float = REWRITE_INTERVAL_S,
                 ) -> None:
        self._write = write
        self.interval = interval
        self.lock = threading.RLock()
        self._last = float("-inf")
        self._timer: threading.Timer | None = None
        self._closed = False

    def request(self) -> None:
        with self.lock:
            if self._closed:
                return
            wait = self._last + self.interval - time.monotonic()
            if wait <= 0:
                self._write_now()
            elif self._timer is None:
                self._timer = threading.Timer(wait, self._on_timer)
                self._timer.daemon = True
                self._timer.start()

    def close(self) -> None:
        """No more writes: the full reports follow."""
        with self.lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._closed = True

    def _on_timer(self) -> None:
        with self.lock:
            if self._timer is not None:
                self._write_now()

    def _write_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._last = time.monotonic()
        self._write()


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".%s.%d.tmp" % (path.name, os.getpid()))
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def junit_xml(tests: Sequence[FinishedTest], suite: str = "pytest") -> str:
    """A minimal JUnit document CI tools read: one testcase per finished test."""
    failures = sum(t.outcome in ("failed", "xpassed") for t in tests)
    errors = sum(t.outcome == "error" for t in tests)
    skipped = sum(t.outcome in ("skipped", "xfailed") for t in tests)
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<testsuites>",
             '<testsuite name=%s tests="%d" failures="%d" errors="%d" skipped="%d" time="%.3f">'
             % (quoteattr(suite), len(tests), failures, errors, skipped,
                sum(t.duration_s for t in tests)),
             "<properties><property name=\"partial\" value=\"true\"/></properties>"]
    lines += [_junit_case(test) for test in tests]
    lines += ["</testsuite>", "</testsuites>", ""]
    return "\n".join(lines)


@functools.lru_cache(maxsize=16384)
def _junit_case(test: FinishedTest) -> str:
    path, _, name = test.nodeid.rpartition("::")
    classname = path.replace("/", ".").removesuffix(".py").replace("::", ".")
    head = "<testcase classname=%s name=%s time=\"%.3f\"" % (
        quoteattr(classname), quoteattr(name), test.duration_s)
    tag = {"failed": "failure", "xpassed": "failure", "error": "error",
           "skipped": "skipped", "xfailed": "skipped"}.get(test.outcome)
    if tag is None:
        return head + "/>"
    return "%s><%s message=%s/></testcase>" % (head, tag, quoteattr(test.message))


@functools.lru_cache(maxsize=16384)
def _html_row(test: FinishedTest) -> str:
    return "<tr class=%s><td>%s</td><td>%s</td><td>%.2f s</td><td>%s</td></tr>" % (
        quoteattr(test.outcome), html.escape(test.outcome), html.escape(test.nodeid),
        test.duration_s, html.escape(test.message))


def report_html(title: str, tests: Sequence[FinishedTest]) -> str:
    """A plain page with one row per finished test, for a run that may be cut short."""
    rows = "\n".join(_html_row(t) for t in tests)
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>"
            "<body><h1>%s</h1><p class=\"partial\">%s</p><p>%d tests finished</p>"
            "<table><tr><th>result</th><th>test</th><th>time</th><th>what went wrong</th></tr>"
            "\n%s\n</table></body></html>\n"
            % (html.escape(title), html.escape(title), html.escape(PARTIAL_NOTE), len(tests),
               rows))
