"""The reports QA signs firmware off from: helpers, then a real run's HTML, JUnit and JSON.

The run is a pytest subprocess on a few scenarios plus one that must fail (the
server damages what it stores), with its reports in a temporary folder; a tiny
plugin records that run's FTP password outside the reports, so the reports can
be searched for it.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import sys
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from harness import report as hr
from harness.digest import Digest
from harness.emulator import ModuleConfig, network_fact
from harness.redact import scan_for_secrets
from harness.report.records import HEADLINE_MAX, SUMMARY_SCHEMA
from harness.report.units import size_label
from harness.scenario import Transfer
from harness.scenario.checksums import Checksums
from harness.wire.results import StepResult
from tests import warm_python
from tests.support import pytest_html_data, session_folder

ROOT = Path(__file__).resolve().parents[1]
RUN_TIMEOUT = 120  # seconds for one reporting run of a handful of scenarios
SELECTION = "1024B or 550 or corrupted or app_note"
SHA_A = "a" * 64
SHA_B = "b" * 64

# -- the helpers ---------------------------------------------------------


def test_mask_hides_every_secret_and_url_passwords() -> None:
    assert hr.mask("PASS s3cret and s3cret", ["s3cret"]) == "PASS **** and ****"
    assert hr.mask(None, ["x"]) == ""
    assert hr.mask_url_credentials("--ftp-server=ssh://ops:hunter2@ftp.example.net") == \
        "--ftp-server=ssh://ops:****@ftp.example.net"
    assert hr.mask_url_credentials("ftp://hil@127.0.0.1:21/") == "ftp://hil@127.0.0.1:21/"


@pytest.mark.parametrize("args, shown", [
    (["--ftp-ssh-key=~/.ssh/hil_ed25519"], "--ftp-ssh-key=****"),
    (["--ftp-ssh-key", "C:\\Users\\qa\\.ssh\\hil"], "--ftp-ssh-key ****"),
    (["--ftp-ssh-option=IdentityFile=/keys/hil"], "--ftp-ssh-option=IdentityFile=****"),
    (["--ftp-ssh-option", "UserKnownHostsFile=/bench/known_hosts"],
     "--ftp-ssh-option UserKnownHostsFile=****"),
    (["--ftp-ssh-option=userknownhostsfile /bench/kh"],
     "'--ftp-ssh-option=userknownhostsfile '****"),
    (["--ftp-ssh-option=StrictHostKeyChecking=yes"], "--ftp-ssh-option=StrictHostKeyChecking=yes"),
    (["--ftp-password=hunter2", "--db-passwd", "x"], "--ftp-password=**** --db-passwd ****"),
    (["--ftp-server=ssh://ops:hunter2@h"], "--ftp-server=ssh://ops:****@h"),
    (["--device=COM5", "-k", "upload"], "--device=COM5 -k upload"),
])
def test_command_line_hides_where_credentials_live(args: list[str], shown: str) -> None:
    assert hr.mask_command_line(["pytest", *args]) == "pytest " + shown


def test_report_and_summary_never_show_a_key_path(tmp_path: Path) -> None:
    """A real run with key and known_hosts paths on its command line: neither lands in
    report.html or summary.json (the recorded command line shows **** instead)."""
    keys = tmp_path / "ssh"  # the key must exist (the option is checked at start)
    keys.mkdir()
    (keys / "hil-key-7f3a9").write_text("not a real key\n")
    key, known = str(keys / "hil-key-7f3a9"), "/bench/kh-51c2e"
    reports = tmp_path / "reports"
    done = warm_python.run(
        [sys.executable, "-m", "pytest",
         "tests/test_report.py::test_mask_hides_every_secret_and_url_passwords",
         "-p", "no:xdist", "-p", "no:cacheprovider", "-q",
         "--ftp-ssh-key=" + key, "--ftp-ssh-option", "UserKnownHostsFile=" + known,
         "--html=%s" % (reports / "report.html"), "--summary-json=%s" % (reports / "s.json"),
         "--junitxml=%s" % (reports / "junit.xml")],
        cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = (reports / "s.json").read_text()
    assert "--ftp-ssh-key=****" in summary and "UserKnownHostsFile=****" in summary
    assert scan_for_secrets([reports], ["hil-key-7f3a9", "kh-51c2e"]) == []


@pytest.mark.parametrize("size, label", [(0, "0 B"), (1, "1 B"), (1024, "1 KiB"),
                                         (65536, "64 KiB"), (1048576, "1 MiB"),
                                         (1500, "1500 B")])
def test_size_label(size: int, label: str) -> None:
    assert size_label(size) == label


def test_headline_is_the_first_line_without_noise() -> None:
    message = "AssertionError: server sha256 differs from host: 3f2a... != 9c1b...\nassert False"
    assert hr.failure_headline(message) == "server sha256 differs from host: 3f2a... != 9c1b..."
    assert hr.failure_headline("assert 550 == 226", last_step="FAILED download") == \
        "assert 550 == 226 (module's last step: FAILED download)"
    assert hr.failure_headline("DeviceTimeout: no reply", phase="setup") == \
        "setup error: DeviceTimeout: no reply"
    assert len(hr.failure_headline("x" * 5000)) == HEADLINE_MAX
    assert hr.failure_headline("") == "failed without a message"


def test_headline_of_an_assert_whose_message_is_a_dump() -> None:
    # pytest's crash message for `assert "<- QUIT" in transcript, transcript`
    message = ("AssertionError: 12:44:32.536 #44 -- connected\n  12:44:32.537 #44 <- USER hil\n"
               "assert '<- QUIT' in '12:44:32.536 #44 -- connected'")
    assert hr.failure_headline(message) == (
        "assert '<- QUIT' in '12:44:32.536 #44 -- connected' (the message, 2 lines, is in the log)")


@pytest.mark.parametrize("phases, xfail, outcome", [
    ({"setup": "passed", "call": "passed", "teardown": "passed"}, False, "passed"),
    ({"setup": "passed", "call": "failed", "teardown": "passed"}, False, "failed"),
    ({"setup": "failed", "teardown": "passed"}, False, "error"),
    ({"setup": "passed", "call": "passed", "teardown": "failed"}, False, "error"),
    ({"setup": "skipped", "teardown": "passed"}, False, "skipped"),
    ({"setup": "passed", "call": "skipped", "teardown": "passed"}, True, "xfailed"),
    ({"setup": "passed", "call": "passed", "teardown": "passed"}, True, "xpassed"),
])
def test_scenario_outcome(phases: dict[str, str], xfail: bool, outcome: str) -> None:
    assert hr.scenario_outcome(phases, xfail) == outcome


def _upload(server_sha: str, ok: bool = True, reply: str = "226 Transfer complete.",
            server_size: int = 65535) -> Transfer:
    """A 64 KiB upload the module holds intact; the server holds server_sha/server_size."""
    result = StepResult(ok=ok, step="upload", data={
        "ok": ok, "step": "upload", "bytes": 65536, "ms": 500, "reply": reply,
        "code": int(reply[:3]), "error": "" if ok else "error_perm: " + reply})
    checks = Checksums(Digest(SHA_A, 65536), Digest(SHA_A, 65536),
                       Digest(server_sha, server_size), "upload")
    return Transfer(result, checks)


def test_transfer_record_has_sizes_speed_reply_and_checksums() -> None:
    record = hr.transfer_record(_upload(SHA_B))
    assert record["payload_bytes"] == 65536 and record["bytes"] == 65536
    assert record["elapsed_ms"] == 500 and record["throughput_kib_s"] == 128.0
    assert record["reply"] == "226 Transfer complete."
    assert record["compared"] is True
    assert record["checksums"]["match"] is False
    assert record["problems"] == [
        "server sha256 differs from host: bbbbbbbbbbbb... != aaaaaaaaaaaa... "
        "(65535 vs 65536 bytes)"]
    json.dumps(record)  # it has to travel between pytest-xdist processes


def test_records_mask_the_password_wherever_the_module_echoed_it() -> None:
    transfer = _upload(SHA_A, ok=False, reply="530 Login incorrect for pw=Zq9-secret")
    record = hr.transfer_record(transfer, secrets=["Zq9-secret"])
    assert "Zq9-secret" not in json.dumps(record)
    assert record["reply"] == "530 Login incorrect for pw=****"


def test_a_refused_transfer_is_not_an_integrity_failure() -> None:
    refused = hr.transfer_record(_upload(SHA_B, ok=False, reply="552 Quota exceeded."))
    assert refused["compared"] is False
    record = hr.scenario_record(name="t", nodeid="n::t", params={}, transfers=[refused],
                                worker="main")
    assert record["checksums_match"] is None
    assert 'data-match="n/a"' in hr.transfer_html(refused)
    assert "MISMATCH" not in hr.transfer_html(refused)


def test_checksums_html_marks_each_place() -> None:
    html_text = hr.transfer_html(hr.transfer_record(_upload(SHA_B)))
    assert 'data-match="false"' in html_text and "MISMATCH" in html_text
    module_row, server_row = re.findall(r'<tr class="hil-(ok|bad)">', html_text)
    assert (module_row, server_row) == ("ok", "bad")
    assert SHA_B in html_text and "65,535" in html_text
    good = hr.transfer_html(hr.transfer_record(_upload(SHA_A, server_size=65536)))
    assert 'data-match="true"' in good and "all three match" in good
    assert re.findall(r'<tr class="hil-(ok|bad)">', good) == ["ok", "ok"]
    # a server file of another size differs, whatever its hash says
    short = hr.transfer_html(hr.transfer_record(_upload(SHA_A, server_size=65535)))
    assert 'data-match="false"' in short


def test_table_cells_tell_a_meant_mismatch_from_a_real_one() -> None:
    transfer = hr.transfer_record(_upload(SHA_B))
    plain = hr.scenario_record(name="t", nodeid="n", params={}, transfers=[transfer],
                               worker="main")
    faulty = {**plain, "server_altered": True}
    assert "&#10007; mismatch" in hr.table_cells(plain, outcome="passed")[2]
    assert "as the fault meant" in hr.table_cells(faulty, outcome="passed")[2]
    assert "&#10007; mismatch" in hr.table_cells(faulty, outcome="failed")[2]
    cells = hr.table_cells(plain, headline="server sha256 differs", outcome="failed")
    assert cells[0] == '<td class="col-hil-bytes">65,536</td>'
    assert cells[1] == '<td class="col-hil-rate">128.0</td>'
    assert cells[3].startswith('<td class="col-hil-reply">226 Transfer complete.<div')
    assert "server sha256 differs" in cells[3]
    assert hr.table_cells(None, outcome="passed") == [
        '<td class="col-hil-bytes"></td>', '<td class="col-hil-rate"></td>',
        '<td class="col-hil-sums"></td>', '<td class="col-hil-reply"></td>']
    overview = hr.overview_html([{**faulty, "outcome": "passed"},
                                 {**plain, "outcome": "failed"}], {})
    assert "2 compared transfers: 0 match, 1 differ on purpose" in overview
    assert '<span class="hil-bad">1 differ unexpectedly</span>' in overview
    alone = hr.overview_html([{**plain, "outcome": "failed"}], {})
    assert "on purpose" not in alone and "1 differ unexpectedly" in alone


def _app_note_download() -> Transfer:
    """retrlines(cmd, fp.write) as the application note has it: every line end dropped."""
    text, joined = b"line\n" * 10, b"line" * 10
    result = StepResult(ok=True, step="download", data={
        "ok": True, "step": "download", "bytes": len(text), "ms": 40, "reply": "226 Done",
        "code": 226})
    return Transfer(result, Checksums(Digest(SHA_A, len(text)), Digest(SHA_B, len(joined)),
                                      Digest(SHA_A, len(text)), "download"))


def test_damage_a_scenario_asserts_is_counted_as_expected() -> None:
    """An all-green run with the application note's four damaged samples says so, in green."""
    intact = _app_note_download()
    intact.checksums = Checksums(*(Digest(SHA_A, 50),) * 3, "download")
    with pytest.raises(AssertionError, match="expected damage, but the file is intact"):
        intact.assert_damaged()
    assert not intact.damage_expected

    records = []
    for n in range(4):
        transfer = _app_note_download()
        assert "module sha256 differs" in transfer.assert_damaged()
        record = hr.scenario_record(name="app_note", nodeid="n%d" % n, params={},
                                    transfers=[hr.transfer_record(transfer)], worker="main")
        assert record["transfers"][0]["damage_expected"] is True
        assert "as the scenario expects" in hr.table_cells(record, outcome="passed")[2]
        assert "as the scenario expects" in hr.transfer_html(record["transfers"][0])
        records.append({**record, "outcome": "passed"})
    upload = hr.transfer_record(_upload(SHA_A, server_size=65536))
    records.append({**hr.scenario_record(name="up", nodeid="u", params={}, transfers=[upload],
                                         worker="main"), "outcome": "passed"})
    overview = hr.overview_html(records, {})
    assert "5 compared transfers: 1 match, 4 differ as expected" in overview
    assert '<span class="hil-ok">none differ unexpectedly</span>' in overview
    assert "4 differ unexpectedly" not in overview and "hil-bad" not in overview
    # the count is the scenarios' outcome, whatever the checksums say
    assert hr.outcome_counts(records) == {"passed": 5}


def test_one_outcome_count_for_every_report() -> None:
    records = [{"outcome": "passed"}, {"outcome": "failed"}, {"outcome": "passed"},
               {"outcome": "error"}]
    assert hr.outcome_counts(records) == {"error": 1, "failed": 1, "passed": 2}
    assert list(hr.outcome_counts(records)) == ["error", "failed", "passed"]
    assert "4: 1 error, 1 failed, 2 passed" in hr.overview_html(records, {})
    assert hr.report_title([], records).endswith("1 error, 1 failed, 2 passed")
    run = hr.RunFacts(started=datetime(2024, 1, 1, tzinfo=timezone.utc), command="pytest",
                      git="abc", ftplib_option="both", server_mode="local")
    document = hr.summary_document(run, records, [], [], datetime.now(timezone.utc))
    assert document["totals"] == hr.outcome_counts(records)


def test_details_are_closed_unless_asked_and_escape_their_body() -> None:
    closed = hr.details_html("serial log", "<b>1 < 2</b>", kind="hil-serial")
    assert closed.startswith('<details class="hil-details hil-serial">')
    assert "&lt;b&gt;1 &lt; 2&lt;/b&gt;" in closed
    assert "<details class=\"hil-details \" open>" in hr.details_html("x", "y", open_=True)


def _module(worker: str = "main", port: str = "COM5", firmware: str = "EC200UCNAAR02A05M08",
            **more: Any) -> dict[str, Any]:
    # the "module_info" user_property as fixtures/device.py sends it
    prop = {"worker": worker, "name": "bench-1", "port": port, "model": "EC200U",
            "firmware": firmware, "imei_masked": "8661*******8901", "micropython": "1.13.0",
            "usr_free": 300_000, "usr_total": 1_048_576, "emulated": False, **more}
    return hr.module_from_property(prop)


RUN = hr.RunFacts(started=datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
                  command="pytest --device=COM5", git="abc123", ftplib_option="auto",
                  server_mode="local")


def test_module_facts_never_carry_a_full_imei() -> None:
    facts = _module(imei="866123045678901")  # whoever sends one in full
    assert facts["imei"] == "8661*******8901"
    assert "866123045678901" not in json.dumps(facts)
    assert hr.module_fields(facts) == {"module": "EC200U", "firmware": "EC200UCNAAR02A05M08",
                                       "module_port": "COM5", "module_name": "bench-1"}


def test_environment_rows_for_one_module() -> None:
    server = hr.server_facts(worker="main", mode="local",
                             url="ftp://hil@10.0.0.2:2121/")
    rows = hr.environment_rows(RUN, [_module()], [server], ["bundled", "user (my.py)"])
    assert rows["Module model"] == "EC200U"
    assert rows["Firmware"] == "EC200UCNAAR02A05M08"
    assert rows["IMEI"] == "8661*******8901"
    assert rows["Serial port"] == "COM5 (bench-1)"
    assert rows["/usr free"].startswith("293.0 KiB of 1.0 MiB")
    assert rows["FTP library"] == "bundled, user (my.py)"
    assert rows["FTP server"] == "local: ftp://hil@10.0.0.2:2121/"
    assert rows["Date"] == "2025-01-02 03:04:05 +0000"
    assert list(rows)[:2] == ["Module model", "Firmware"]  # what QA looks for first
    assert "Network" not in rows  # a bench module's network: only where it was measured


def test_the_environment_says_where_the_module_is_on_the_network() -> None:
    nat = network_fact(ModuleConfig(nat=True, link="lte-m1"))
    rows = hr.environment_rows(RUN, [{**_module(), "network": nat}], [])
    assert "behind carrier NAT: the server sees 127.0.0.3" in rows["Network"]
    assert "link lte-m1 (LTE Cat-M1): round trip 100 ms" in rows["Network"]


def test_environment_rows_name_the_dialect_or_the_greeting_and_syst() -> None:
    ours = hr.server_facts(worker="main", mode="local", url="ftp://hil@127.0.0.1:2121/",
                           identity={"dialect": "iis: Microsoft IIS FTP 7+ (Windows Server)"})
    rows = hr.environment_rows(RUN, [_module()], [ours])
    assert rows["FTP dialect"] == "iis: Microsoft IIS FTP 7+ (Windows Server)"
    assert "FTP server greeting" not in rows
    attached = hr.server_facts(worker="main", mode="ftp", url="ftp://qa:pw@h:21/hil/",
                               identity={"greeting": "220-Welcome\n220 Pure-FTPd",
                                         "system": "215 UNIX Type: L8"})
    rows = hr.environment_rows(RUN, [_module()], [attached])
    assert rows["FTP server"] == "ftp: ftp://qa:****@h:21/hil/"  # never the password
    assert rows["FTP server greeting"] == "220-Welcome / 220 Pure-FTPd"
    assert rows["FTP server SYST"] == "215 UNIX Type: L8"
    assert "FTP dialect" not in rows


def test_environment_rows_list_every_module_of_an_xdist_run() -> None:
    same = hr.environment_rows(RUN, [_module("gw1", "COM6"), _module("gw0", "COM5")], [])
    assert same["Firmware"] == "EC200UCNAAR02A05M08"  # shared: said once
    assert same["Modules"].startswith("2")
    assert same["Module on gw0"]["Serial port"] == "COM5 (bench-1)"
    assert same["Module on gw1"]["Serial port"] == "COM6 (bench-1)"
    assert "Firmware" not in same["Module on gw0"]
    assert same["FTP library"] == "--ftplib=auto" and same["FTP server"] == "local (not started)"
    mixed = hr.environment_rows(RUN, [_module("gw0"), _module("gw1", firmware="NEWER")], [])
    assert "Firmware" not in mixed
    assert mixed["Module on gw1"]["Firmware"] == "NEWER"


def _chart_records() -> list[dict[str, Any]]:
    def rec(step: str, size: int, rate: float, outcome: str = "passed") -> dict[str, Any]:
        t = {"step": step, "ok": True, "payload_bytes": size, "bytes": size,
             "throughput_kib_s": rate}
        return {"outcome": outcome, "module": "EC200U", "firmware": "A", "worker": "gw0",
                "transfers": [t]}

    return [rec("upload", 1024, 10.0), rec("download", 1024, 20.0),
            rec("upload", 65536, 100.0), rec("upload", 65536, 300.0, "failed"),
            {"outcome": "passed", "transfers": [{"step": "download", "ok": False,
                                                  "payload_bytes": 5, "bytes": 5,
                                                  "throughput_kib_s": 9.0}]}]


def test_chart_is_valid_svg_with_one_bar_per_size_and_direction() -> None:
    svg = hr.throughput_chart_svg(hr.throughput_points(_chart_records()))
    root = ET.fromstring(svg)  # well-formed, so browsers render it inline
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in root.iter(ns + "rect") if r.get("class") == "hil-bar"]
    assert sorted((b.get("data-series"), b.get("data-size")) for b in bars) == [
        ("download", "1024"), ("upload", "1024"), ("upload", "65536")]
    big = next(b for b in bars if b.get("data-size") == "65536")
    assert big.get("stroke") == "#b00020"  # one of its runs failed
    assert "200.0 KiB/s (2 runs)" in big.find(ns + "title").text
    heights = {(b.get("data-series"), b.get("data-size")): float(b.get("height")) for b in bars}
    assert heights[("upload", "65536")] == pytest.approx(20 * heights[("upload", "1024")])
    texts = [t.text for t in root.iter(ns + "text")]
    assert "64 KiB" in texts and "1 KiB" in texts and "5 B" not in texts  # refused: no bar


def test_chart_leaves_out_scenarios_that_altered_the_server() -> None:
    records = _chart_records()
    records[2] = {**records[2], "server_altered": True}  # e.g. a throttled link
    sizes = {(p.series, p.size) for p in hr.throughput_points(records)}
    assert ("upload", 65536) in sizes  # the failed run is still there
    assert [p.kib_s for p in hr.throughput_points(records) if p.size == 65536] == [300.0]


def test_chart_compares_builds_not_workers() -> None:
    records = _chart_records()
    assert {p.series for p in hr.throughput_points(records)} == {"upload", "download"}
    records[0] = {**records[0], "firmware": "B", "worker": "gw1"}
    assert "EC200U B upload" in {p.series for p in hr.throughput_points(records)}


def test_title_names_the_firmware_and_the_outcome() -> None:
    records = [{"outcome": "passed"}, {"outcome": "failed"}, {"outcome": "passed"}]
    assert hr.report_title([_module()], records) == \
        "qpy-ftp-hil \u00b7 EC200U EC200UCNAAR02A05M08 \u00b7 1 failed, 2 passed"
    assert hr.report_title([], []) == "qpy-ftp-hil \u00b7 no module"


def test_no_chart_without_figures() -> None:
    assert hr.throughput_chart_svg([]) == ""


@pytest.mark.parametrize("prefix", [b"", b"x", b"xy"])
def test_secret_scan_finds_plain_and_base64_copies(tmp_path: Path, prefix: bytes) -> None:
    secret = "Zq9_Vx-Rt4mW8pLs2Nc0dA"
    (tmp_path / "clean.txt").write_text("PASS ****\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "plain.log").write_text("PASS %s\n" % secret)
    encoded = base64.b64encode(prefix + b"PASS " + secret.encode() + b"\n").decode()
    (tmp_path / "report.html").write_text('<a href="data:text/plain;base64,%s">' % encoded)
    hits = scan_for_secrets([tmp_path], [secret])
    assert sorted((h.path.name, h.form) for h in hits) == [("plain.log", "plain"),
                                                          ("report.html", "base64")]
    assert scan_for_secrets([tmp_path / "clean.txt"], [secret]) == []


def test_git_revision_outside_a_checkout(tmp_path: Path) -> None:
    assert hr.git_revision(tmp_path).startswith("unknown")


def test_pytest_html_data_needs_a_pytest_html_report() -> None:
    blob = json.dumps({"environment": {"a": "<b>"}})
    page = '<div id="data-container" data-jsonblob="%s"></div>' % blob.replace('"', "&#34;")
    assert pytest_html_data(page) == {"environment": {"a": "<b>"}}
    with pytest.raises(ValueError, match="not a pytest-html 4 report"):
        pytest_html_data("<html></html>")


# -- a real run, in a subprocess -----------------------------------------

FAILING_SCENARIO = '''
"""A scenario that must fail: the server flips bits in what it stores."""


def test_upload_corrupted_by_server(ftp_run, ftp_control, make_payload):
    print("careless debug print: password", ftp_control.password)  # must not reach a report
    ftp_control.inject_fault("corrupt", mode="flip", on="stored")
    ftp_run.upload(make_payload(4096), name="corrupted.bin").assert_intact()
'''

SECRET_RECORDER = '''
"""Writes the run's FTP password to $HIL_SECRET_FILE (outside the reports) for the scan."""
import os

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    value = yield
    if fixturedef.argname == "ftp_server":
        with open(os.environ["HIL_SECRET_FILE"], "a", encoding="utf-8") as f:
            f.write(value.password + "\\n")
    return value
'''


@dataclass
class ReportRun:
    """One pytest run's reports folder, what it printed, and its FTP passwords."""

    folder: Path
    returncode: int
    output: str
    passwords: list[str]

    @property
    def html_path(self) -> Path:
        return self.folder / "report.html"

    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8")

    def data(self) -> dict[str, Any]:
        return pytest_html_data(self.html())

    def summary(self) -> dict[str, Any]:
        return json.loads((self.folder / "summary.json").read_text(encoding="utf-8"))

    def scenarios(self, *fragments: str) -> list[dict[str, Any]]:
        """Records whose nodeid holds every fragment (each runs once per --ftplib choice)."""
        found = [s for s in self.summary()["scenarios"]
                 if all(f in s["nodeid"] for f in fragments)]
        assert found, "no scenario matches %r" % (fragments,)
        return found

    def html_tests(self, *fragments: str) -> list[dict[str, Any]]:
        """pytest-html's entries (row, log, extras) for the matching tests."""
        return [t for tests in self.data()["tests"].values() for t in tests
                if all(f in t["testId"] for f in fragments)]


def xdist_installed() -> bool:
    return importlib.util.find_spec("xdist") is not None


def run_reporting_pytest(base: Path, workers: int = 0) -> ReportRun:
    """Run the selection once per base folder; later callers reuse the result."""
    done = base / "run.json"
    if done.exists():
        return ReportRun(**{**json.loads(done.read_text()), "folder": base / "reports"})
    base.mkdir(parents=True, exist_ok=True)
    (base / "test_hil_report_demo.py").write_text(textwrap.dedent(FAILING_SCENARIO))
    (base / "hil_secret_recorder.py").write_text(textwrap.dedent(SECRET_RECORDER))
    secret_file = base / "passwords.txt"  # outside the reports folder
    folder = base / "reports"
    cmd = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"),
           "--rootdir", str(ROOT), "-p", "no:cacheprovider", "-p", "hil_secret_recorder",
           "--html", str(folder / "report.html"), "--self-contained-html",
           "--junitxml", str(folder / "junit.xml"), "-k", SELECTION,
           "scenarios/test_upload.py", "scenarios/test_download.py", "scenarios/test_550.py",
           "scenarios/test_text.py",
           str(base / "test_hil_report_demo.py")]
    if xdist_installed():  # plain `pytest` runs with -n auto; this run says how many
        cmd += ["-n", str(workers)]
    # nothing of this (maybe xdist worker) process's pytest settings leaks into the run
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(HIL_SECRET_FILE=str(secret_file),
               PYTHONPATH=os.pathsep.join([str(base), str(ROOT), env.get("PYTHONPATH", "")]))
    proc = warm_python.run(cmd, cwd=ROOT, env=env, timeout=RUN_TIMEOUT)
    passwords = secret_file.read_text().split() if secret_file.exists() else []
    result = {"returncode": proc.returncode, "output": proc.stdout + proc.stderr,
              "passwords": passwords}
    done.write_text(json.dumps(result))
    return ReportRun(folder=folder, **result)


@pytest.fixture(scope="module")
def report_run(tmp_path_factory: pytest.TempPathFactory) -> ReportRun:
    with session_folder(tmp_path_factory, "hil-report-run") as base:  # read, never changed
        run = run_reporting_pytest(base)
    assert run.returncode == 1, "expected exactly the demo failure:\n" + run.output[-4000:]
    assert run.passwords, "the secret recorder saw no ftp_server:\n" + run.output[-2000:]
    return run


def test_run_failed_only_where_it_should(report_run: ReportRun) -> None:
    records = report_run.summary()["scenarios"]
    for fragments in (("test_upload_binary", "1024B"), ("test_download_binary", "1024B"),
                      ("test_retr_missing_file_is_550",), ("corrupted",)):
        assert report_run.scenarios(*fragments)
    assert {(r["name"], r["outcome"]) for r in records} == {
        (r["name"], "failed" if "corrupted" in r["name"] else "passed") for r in records}


def test_summary_json_has_one_record_per_scenario(report_run: ReportRun) -> None:
    summary = report_run.summary()
    assert summary["schema"] == SUMMARY_SCHEMA
    records = summary["scenarios"]
    assert len({r["nodeid"] for r in records}) == len(records)
    failed = len(report_run.scenarios("corrupted"))
    assert summary["totals"] == {"passed": len(records) - failed, "failed": failed}
    (module,) = summary["modules"]
    assert module["model"] and module["firmware"]
    assert re.fullmatch(r"\d{4}\*+\d{4}", module["imei"])
    for upload in report_run.scenarios("test_upload_binary", "1024B"):
        assert upload["params"]["payload_size"] == 1024
        assert (upload["module"], upload["firmware"]) == (module["model"], module["firmware"])
        assert upload["module_port"] == module["port"] and upload["ftplib"]
        assert upload["bytes"] == 1024 and upload["payload_bytes"] == 1024
        assert upload["checksums_match"] is True and upload["throughput_kib_s"] > 0
        assert upload["reply"].startswith("226") and upload["duration_s"] > 0
        sums = upload["transfers"][0]["checksums"]
        assert sums["host"] == sums["device"] == sums["server"]
    for missing in report_run.scenarios("test_retr_missing_file_is_550"):
        assert missing["reply"].startswith("550") and missing["checksums_match"] is None


def test_a_failure_says_what_went_wrong_in_one_line(report_run: ReportRun) -> None:
    for failed in report_run.scenarios("corrupted"):
        assert failed["checksums_match"] is False
        assert re.fullmatch(r"server sha256 differs from host: [0-9a-f]{12}\.\.\. != "
                            r"[0-9a-f]{12}\.\.\. \(\d+ vs 4096 bytes\)", failed["failure"])
        (test,) = [t for t in report_run.html_tests("corrupted")
                   if t["testId"] == failed["nodeid"]]
        headline = hr.headline_html(failed["failure"])
        assert test["log"].splitlines()[0] == headline  # before the traceback
        assert test["extras"][0]["content"] == headline  # first thing in the evidence
        row = "".join(test["resultsTableRow"])
        assert headline in row and row.count(headline) == 1  # and in the results table
        assert headline not in test["resultsTableRow"][1]  # not in the sortable Test cell
        assert 'data-match="false"' in "".join(e["content"] for e in test["extras"])


def test_html_evidence_per_scenario(report_run: ReportRun) -> None:
    for upload in report_run.html_tests("test_upload_binary", "1024B"):
        extras = "".join(e["content"] for e in upload["extras"])
        assert "<tr><th>payload_size</th><td>1024</td></tr>" in extras
        assert "<tr><th>ftplib</th><td>" in extras
        assert 'data-match="true"' in extras and "1,024 bytes moved" in extras
        assert "reply <code>226" in extras and "KiB/s" in extras and " ms" in extras
        for kind in ("hil-transcript", "hil-serial"):  # collapsed: QA opens them when needed
            assert re.search(r'<details class="hil-details %s"><summary>' % kind, extras), kind
        assert "STOR " in extras and "PASS ****" in extras  # the transcript, password masked
        row = "".join(upload["resultsTableRow"])
        assert '<td class="col-hil-bytes">1,024</td>' in row
        assert '<td class="col-hil-reply">226' in row
        assert '<span class="hil-ok">&#10003; match</span>' in row


def test_environment_table_says_what_ran_where(report_run: ReportRun) -> None:
    env = report_run.data()["environment"]
    summary = report_run.summary()
    module = summary["modules"][0]
    assert env["Module model"] == module["model"]
    assert env["Firmware"] == module["firmware"]
    assert env["IMEI"] == module["imei"] and "*" in env["IMEI"]
    assert env["MicroPython"].startswith("1.")
    assert "bytes free" in env["/usr free"]
    assert env["Serial port"].startswith(module["port"])
    assert env["Serial port"].endswith("a virtual module")
    used = sorted({r["ftplib"] for r in summary["scenarios"] if r["ftplib"]})
    assert used and env["FTP library"] == ", ".join(used)
    assert re.fullmatch(r"local: ftp://hil@127\.0\.0\.1:\d+/", env["FTP server"])
    assert env["Harness version"].startswith("qpy-ftp-hil ")
    assert env["Git revision"] and env["Date"][:2] == "20"
    assert SELECTION in env["Command"]
    assert list(env)[0] == "Module model" and "Python" in env  # pytest-metadata's rows stay


def test_html_is_self_contained_with_chart_and_overview(report_run: ReportRun) -> None:
    page = report_run.html()
    module = report_run.summary()["modules"][0]
    failed = len(report_run.scenarios("corrupted"))
    title = re.search(r'<h1 id="title">([^<]*)</h1>', page).group(1)
    assert module["firmware"] in title and "%d failed" % failed in title
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|<img[^>]+src=\"http", page)
    assert '<svg class="hil-chart"' in page and 'data-series="upload"' in page
    assert '<table class="hil-overview">' in page
    assert '<a href="summary.json">' in page and '<a href="junit.xml">' in page


def test_overview_counts_the_app_note_damage_as_expected(report_run: ReportRun) -> None:
    """The sample's dropped line ends are asserted by its scenario: not a red "unexpectedly"."""
    samples = report_run.scenarios("app_note")
    assert {s["outcome"] for s in samples} == {"passed"}
    assert all(t["damage_expected"] for s in samples for t in s["transfers"]
               if t["compared"] and not t["checksums"]["match"])
    overview = re.search(r'<table class="hil-overview">.*?</table>', report_run.html()).group(0)
    assert "%d differ as expected" % len(samples) in overview
    failed = len(report_run.scenarios("corrupted"))  # the one damage nobody asked for
    assert '<span class="hil-bad">%d differ unexpectedly</span>' % failed in overview


def test_junit_xml_for_ci(report_run: ReportRun) -> None:
    suite = ET.parse(report_run.folder / "junit.xml").getroot().find("testsuite")
    records = report_run.summary()["scenarios"]
    assert suite.get("tests") == str(len(records))
    assert suite.get("failures") == str(len(report_run.scenarios("corrupted")))
    failure = suite.find("testcase/failure")
    assert "server sha256 differs from host" in failure.get("message")
    props = {p.get("name") for p in suite.iter("property")}
    assert {"module_info", "ftp_server"} <= props


def test_no_password_in_anything_the_run_wrote(report_run: ReportRun) -> None:
    secret_file = report_run.folder.parent / "passwords.txt"
    # the scan does see the real password where it is (a check of the check)
    assert scan_for_secrets([secret_file], report_run.passwords)
    written = [p for p in report_run.folder.rglob("*") if p.is_file()]
    assert {"report.html", "junit.xml", "summary.json"} <= {p.name for p in written}
    assert any(p.parent.name == "serial" for p in written)
    hits = scan_for_secrets([report_run.folder, ROOT / "reports"], report_run.passwords)
    assert hits == [], "FTP password found in: %s" % [(str(h.path), h.form) for h in hits]
    # the demo scenario printed it: the captured output is kept, masked
    assert "careless debug print: password ****" in report_run.html()
    # the virtual module's IMEI, shown masked, is not in the serial logs in full either
    hits = scan_for_secrets([report_run.folder], [ModuleConfig().imei])
    assert hits == [], "full IMEI found in: %s" % [str(h.path) for h in hits]


@pytest.mark.skipif(not xdist_installed(), reason="pytest-xdist is not installed")
def test_reports_are_complete_under_xdist(tmp_path: Path) -> None:
    run = run_reporting_pytest(tmp_path, workers=2)
    assert run.returncode == 1, run.output[-4000:]
    summary = run.summary()
    records = summary["scenarios"]
    workers = {r["worker"] for r in records}
    assert workers <= {"gw0", "gw1"} and workers, workers
    assert {m["worker"] for m in summary["modules"]} == workers  # every module is listed
    assert all(r["module"] and r["firmware"] and r["ftplib"] for r in records)
    assert len(records) == len(run.html_tests("::"))  # every test reached the HTML too
    for failed in run.scenarios("corrupted"):
        assert failed["failure"].startswith("server sha256 differs from host")
    env = run.data()["environment"]
    assert env["Firmware"] == summary["modules"][0]["firmware"]
    assert ("Modules" in env) == (len(workers) > 1)
    assert scan_for_secrets([run.folder], run.passwords) == []


def test_the_partial_summary_is_the_document_json_dumps_would_write() -> None:
    # fixtures/reporting.py rewrites summary.json after every test with each scenario's
    # record encoded once: the text must be what json.dumps gives for the whole document
    from fixtures.reporting import _dumps, _Verbatim

    records = [{"nodeid": "a::b[ü]", "ms": 1.5, "extra": {"x": [1, None]}}, {"nodeid": "c"}]
    document = {"schema": 2, "scenarios": records, "partial": {"finished": 2, "tests": {}}}
    spliced = dict(document, scenarios=_Verbatim(
        "[%s]" % ", ".join(json.dumps(r) for r in records)))
    assert _dumps(spliced) == json.dumps(document)
