"""`python -m harness compare`: what got worse between two runs, and the exit code CI gates on.

The runs are real (tests/runs_support.py); a regression is staged by editing a
copy of a real run's records: a scenario fails, one is added, one removed, one
gets slower.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.runs import ACCEPTED_SCHEMA, compare_runs, load_inputs, markdown_summary, noise
from harness.runs.compare import ADDED, FIXED, NEWLY_FAILING, REMOVED, STILL_FAILING
from harness.runs.load import RunInputError, load_run
from tests import warm_python
from tests.runs_support import ROOT, fail, read, real_runs, record, set_rate, variant, write

__all__ = ["real_runs"]  # the fixture, shared with tests/test_history.py

HEADLINE = ("server sha256 differs from host: 3f2a9c1b0d4e... != 9c1b3f2a0d4e... "
            "(4095 vs 4096 bytes)")


def harness(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return warm_python.run([sys.executable, "-m", "harness", *map(str, args)], cwd=ROOT,
                           timeout=60)


# -- the noise rule --------------------------------------------------------


@pytest.mark.parametrize("old, new, verdict", [
    ([100.0], [50.0], noise.NOT_JUDGED),  # no repeats: no measure of the wobble
    ([100.0, 104.0, 102.0], [60.0, 61.0], noise.SLOWER),
    ([100.0, 104.0], [98.0], noise.WITHIN_NOISE),  # 2 % lower, but the repeats moved 4
    ([100.0, 104.0], [97.0], noise.WITHIN_NOISE),  # below the range, not beyond its width
    ([100.0, 104.0], [95.0], noise.SLOWER),
    ([100.0], [150.0, 152.0], noise.FASTER),  # the new side's repeats measure it
    ([100.0, 160.0], [60.0, 61.0], noise.WITHIN_NOISE),  # a wild old side hides a drop
])
def test_a_change_counts_only_beyond_the_spread_of_its_repeats(
        old: list[float], new: list[float], verdict: str) -> None:
    judgement = noise.judge(noise.spread(old), noise.spread(new))
    assert judgement.verdict == verdict
    assert (judgement.noise is None) == (verdict == noise.NOT_JUDGED)


# -- real runs -------------------------------------------------------------


def test_two_runs_of_one_build_nothing_got_worse(real_runs: list[Path], tmp_path: Path) -> None:
    old, new = real_runs
    assert read(old)["schema"] == ACCEPTED_SCHEMA  # the schema a real run writes
    page, md = tmp_path / "compare.html", tmp_path / "compare.md"
    result = harness("compare", old, new, "--html", page, "--markdown", md)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == md.read_text(encoding="utf-8")
    assert "**nothing got worse**" in result.stdout
    assert "Newly failing" not in result.stdout
    # one run a side, each scenario once: no repeats to measure noise by
    assert "0 against the noise of their repeats" in result.stdout
    assert "not enough repeats to judge" in result.stdout
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _regressed(real: Path) -> dict[str, object]:
    def change(doc: dict[str, object]) -> None:
        scenarios = doc["scenarios"]
        assert isinstance(scenarios, list)
        fail(record(doc, "test_upload_binary", "bundled", "65536"), HEADLINE)
        fail(record(doc, "test_download_binary", "bundled", "1024"), "setup error: x")
        removed = record(doc, "test_retr_missing_file_is_550", "firmware")
        scenarios.remove(removed)
        added = {**record(doc, "test_retr_missing_file_is_550", "bundled"),
                 "nodeid": "scenarios/test_550.py::test_new_scenario[ftplib=bundled]",
                 "name": "test_new_scenario[ftplib=bundled]"}
        scenarios.append(added)
    return variant(real, hours_later=1, firmware="EC600UCNLBR03A02M08_OCPU_QPY", change=change)


def test_a_staged_regression_is_listed_and_exits_1(real_runs: list[Path],
                                                   tmp_path: Path) -> None:
    old = real_runs[0]
    doc = _regressed(old)
    before = read(old)
    fail(record(before, "test_download_binary", "bundled", "1024"), "setup error: x")
    new = write(tmp_path / "new.json", doc)
    write(tmp_path / "old.json", before)
    md = tmp_path / "out.md"
    result = harness("compare", tmp_path / "old.json", new, "--html", tmp_path / "c.html",
                     "--markdown", md)
    assert result.returncode == 1, result.stdout + result.stderr
    text = md.read_text(encoding="utf-8")
    assert text.startswith("### qpy-ftp-hil: EC600UCNLBR03A01M08_OCPU_QPY \u2192 "
                           "EC600UCNLBR03A02M08_OCPU_QPY")
    assert "**WORSE: 1 newly failing" in text
    upload = record(doc, "test_upload_binary", "bundled", "65536")["nodeid"]
    assert f"**Newly failing (1)**\n- `{upload}`: {HEADLINE}" in text
    assert "**Still failing (1)**" in text and "setup error: x" in text
    assert "**Added (1)**\n- `scenarios/test_550.py::test_new_scenario[ftplib=bundled]` (added)" \
        in text
    assert "**Removed (1)**\n- `scenarios/test_550.py::test_retr_missing_file_is_550" \
        "[ftplib=firmware]`" in text
    assert "| Firmware | EC600UCNLBR03A01M08_OCPU_QPY | EC600UCNLBR03A02M08_OCPU_QPY |" in text
    assert "| ftplib |" not in text  # rows that did not change are left out
    assert len(text.splitlines()) < 30  # short enough for a merge request


def test_fixed_scenarios_and_an_added_failure(real_runs: list[Path], tmp_path: Path) -> None:
    (run,), _ = load_inputs([real_runs[0]])
    old = variant(real_runs[0], change=lambda d: fail(
        record(d, "test_upload_binary", "firmware", "1024"), HEADLINE))
    new = variant(real_runs[0], hours_later=1, change=lambda d: d["scenarios"].append(
        {**record(d, "test_retr_missing_file_is_550", "bundled"), "outcome": "error",
         "failure": "setup error: no module", "nodeid": "scenarios/test_550.py::test_added"}))
    old_runs, _ = load_inputs([write(tmp_path / "old.json", old)])
    new_runs, _ = load_inputs([write(tmp_path / "new.json", new)])
    c = compare_runs(old_runs, new_runs)
    assert [(s.kind, s.reason) for s in c.scenarios] == [
        (ADDED, "setup error: no module"), (FIXED, HEADLINE)]
    assert [s.nodeid for s in c.new_failures] == ["scenarios/test_550.py::test_added"]
    assert c.worse and c.exit_code == 1
    assert {s.kind for s in compare_runs([run], [run]).scenarios} == set()


def _side(real: Path, folder: Path, rates: list[float], other: list[float]) -> Path:
    """Several runs on one side: copies of a real run with chosen figures for two series."""
    for i, (rate, steady) in enumerate(zip(rates, other, strict=True)):
        def change(doc: dict[str, object], rate: float = rate, steady: float = steady) -> None:
            set_rate(record(doc, "test_upload_binary", "bundled", "65536"), rate)
            set_rate(record(doc, "test_download_binary", "bundled", "65536"), steady)
        write(folder / f"{i}.json", variant(real, hours_later=i, change=change))
    return folder


def test_noise_is_measured_from_several_runs_per_side(real_runs: list[Path],
                                                      tmp_path: Path) -> None:
    old = _side(real_runs[0], tmp_path / "old", [400.0, 412.0, 405.0], [300.0, 320.0, 310.0])
    new = _side(real_runs[0], tmp_path / "new", [250.0, 255.0], [295.0, 305.0])
    result = harness("compare", old, new, "--html", tmp_path / "c.html")
    assert result.returncode == 1, result.stdout + result.stderr
    text = result.stdout
    assert "**WORSE: 1 slower beyond noise**" in text
    upload = record(read(old / "0.json"), "test_upload_binary", "bundled", "65536")["nodeid"]
    assert (f"| `{upload}` | upload | 64 KiB | 405.0 (400.0-412.0, 3x) | 252.5 (250.0-255.0, 2x) "
            "| -38% slower | \u00b112.0 |") in text
    assert "test_download_binary[ftplib=bundled-65536B]`" not in text  # within its noise
    old_runs, _ = load_inputs([old])
    new_runs, _ = load_inputs([new])
    c = compare_runs(old_runs, new_runs)
    download = [t for t in c.throughput if "download_binary[ftplib=bundled-65536B]" in t.nodeid]
    assert [t.judgement.verdict for t in download] == [noise.WITHIN_NOISE]
    assert not c.unjudged  # every series was repeated


# -- bad input -------------------------------------------------------------


def bad_inputs(real: Path, folder: Path) -> dict[str, Path]:
    """Another schema, a truncated file and a folder without summary.json, beside good runs."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (real / "summary.json").read_text(encoding="utf-8")
    (folder / "truncated.json").write_text(text[: len(text) // 2], encoding="utf-8")
    other = read(real)
    other["schema"] = "qpy-ftp-hil/summary/2"
    write(folder / "newer.json", other)
    (folder / "empty-report").mkdir()
    (folder / "empty-report" / "report.html").write_text("<html></html>")
    return {"truncated": folder / "truncated.json", "schema": folder / "newer.json",
            "folder": folder / "empty-report"}


def test_bad_inputs_each_get_one_line_and_exit_2(real_runs: list[Path], tmp_path: Path) -> None:
    bad = bad_inputs(real_runs[0], tmp_path / "bad")
    expected = {"truncated": "truncated JSON at line", "schema":
                "schema 'qpy-ftp-hil/summary/2'; this harness reads 'qpy-ftp-hil/summary/1'",
                "folder": "folder without summary.json"}
    for kind, path in bad.items():
        result = harness("compare", real_runs[0], path, "--html", tmp_path / "c.html")
        assert result.returncode == 2, (kind, result.stdout, result.stderr)
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"{path}: ") and expected[kind] in first, first
    # a side that is a folder of runs: the good ones are still compared, the exit code says 2
    write(tmp_path / "bad" / "good.json", read(real_runs[1]))
    result = harness("compare", real_runs[0], tmp_path / "bad", "--html", tmp_path / "c.html")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 3, result.stderr
    assert "could not be read" in result.stdout and "1 new run(s)" in result.stdout


def test_a_summary_cut_anywhere_is_truncated_and_a_broken_one_invalid(
        real_runs: list[Path], tmp_path: Path) -> None:
    # bad_inputs() cuts a real run's summary.json at half its length, which once fell just
    # after a record's closing brace: "invalid JSON", as the old rule (does the text end
    # with a brace?) said. Here every such cut, and cuts in strings, numbers and words.
    text = (real_runs[0] / "summary.json").read_text(encoding="utf-8")
    after_a_brace = [i + 1 for i, char in enumerate(text[:-1]) if char in "}]"]
    cuts = sorted(set(after_a_brace[:150] + list(range(1, len(text) - 1, len(text) // 150))))
    assert len(cuts) > 200
    path = tmp_path / "summary.json"
    for cut in cuts:
        path.write_text(text[:cut], encoding="utf-8")
        with pytest.raises(RunInputError, match="truncated JSON at line"):
            load_run(path)
    middle = text.index(",", len(text) // 2)
    for broken in (text[:middle] + ";" + text[middle + 1:], text + "}", text.rstrip() + " x"):
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(RunInputError, match="invalid JSON at line"):
            load_run(path)


def test_markdown_without_cli(real_runs: list[Path]) -> None:
    runs, problems = load_inputs(real_runs)
    assert not problems and len(runs) == 2
    text = markdown_summary(compare_runs(runs[:1], runs[1:]))
    assert text.endswith("\n") and NEWLY_FAILING not in text and STILL_FAILING not in text
    assert REMOVED not in text.lower()
