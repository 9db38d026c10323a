"""`python -m harness history`: many runs, ordered by date and grouped by firmware.

Two real runs on one build, then copies on a newer build where a scenario
starts failing and stays failing; bad inputs beside them are named and skipped.
The pages (history and compare) are then opened in headless chromium, as the
report is in tests/test_report_browser.py: no script errors, no network
requests, charts drawn. Screenshots land in reports/.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.runs import build_history, load_inputs
from harness.runs.history import ABSENT
from tests import warm_python
from tests.runs_support import ROOT, fail, read, real_runs, record, set_rate, variant, write
from tests.test_compare import HEADLINE, bad_inputs

__all__ = ["real_runs"]

NEW_FW = "EC600UCNLBR03A02M08_OCPU_QPY"
FAILING = ("test_upload_binary", "bundled", "65536")


@pytest.fixture(scope="module")
def runs_dir(real_runs: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """runs/: the two real report folders' summaries, then two later runs on a newer build."""
    folder = tmp_path_factory.mktemp("runs")
    for i, real in enumerate(real_runs):
        write(folder / f"{1000 + i}.json", read(real))

    def broken(doc: dict[str, object]) -> None:
        fail(record(doc, *FAILING), HEADLINE)
        for ftplib in ("bundled", "firmware"):
            set_rate(record(doc, "test_download_binary", ftplib, "65536"), 1.0)

    # written in the wrong order on purpose: the date decides, not the file name
    write(folder / "1003.json", variant(real_runs[1], hours_later=3, firmware=NEW_FW,
                                        change=broken))
    write(folder / "1002.json", variant(real_runs[1], hours_later=2, firmware=NEW_FW,
                                        change=broken))
    return folder


def test_history_orders_by_date_groups_by_firmware_and_finds_the_first_failure(
        runs_dir: Path) -> None:
    runs, problems = load_inputs([runs_dir])
    assert problems == []
    h = build_history(runs)
    assert [r.name for r in h.runs] == ["1000", "1001", "1002", "1003"]
    assert [(fw.split()[-1], cols) for fw, cols in h.groups] == [
        ("EC600UCNLBR03A01M08_OCPU_QPY", [0, 1]), (NEW_FW, [2, 3])]
    nodeid = record(read(runs_dir / "1002.json"), *FAILING)["nodeid"]
    (now,) = h.failing_now
    assert (now.nodeid, h.runs[now.first].name, now.runs, now.reason, now.ever_passed) == (
        nodeid, "1002", 2, HEADLINE, True)
    assert h.pass_rate(nodeid) == (2, 4)
    assert [h.outcomes[(nodeid, i)] for i in range(4)] == ["passed", "passed", "failed",
                                                          "failed"]
    # a failed scenario's speed is left out; a slow one that passed is drawn
    download = h.throughput[("download", 65536)]
    assert download[2:] == [1.0, 1.0] and all(v and v > 1.0 for v in download[:2])
    assert len(h.throughput[("upload", 65536)]) == 4


def test_bad_inputs_are_named_and_the_other_runs_still_drawn(runs_dir: Path,
                                                              real_runs: list[Path],
                                                              tmp_path: Path) -> None:
    bad = bad_inputs(real_runs[0], tmp_path / "more")
    page = tmp_path / "history.html"
    result = warm_python.run([sys.executable, "-m", "harness", "history", str(runs_dir),
                              str(tmp_path / "more"), str(tmp_path / "missing"),
                              "--html", str(page)], cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 4, lines  # one per bad input, nothing else
    for path in [*bad.values(), tmp_path / "missing"]:
        assert sum(line.startswith(f"{path}: ") for line in lines) == 1, (path, lines)
    assert "4 runs, 2 firmware builds, 1 scenarios failing now" in result.stdout
    text = page.read_text(encoding="utf-8")
    assert "Inputs not drawn (4)" in text and "truncated JSON" in text


def test_history_needs_one_readable_run(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{")
    result = warm_python.run([sys.executable, "-m", "harness", "history", str(tmp_path),
                              "--html", str(tmp_path / "h.html")], cwd=ROOT, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0].startswith(f"{tmp_path / 'x.json'}: truncated JSON")
    assert not (tmp_path / "h.html").exists()


def test_pages_are_self_contained(runs_dir: Path, tmp_path: Path) -> None:
    runs, _ = load_inputs([runs_dir])
    from harness.runs.html import history_page

    text = history_page(build_history(runs))
    assert "<script" not in text and "http://" not in text.replace(
        "http://www.w3.org/2000/svg", "")
    assert "https://" not in text and "<link" not in text and "<img" not in text
    # every chart is well-formed SVG, so browsers draw it inline
    for svg in text.split("<svg")[1:]:
        ET.fromstring("<svg" + svg.split("</svg>")[0] + "</svg>")
    strip = text.split('id="strip"')[1]
    assert strip.count('class="cell ') == 4 * len(build_history(runs).scenarios)
    assert f'o-{ABSENT}' not in strip  # the same scenarios ran every time


# -- in a browser ----------------------------------------------------------

browser = pytest.importorskip("tests.test_report_browser")
SHOTS = ROOT / "reports"


@pytest.fixture(scope="module")
def pages(runs_dir: Path, real_runs: list[Path],
          tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    old = _compare_side(runs_dir, folder / "old", ("1000", "1001"), pinned=(400.0, 440.0))
    new = _compare_side(runs_dir, folder / "new", ("1002", "1003"))
    for args in (["history", str(runs_dir)], ["compare", str(old), str(new)]):
        warm_python.run([sys.executable, "-m", "harness", *args, "--html",
                         str(folder / f"{args[0]}.html")], cwd=ROOT, timeout=60)
    return {"history": folder / "history.html", "compare": folder / "compare.html"}


def _compare_side(runs_dir: Path, folder: Path, names: tuple[str, ...],
                  pinned: tuple[float, ...] = ()) -> Path:
    """A folder of runs for `compare`; with `pinned`, the 64 KiB download rates of
    each run are set to those figures (KiB/s), so the verdict does not depend on
    how fast this PC happened to be when the real runs were measured (a busy
    CPU once made them wobble past the drop to 1 KiB/s)."""
    folder.mkdir()
    for i, name in enumerate(names):
        doc = read(runs_dir / f"{name}.json")
        if pinned:
            for ftplib in ("bundled", "firmware"):
                set_rate(record(doc, "test_download_binary", ftplib, "65536"), pinned[i])
        write(folder / f"{name}.json", doc)
    return folder


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if browser.CHROMIUM is None or sys.platform == "win32":
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    folder = tmp_path_factory.mktemp("chromium-runs")
    page = browser.Chromium(browser.CHROMIUM, folder / "profile", folder / "chromium.log")
    try:
        yield page
    finally:
        page.close()


def _open(chromium: object, path: Path) -> object:
    page = chromium
    if getattr(page, "session", ""):
        page.events.clear()  # type: ignore[attr-defined]
        page.call("Page.navigate", {"url": path.as_uri()})  # type: ignore[attr-defined]
        page.wait_event("Page.loadEventFired")  # type: ignore[attr-defined]
    else:
        page.open_page(path.as_uri())  # type: ignore[attr-defined]
    return page


def _offline_and_clean(page: object) -> None:
    assert page.errors() == []  # type: ignore[attr-defined]
    foreign = [u for u in page.requested_urls()  # type: ignore[attr-defined]
               if not u.startswith(("file:", "data:"))]
    assert foreign == [], "the page must work offline; it fetched %s" % foreign


def test_history_page_in_a_browser(chromium: object, pages: dict[str, Path]) -> None:
    page = _open(chromium, pages["history"])
    _offline_and_clean(page)
    js = page.js  # type: ignore[attr-defined]
    charts = js("[...document.querySelectorAll('svg.line-chart')].map(s => "
                "[s.dataset.series, s.getBoundingClientRect().width, "
                "s.querySelectorAll('circle.point').length, "
                "s.querySelector('polyline.series').getBBox().width])")
    assert charts and {c[0] for c in charts} >= {"upload 64 KiB", "download 64 KiB"}
    for name, width, points, line in charts:
        assert width > 300 and points >= 2 and line > 100, name  # drawn across the runs
    assert js("document.querySelectorAll('svg.line-chart line.build').length") == len(charts)
    cells = js("[...document.querySelectorAll('#strip td.cell')]"
               ".map(td => getComputedStyle(td).backgroundColor)")
    assert "rgb(208, 2, 27)" in cells and "rgb(46, 157, 91)" in cells  # failed, passed
    assert js("document.querySelector('#failing-now').textContent") == "Failing now (1)"
    data = page.screenshot(SHOTS / "history-browser.png")  # type: ignore[attr-defined]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_compare_page_in_a_browser(chromium: object, pages: dict[str, Path]) -> None:
    page = _open(chromium, pages["compare"])
    _offline_and_clean(page)
    js = page.js  # type: ignore[attr-defined]
    verdict = js("document.querySelector('#verdict').textContent")
    # both 64 KiB download series dropped from 400-440 KiB/s to 1 KiB/s
    assert verdict == "WORSE: 1 newly failing, 2 slower beyond noise", verdict
    assert js("getComputedStyle(document.querySelector('#verdict')).color") == "rgb(176, 0, 32)"
    differs = js("[...document.querySelectorAll('#environment tr.differs th')]"
                 ".map(th => th.textContent)")
    assert "Firmware" in differs and "ftplib" not in differs
    slower = js("[...document.querySelectorAll('#throughput-table tr.flag-slower td')]"
                ".map(td => td.textContent)")
    assert slower[1:3] == ["download", "64 KiB"] and slower[-1] == "slower"
    data = page.screenshot(SHOTS / "compare-browser.png")  # type: ignore[attr-defined]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    assert json.dumps(verdict)  # plain text, no markup leaked into the verdict
