"""Allure: with allure-pytest and --alluredir, every scenario carries its evidence and facts,
and the run writes environment.properties (fixtures/allure.py); without, nothing changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.report.plain import checksums_text, properties_text
from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ["scenarios/test_upload.py", "scenarios/test_550.py", "-k",
             "upload_binary or retr_missing_file", "--payload-sizes=1K", "--ftplib=bundled"]
LABELS = {"module_model", "firmware", "ftplib", "server_kind", "payload_size"}


def run_pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return warm_python.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
         "-n", "2", "--html", str(tmp_path / "report.html"),
         "--junitxml", str(tmp_path / "junit.xml"),
         "--summary-json", str(tmp_path / "summary.json"), *args],
        cwd=ROOT, env=env, timeout=300)


def results(folder: Path) -> dict[str, dict[str, Any]]:
    """allure-pytest's result files, by test name."""
    found = {}
    for path in folder.glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["name"]] = data
    return found


def attachment(folder: Path, result: dict[str, Any], name: str) -> str:
    source = next(a["source"] for a in result["attachments"] if a["name"] == name)
    return (folder / source).read_text(encoding="utf-8")


def test_each_scenario_carries_its_evidence_and_facts_and_the_run_its_environment(
        tmp_path: Path) -> None:
    pytest.importorskip("allure_pytest", reason="allure-pytest is not installed "
                        "(pip install -e \".[test]\" installs it)")
    folder = tmp_path / "allure-results"
    proc = run_pytest(tmp_path, *SCENARIOS, "--alluredir", str(folder))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]

    found = results(folder)
    upload = found["test_upload_binary[ftplib=bundled-1024B]"]
    labels = {label["name"]: label["value"] for label in upload["labels"]}
    assert {k: labels.get(k) for k in LABELS} == {
        "module_model": "EC600U", "firmware": "EC600UCNLBR03A01M08_OCPU_QPY",
        "ftplib": "bundled", "server_kind": "local", "payload_size": "1024"}
    sums = attachment(folder, upload, "checksums").splitlines()
    assert sums[0] == "upload (1024 bytes): match"
    digests = {line.split()[1] for line in sums[1:]}
    assert [line.split()[0] for line in sums[1:]] == ["host", "device", "server"]
    assert len(digests) == 1 and len(digests.pop()) == 64  # the three agree
    (device,) = json.loads(attachment(folder, upload, "device result"))
    assert device["step"] == "upload" and device["ok"] is True and device["bytes"] == 1024
    transcript = attachment(folder, upload, "FTP transcript (passwords masked)")
    assert "<- STOR " in transcript and "<- PASS ****" in transcript
    assert "raw REPL" in attachment(folder, upload, "serial log")

    missing = found["test_retr_missing_file_is_550[ftplib=bundled]"]
    assert "payload_size" not in {label["name"] for label in missing["labels"]}
    assert "550 " in attachment(folder, missing, "FTP transcript (passwords masked)")

    environment = (folder / "environment.properties").read_text(encoding="latin-1")
    assert "Module\\ model=EC600U\n" in environment
    assert "FTP\\ library=bundled\n" in environment
    assert "\nCommand=pytest " in environment


def test_without_alluredir_nothing_is_written_for_allure(tmp_path: Path) -> None:
    # one process (the -n 2 above is the last word only where allure writes)
    proc = run_pytest(tmp_path, *SCENARIOS, "-k", "upload_binary", "-p", "no:allure_pytest",
                      "-n", "0")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert not list(tmp_path.rglob("environment.properties"))
    assert not list(tmp_path.rglob("*-result.json"))


def test_checksums_read_as_text_and_a_difference_is_named() -> None:
    digest = {"sha256": "a" * 64, "bytes": 3}
    other = {"sha256": "b" * 64, "bytes": 3}
    text = checksums_text([{
        "step": "download", "payload_bytes": 3, "compared": True,
        "checksums": {"host": digest, "device": other, "server": digest, "match": False},
        "problems": ["device sha256 differs from host"]}])
    assert text.splitlines() == [
        "download (3 bytes): DIFFER: device sha256 differs from host",
        "  host   %s  3 bytes" % ("a" * 64), "  device %s  3 bytes" % ("b" * 64),
        "  server %s  3 bytes" % ("a" * 64)]
    assert checksums_text([{"step": "nlst", "checksums": None}]) == ""


def test_properties_are_escaped_as_java_reads_them() -> None:
    text = properties_text({"Module model": "EC600U", "Path": "C:\\hil\n2",
                            "Module on gw0": {"Serial port": " COM5"}, "Model": "测"})
    assert text == ("Module\\ model=EC600U\nPath=C:\\\\hil\\n2\n"
                    "Module\\ on\\ gw0.Serial\\ port=\\ COM5\nModel=\\u6d4b\n")
