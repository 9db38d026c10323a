"""The quick catalogue, whole, against the servers modules meet in the field.

    real_servers  attached (--ftp-server=ftp://...) to a real vsftpd, ProFTPD and Pure-FTPd
                  (tests/real_ftp_servers.py) with the bundled ftplib: green, or a scenario
                  the server cannot pass is skipped with its reason
    dialects      on our server speaking every --ftp-dialect, with the bundled ftplib (green)
                  and with the Quectel stand-in (green but for the limits it is known to
                  have, each an expected failure with its one-line reason, and its active
                  mode, which fails as on a bench: it advertises 127.0.0.1 in PORT, not
                  the module's own address)

Each run is a pytest of its own and takes a quarter to half a minute: both markers are
left out of a plain `pytest` (tests/conftest.py) and run by .ci/run as steps of their own:

    pytest tests/test_catalogue_runs.py -m real_servers
    pytest tests/test_catalogue_runs.py -m dialects
"""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.bench.locks import LOCK_DIR_ENV
from harness.servers.attached import PASSWORD_ENV
from harness.servers.dialects import DIALECTS
from tests import real_ftp_servers as real
from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]
STANDIN = ROOT / "tests" / "quectel_ftplib_standin.py"
QUICK = ["scenarios", "-m", "not slow"]
# the failure line of the stand-in's active-mode scenarios (tests/test_standin_catalogue.py)
PORT_REASON = "the ftplib advertised 127.0.0.1 in PORT, but the module connects from " \
    "127.0.0.2: the server cannot reach it there"
# a run that passes fewer scenarios than this did not really run the catalogue
AT_LEAST_PASSED = 50

pytestmark = pytest.mark.timeout(280)


@dataclass
class Outcome:
    returncode: int
    output: str
    cases: dict[str, tuple[str, str]]  # test id -> (passed/failed/error/skipped/xfailed, why)
    summary: dict[str, object]

    def of(self, kind: str) -> dict[str, str]:
        return {name: why for name, (what, why) in self.cases.items() if what == kind}


def run_catalogue(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Outcome:
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.json"
    environ = {k: v for k, v in (env or os.environ).items()
               if not k.startswith(("PYTEST_XDIST", "PYTEST_ADDOPTS", "PYTEST_CURRENT"))}
    environ[LOCK_DIR_ENV] = str(tmp_path / "locks")
    proc = warm_python.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
         "-rsx", "--basetemp", str(tmp_path / "tmp"), "--junitxml", str(junit),
         "--summary-json", str(summary), *QUICK, *args],
        cwd=ROOT, env=environ, timeout=260)
    cases = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = "%s::%s" % (case.get("classname"), case.get("name"))
        found = [(child.tag, child) for child in case if child.tag in
                 ("failure", "error", "skipped")]
        if not found:
            cases[name] = ("passed", "")
            continue
        tag, child = found[0]
        kind = "xfailed" if tag == "skipped" and child.get("type") == "pytest.xfail" else tag
        cases[name] = (kind, child.get("message") or "")
    return Outcome(proc.returncode, proc.stdout + proc.stderr, cases,
                   json.loads(summary.read_text(encoding="utf-8")))


def _function(test_id: str) -> str:
    """'scenarios.test_x::test_y[param]' -> 'test_y'."""
    return test_id.rsplit("::", 1)[1].split("[")[0]


@pytest.mark.real_servers
@pytest.mark.parametrize("kind", real.KINDS)
def test_the_quick_catalogue_attached_to_a_real_server(kind: str, tmp_path: Path) -> None:
    with real.running(kind) as server:
        outcome = run_catalogue(tmp_path, "--ftplib=bundled", "--ftp-server=" + server.url(),
                                env={**os.environ, PASSWORD_ENV: server.password})
    failed = {**outcome.of("failure"), **outcome.of("error")}
    assert outcome.returncode == 0 and not failed, "%s: %s\n%s" % (
        kind, sorted(failed), outcome.output[-4000:])
    assert len(outcome.of("passed")) >= AT_LEAST_PASSED, outcome.output[-2000:]
    for name, why in outcome.of("skipped").items():
        assert why.strip(), "%s was skipped without a reason" % name
    servers = outcome.summary["ftp_servers"]
    assert isinstance(servers, list) and servers[0]["greeting"].startswith("220"), servers
    assert servers[0]["system"].startswith("215"), servers


@pytest.mark.dialects
@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("ftplib", ["bundled", "quectel-standin"])
def test_the_quick_catalogue_on_a_dialect(dialect: str, ftplib: str, tmp_path: Path) -> None:
    choice = "bundled" if ftplib == "bundled" else str(STANDIN)
    outcome = run_catalogue(tmp_path, "--ftplib=" + choice, "--ftp-dialect=" + dialect)
    failed = {**outcome.of("failure"), **outcome.of("error")}
    if ftplib != "bundled":
        # PORT 127.0.0.1 (QuecPython/ftplib@6d957e96 ftplib.py:410-416) names the server's
        # host, not the module's 127.0.0.2: active mode fails, with the one-line reason
        active = {name: why for name, why in failed.items()
                  if _function(name) == "test_pasv_and_port" and name.endswith("-active]")}
        assert active and all(PORT_REASON in why for why in active.values()), active
        failed = {name: why for name, why in failed.items() if name not in active}
    assert outcome.returncode == (0 if ftplib == "bundled" else 1) and not failed, \
        "%s with %s: %s\n%s" % (dialect, ftplib, sorted(failed), outcome.output[-4000:])
    assert len(outcome.of("passed")) >= AT_LEAST_PASSED, outcome.output[-2000:]
    # our server does everything the catalogue asks, but what the dialect's server refuses
    # (ProFTPD's APPE), and a module-side skip the virtual module may take when busy (the
    # fill step's time: harness/scenario/run.py)
    refused = {"test_upload_appended_with_appe"} if not DIALECTS[dialect].appends else set()
    for name, why in outcome.of("skipped").items():
        assert _function(name) in refused and "refuses APPE" in why \
            or "--device-timeout" in why, (name, why)
    expected = set()
    if ftplib != "bundled" and not DIALECTS[dialect].size_in_ascii:
        expected = {"test_size_through_the_ftplib_after_a_text_download"}
    xfailed = outcome.of("xfailed")
    assert {_function(name) for name in xfailed} == expected, xfailed
    assert all("sends SIZE without TYPE I" in why for why in xfailed.values()), xfailed
    servers = outcome.summary["ftp_servers"]
    assert isinstance(servers, list) and servers[0]["dialect"].startswith(dialect + ":")
