"""A pytest plugin bench_run.py loads (-p benchmarks.bench_timing): where the time went.

Writes one JSON file per process to $QPY_BENCH_TIMING (".<worker>" appended
under xdist): the session start of its module (the pool_module fixture:
claim, start-up check, script sync), each test's call time, and the time spent
staging payloads on the module (FtpRun's staging methods, whichever this
checkout has), and when its first test began and its last one ended. A
benchmark's own instrument: the harness does not use it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Generator
from typing import Any

import pytest

from harness.scenario.run import FtpRun

# the FtpRun methods that put a payload on the module, old and new names
STAGING_METHODS = ("on_module", "source_of")
TIMES: dict[str, Any] = {"session_start": None, "staging": 0.0, "calls": {},
                         "tests_began": None, "tests_ended": None}  # time.time()
_DEPTH = [0]  # one staging method may call another: count the outer one only


def _timed(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        _DEPTH[0] += 1
        try:
            return method(*args, **kwargs)
        finally:
            _DEPTH[0] -= 1
            if not _DEPTH[0]:
                TIMES["staging"] += time.perf_counter() - started
    return wrapper


def pytest_configure(config: pytest.Config) -> None:
    for name in STAGING_METHODS:
        method = FtpRun.__dict__.get(name)
        if method is not None:
            setattr(FtpRun, name, _timed(method))


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Generator[None, None, None]:
    started = time.perf_counter()
    yield
    if fixturedef.argname == "pool_module" and TIMES["session_start"] is None:
        TIMES["session_start"] = time.perf_counter() - started


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if TIMES["tests_began"] is None:
        TIMES["tests_began"] = time.time()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    TIMES["tests_ended"] = time.time()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    started = time.perf_counter()
    yield
    TIMES["calls"][item.nodeid] = time.perf_counter() - started


def pytest_unconfigure(config: pytest.Config) -> None:
    target = os.environ.get("QPY_BENCH_TIMING")
    if not target:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open("%s.%s" % (target, worker), "w") as out:
        json.dump(TIMES, out)
