"""README.md's tables name what is there: every scenario file, every wing of harness/."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index("\n## %s\n" % title)
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def test_every_scenario_file_is_in_the_scenario_table() -> None:
    table = section("What the scenarios cover")
    named = set(re.findall(r"`(test_\w+\.py)`", table))
    files = {p.name for p in (ROOT / "scenarios").glob("test_*.py")}
    assert files - named == set(), "scenario files missing from README's table: %s" % sorted(
        files - named)
    assert named - files == set(), "README's table names files that are gone: %s" % sorted(
        named - files)


def test_every_wing_of_harness_is_in_the_layout_table() -> None:
    table = section("The layout")
    wings = {p.parent.name for p in (ROOT / "harness").glob("*/__init__.py")}
    named = set(re.findall(r"`harness/(\w+)/`", table))
    assert wings == named, "wings: %s; README's layout table: %s" % (sorted(wings),
                                                                      sorted(named))
