"""junit.xml carries, per scenario, what CI servers group and filter by, and stays schema-valid.

The run is a real one on two pytest-xdist workers (tests/runs_support.py): the
module's facts reach only the first test of each worker, so every later test's
properties prove the plugin kept them. The schema is junit-10.xsd (Jenkins'
xunit plugin, pytest's own junitxml tests); pytest writes user_properties
inside <testcase>, which that schema allows only on <testsuite>, so the file is
checked twice: in full against junit-10.xsd plus exactly that one allowance
(tests/data/junit-10-testcase-properties.xsd), and, with the testcase properties
taken out, against junit-10.xsd as it is.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.runs_support import read, real_runs

__all__ = ["real_runs"]

DATA = Path(__file__).parent / "data"
GROUPING = ("module_model", "firmware", "ftplib", "server_kind", "payload_size")


def _testcases(junit: Path) -> dict[str, dict[str, str]]:
    """Each testcase's properties, keyed by the name summary.json gives the scenario."""
    root = ET.parse(junit).getroot()
    return {tc.get("name", ""): {p.get("name", ""): p.get("value", "")
                                 for p in tc.iter("property")}
            for tc in root.iter("testcase")}


def test_every_scenario_carries_module_firmware_ftplib_server_and_size(
        real_runs: list[Path]) -> None:
    folder = real_runs[0]
    summary = read(folder)
    cases = _testcases(folder / "junit.xml")
    assert {r["worker"] for r in summary["scenarios"]} == {"gw0", "gw1"}  # both workers ran
    for rec in summary["scenarios"]:
        props = cases[rec["name"]]
        expected = {"module_model": rec["module"], "firmware": rec["firmware"],
                    "ftplib": rec["ftplib"], "server_kind": "local"}
        if "payload_size" in rec["params"]:
            expected["payload_size"] = str(rec["params"]["payload_size"])
        else:  # a refused download (550) moved no payload: no size to group by
            assert rec["checksums_match"] is None
        assert {k: v for k, v in props.items() if k in GROUPING} == expected, rec["nodeid"]
        assert list(props).count("ftplib") == 1  # said once, by the ftplib fixture


def test_junit_xml_validates_against_the_jenkins_junit_schema(real_runs: list[Path]) -> None:
    # imported here, not at collection: a third of a second in every worker that collects
    xmlschema = pytest.importorskip("xmlschema")
    junit = real_runs[0] / "junit.xml"
    strict = xmlschema.XMLSchema(DATA / "junit-10.xsd")
    with_properties = xmlschema.XMLSchema11(DATA / "junit-10-testcase-properties.xsd")
    with_properties.validate(junit)
    tree = ET.parse(junit)
    taken = 0
    for testcase in tree.getroot().iter("testcase"):
        for properties in testcase.findall("properties"):
            testcase.remove(properties)
            taken += 1
    assert taken == len(read(real_runs[0])["scenarios"])
    strict.validate(tree)
    # the check can fail: what junit_family=xunit1 would add is not junit-10
    testcase = next(tree.getroot().iter("testcase"))
    testcase.set("file", "scenarios/test_upload.py")
    assert not strict.is_valid(tree) and not with_properties.is_valid(tree)
