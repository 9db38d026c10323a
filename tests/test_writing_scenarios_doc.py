"""docs/writing-scenarios.md stays true: its example runs green, its tables name what exists."""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

from harness.deploy.ftplib_calls import CALLS
from harness.scenario import FtpRun, ops
from harness.scenario.checksums import Expected
from tests import warm_python

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "writing-scenarios.md").read_text(encoding="utf-8")


def section(number: int) -> str:
    start = DOC.index("\n## %d. " % number)
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end if end > 0 else None]


def test_every_public_ftp_run_call_is_in_the_doc_and_no_other() -> None:
    public = {name for name, _ in inspect.getmembers(FtpRun) if not name.startswith("_")}
    # attributes and plumbing a scenario reads but does not call as a step of its own
    not_calls = {"home", "dialect", "phases", "phase", "ftp_args", "server_dir_exists",
                 "cleanup"}
    first_cells = [line.split("|")[1] for line in section(3).splitlines()
                   if line.startswith("| `")]
    named = set(re.findall(r"`(\w+)\(", " ".join(first_cells)))
    assert public - not_calls - named == set(), "FtpRun calls the doc does not name"
    assert named - public == set(), "the doc names FtpRun calls that do not exist"


def test_every_ops_helper_and_expected_rule_in_the_doc_exists() -> None:
    helpers = set(re.findall(r"ops\.(\w+)\(", DOC)) | set(
        re.findall(r"`(\w+)`", section(4).split("| one command, one reply")[0].split(
            "ops.cwd")[-1]))
    assert {h for h in helpers if not hasattr(ops, h)} == set()
    for rule in re.findall(r"Expected\.(\w+)\(", DOC):
        assert hasattr(Expected, rule), rule


def test_the_recipe_example_runs_green(tmp_path: Path) -> None:
    code = re.search(r"```python\n(\"\"\".*?)```", section(2), re.S)
    assert code is not None, "section 2 lost its example"
    scenario = tmp_path / "test_recipe_example.py"
    scenario.write_text(code.group(1), encoding="utf-8")
    done = warm_python.run(
        [sys.executable, "-m", "pytest", str(scenario), "-q", "-p", "no:cacheprovider",
         "-p", "conftest", "-n", "0", "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
         "--payload-sizes=0,3000", "-o", "addopts=", "--summary-json=%s" % (tmp_path / "s.json")],
        cwd=ROOT, timeout=240)
    # two payload sizes, each with the bundled ftplib and the virtual module's own
    assert done.returncode == 0 and re.search(r"\b4 passed", done.stdout), \
        done.stdout[-3000:] + done.stderr


def test_every_operation_helper_is_in_the_doc() -> None:
    named = set(re.findall(r"ops\.(\w+)\(", section(4))) | set(
        re.findall(r"`(\w+)`", section(4)))
    # a helper is named as the module's attribute (type_, hash_, quit_ for Python's names)
    spelt = {name: {a for a, v in vars(ops).items() if v is helper}
             for name, helper in ops.BUILDERS.items()}
    missing = {name for name, attrs in spelt.items() if not attrs & named}
    assert missing == set(), "operations the doc's table does not name: %s" % sorted(missing)


def test_the_ftplib_table_names_the_calls_of_harness_deploy_ftplib_calls() -> None:
    first_cells = [line.split("|")[1] for line in section(6).splitlines()
                   if line.startswith("| ") and not line.startswith("| call")
                   and not line.startswith("| ---")]
    named = {name for cell in first_cells for name in re.findall(r"`(?:ftplib\.)?(\w+)", cell)}
    called_directly = {c.name.split(".")[-1] for c in CALLS if c.used_in != "op_api"}
    assert named == called_directly, "doc: %s; ftplib_calls.py: %s" % (sorted(named),
                                                                        sorted(called_directly))
    for call in CALLS:
        if call.used_in == "op_api":
            assert "`%s()`" % call.name.split(".")[-1] in section(6), call.name
