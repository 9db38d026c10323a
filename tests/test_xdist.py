"""Many modules at once: whole pytest runs over a pool of virtual modules, in subprocesses.

The `probe_*` functions below are not collected in a normal run (python_functions
is test_*); the runs here collect only them, with -o python_functions=probe_*.
They write what they saw to QPY_HIL_PROBE_OUT, for the tests to compare.
"""

from __future__ import annotations

import ast
import ftplib
import hashlib
import io
import json
import os
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.bench.locks import LOCK_DIR_ENV, ModuleLock
from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]
PROBE_OUT_ENV = "QPY_HIL_PROBE_OUT"
THIS_FILE = "tests/test_xdist.py"


# -- the probes: run only inside the runs below -----------------------------


def _probe_record(request: pytest.FixtureRequest, **fields: Any) -> None:
    folder = Path(os.environ[PROBE_OUT_ENV])
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    path = folder / ("%s-%s.json" % (worker, request.node.name))
    path.write_text(json.dumps({"worker": worker, **fields}))


def probe_worker_has_its_own_module_and_server(device, ftp_server, request) -> None:
    mark = "%s.mark" % os.environ.get("PYTEST_XDIST_WORKER", "main")
    with ftplib.FTP() as ftp:  # what the module sees of the server: its account, its home
        ftp.connect(ftp_server.host, ftp_server.port, timeout=10)
        ftp.login(ftp_server.user, ftp_server.password)
        # left in place: a shared home would show the other worker's mark
        ftp.storbinary("STOR %s" % mark, io.BytesIO(b"mine"))
        listing = sorted(ftp.nlst())
    _probe_record(request, device_port=device.port,
                  server="%s:%d" % (ftp_server.host, ftp_server.port),
                  home=str(ftp_server.root),
                  password_sha=hashlib.sha256(ftp_server.password.encode()).hexdigest(),
                  listing=listing, mark=mark)


@pytest.mark.requires(model="BG95")
def probe_needs_another_model(device) -> None:
    raise AssertionError("ran on a module that is not a BG95")


@pytest.mark.requires(usr_free=64 * 1024, model=["EC600U", "EG912U"])
def probe_needs_what_the_modules_have(device, request) -> None:
    _probe_record(request, device_port=device.port)


def probe_without_device(request) -> None:
    _probe_record(request)


@pytest.mark.parametrize("n", range(40))
def probe_without_device_in_order(request, n: int) -> None:
    _probe_record(request, n=n)


def probe_keeps_the_module_busy(device) -> None:
    # real work on the module, so a worker holds it for a while (no sleeping)
    device.push(os.urandom(128 * 1024), "/usr/hil/busy.bin")
    assert device.remove("/usr/hil/busy.bin")


# -- running pytest ------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    output: str
    junit: Path

    def cases(self) -> list[tuple[str, str, list[tuple[str, str]]]]:
        """(name, outcome, properties) per test case of junit.xml."""
        found = []
        for case in ET.parse(self.junit).iter("testcase"):
            outcome = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")),
                           "passed")
            props = [(p.get("name", ""), p.get("value", "")) for p in case.iter("property")]
            found.append((case.get("name", ""), outcome, props))
        return found

    def props(self, name: str) -> list[str]:
        return [value for _n, _o, props in self.cases() for key, value in props if key == name]


def run_pytest(tmp_path: Path, *args: str, timeout: float = 180) -> Run:
    """pytest on the probes in a subprocess; its reports and locks in tmp_path."""
    (tmp_path / "probes").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_XDIST", "PYTEST_ADDOPTS", "PYTEST_CURRENT"))}
    env.update({LOCK_DIR_ENV: str(tmp_path / "locks"), PROBE_OUT_ENV: str(tmp_path / "probes")})
    junit = tmp_path / "junit.xml"
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
           "-o", "python_functions=probe_*", "-rs", "--basetemp", str(tmp_path / "tmp"),
           "--junitxml", str(junit), "--html", str(tmp_path / "report.html"), THIS_FILE, *args]
    proc = warm_python.run(cmd, cwd=ROOT, env=env, timeout=timeout)
    return Run(proc.returncode, proc.stdout + proc.stderr, junit)


def probes(tmp_path: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((tmp_path / "probes").glob("*-%s.json"
                                                                               % name))]


def devices_file(tmp_path: Path, modules: dict[str, tuple[str, str]]) -> Path:
    """An INI devices file: name -> (port, extra lines)."""
    path = tmp_path / "benches.ini"
    path.write_text("".join("[%s]\nport = %s\n%s\n" % (name, port, extra)
                            for name, (port, extra) in modules.items()))
    return path


# -- the runs ------------------------------------------------------------------


AUTO_WORKERS = min(8, 2 * (os.cpu_count() or 1))  # -n auto with virtual modules: two per CPU


# -n 2 in the quick suite; -n auto (four cold workers on two CPUs, each with its module)
# with the long runs: tests/test_pool.py holds auto_worker_count to the same rule
@pytest.mark.parametrize("workers, count", [
    ("2", 2), pytest.param("auto", AUTO_WORKERS, marks=pytest.mark.end_to_end)])
def test_each_worker_gets_its_own_virtual_module_account_and_home(
        tmp_path: Path, workers: str, count: int) -> None:
    run = run_pytest(tmp_path, "-n", workers, "--dist", "each")
    assert run.returncode == 0, run.output
    workers = ["gw%d" % n for n in range(count)]
    assert "created: %d/%d workers" % (count, count) in run.output
    seen = probes(tmp_path, "probe_worker_has_its_own_module_and_server")
    assert sorted(r["worker"] for r in seen) == workers
    for key in ("device_port", "server", "home", "password_sha"):
        assert len({r[key] for r in seen}) == count, "workers share a %s: %s" % (key, seen)
    for record in seen:
        assert record["listing"] == [record["mark"]], "a worker sees another's files"
    # the report says which module ran each test, and each worker's module once in full
    cases = run.cases()
    device_tests = [c for c in cases if "without_device" not in c[0]]
    assert all(any(k == "module" for k, _v in props) for _n, _o, props in device_tests)
    assert not any(k == "module" for n, _o, props in cases if "without_device" in n
                   for k, _v in props)
    infos = [eval_dict(v) for v in run.props("module_info")]  # junit keeps str(dict)
    assert sorted(i["worker"] for i in infos) == workers
    assert {i["model"] for i in infos} == {"EC600U"} and all(i["usr_total"] for i in infos)
    assert all("*" in i["imei_masked"] for i in infos)
    assert all("emulated-%s (/dev/" % w in run.output for w in workers)
    # a test asking for another model is skipped, saying why, on every module
    skipped = [c for c in cases if c[0] == "probe_needs_another_model"]
    assert [o for _n, o, _p in skipped] == ["skipped"] * count
    assert "lacks what this test requires: model BG95 (this is EC600U)" in run.output
    assert len(probes(tmp_path, "probe_needs_what_the_modules_have")) == count


@pytest.mark.parametrize("given, first_run", [
    ((), 2), pytest.param(("--maxschedchunk", "5"), 5, marks=pytest.mark.end_to_end)])
def test_workers_are_sent_two_tests_at_a_time_unless_told_otherwise(
        tmp_path: Path, given: tuple[str, ...], first_run: int) -> None:
    # a worker sent a long run of neighbouring tests (the long fault scenarios sit
    # together) would hold up the others. xdist sends its first runs before any test
    # starts: one worker gets tests 0..k-1, the other the next k.
    run = run_pytest(tmp_path, "-n", "2", "-k", "without_device_in_order", *given)
    assert run.returncode == 0, run.output
    seen = probes(tmp_path, "probe_without_device_in_order*")
    worker_of = {r["n"]: r["worker"] for r in seen}
    assert len(worker_of) == 40
    assert {worker_of[n] for n in range(first_run)} == {worker_of[0]}
    assert worker_of[first_run] != worker_of[0]


def eval_dict(text: str) -> dict[str, Any]:
    return ast.literal_eval(text)


@pytest.mark.end_to_end  # unfit modules leave the pool: tests/test_pool.py, in the quick suite
def test_an_unfit_module_leaves_the_pool_and_the_run_goes_on(start_module,
                                                             tmp_path: Path) -> None:
    a = start_module(model="EC600U")
    b = start_module(model="EG912U", firmware="EG912UGLAAR01A03M08")
    bad = start_module(repl_refuse=True)
    path = devices_file(tmp_path, {"a": (a.port, "model = EC600U"), "b": (b.port, ""),
                                   "bad": (bad.port, "labels = lab-c")})
    run = run_pytest(tmp_path, "--devices-file", str(path), "-n", "auto", "--dist", "each")
    assert run.returncode == 0, run.output
    event = "bad (%s, model unknown) left the pool: %s answered 'REPL refuse'" % (bad.port,
                                                                                  bad.port)
    assert event in run.output  # the terminal summary
    assert "running 2 xdist workers, not 3: only 2 modules are fit" in run.output
    assert any(e.startswith(event) for e in run.props("pool_event"))  # the reports
    ran_on = {r["device_port"] for r in probes(tmp_path, "probe_needs_what_the_modules_have")}
    assert ran_on == {a.port, b.port}
    assert "a (%s, EC600U) ran " % a.port in run.output
    assert "b (%s, EG912U) ran " % b.port in run.output


@pytest.mark.end_to_end  # selection by label and firmware: tests/test_pool.py, quick suite
def test_labels_and_firmware_pick_modules_without_xdist(start_module, tmp_path: Path) -> None:
    a = start_module(model="EC600U")
    b = start_module(model="EG912U", firmware="EG912UGLAAR01A03M08")
    c = start_module(model="BG95")
    path = devices_file(tmp_path, {"a": (a.port, "labels = lab-a"),
                                   "b": (b.port, "labels = lab-b"),
                                   "c": (c.port, "model = BG95\nlabels = lab-c")})
    run = run_pytest(tmp_path, "-p", "no:xdist", "--devices-file", str(path),
                     "--device-label=lab-a,lab-b", "--device-firmware=^EG912U")
    assert run.returncode == 0, run.output
    assert "a (%s, model unknown) left the pool: firmware EC600UCNLBR03A01M08_OCPU_QPY does " \
           "not match --device-firmware=^EG912U" % a.port in run.output
    assert "c (%s, BG95) left the pool: not selected: --device-label=lab-a,lab-b" % c.port \
        in run.output
    assert {r["device_port"] for r in probes(tmp_path, "probe_needs_what_the_modules_have")} \
        == {b.port}


def test_no_module_left_ends_the_run_with_one_error(start_module, tmp_path: Path) -> None:
    refusing = start_module(repl_refuse=True)
    taken = start_module()
    path = devices_file(tmp_path, {"refusing": (refusing.port, ""), "taken": (taken.port, "")})
    other_run = ModuleLock(taken.port, tmp_path / "locks")
    other_run.acquire()
    try:
        run = run_pytest(tmp_path, "--devices-file", str(path))  # plain: -n auto
    finally:
        other_run.release()
    assert run.returncode == 3, run.output
    assert run.output.count("qpy-ftp-hil: no module left in the pool:") >= 1
    assert "answered 'REPL refuse'" in run.output
    assert "%s is in use by another pytest worker or run on this PC" % taken.port in run.output
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output


@pytest.mark.end_to_end
def test_a_worker_that_finds_no_module_stops_the_run(start_module, tmp_path: Path) -> None:
    only = start_module()
    # --tx is taken as given (only -n is fitted to the pool): two workers, one module.
    # With --dist each, both start their tests once both have collected; the first to
    # claim the module holds it until its last test is done.
    run = run_pytest(tmp_path, "--device", only.port, "--tx", "2*popen", "--dist", "each")
    assert run.returncode not in (0, 1), run.output
    assert "found no free module that fits" in run.output
    assert "%s is in use by another pytest worker or run on this PC" % only.port in run.output
    assert "INTERNALERROR" not in run.output
