"""Two runs (or two sets of runs) side by side: what got worse, what got better.

OLD and NEW may each be several runs (say, three CI runs of each firmware
build): a scenario counts as failing on a side if it failed in any of them, and
the repeats are what throughput noise is measured from (noise.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import noise
from .load import Run, RunInputError

FAILING = ("failed", "error")
PASSING = ("passed", "xfailed", "xpassed")

NEWLY_FAILING = "newly failing"
FIXED = "fixed"
STILL_FAILING = "still failing"
ADDED = "added"
REMOVED = "removed"
KINDS = (NEWLY_FAILING, FIXED, STILL_FAILING, ADDED, REMOVED)
MARKDOWN_LIST_MAX = 10  # items per section: the rest is a count, the HTML page has them all


@dataclass(frozen=True)
class ScenarioChange:
    nodeid: str
    kind: str  # one of KINDS
    reason: str  # the one-line failure headline, or the outcome
    note: str = ""  # e.g. "failed in 1 of 3 runs"
    failing: bool = False  # an added scenario that fails is a new failure too


@dataclass(frozen=True)
class ThroughputChange:
    nodeid: str
    direction: str
    size: int
    old: noise.Spread
    new: noise.Spread
    judgement: noise.Judgement

    @property
    def percent(self) -> float | None:
        return noise.change_percent(self.old, self.new)


@dataclass(frozen=True)
class EnvironmentRow:
    name: str
    old: str
    new: str

    @property
    def differs(self) -> bool:
        return self.old != self.new


@dataclass
class Comparison:
    old: list[Run]
    new: list[Run]
    scenarios: list[ScenarioChange]
    throughput: list[ThroughputChange]
    environment: list[EnvironmentRow]
    problems: list[RunInputError] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[ScenarioChange]:
        return [c for c in self.scenarios if c.kind == kind]

    @property
    def new_failures(self) -> list[ScenarioChange]:
        return [c for c in self.scenarios
                if c.kind == NEWLY_FAILING or (c.kind == ADDED and c.failing)]

    @property
    def slower(self) -> list[ThroughputChange]:
        return [t for t in self.throughput if t.judgement.verdict == noise.SLOWER]

    @property
    def faster(self) -> list[ThroughputChange]:
        return [t for t in self.throughput if t.judgement.verdict == noise.FASTER]

    @property
    def unjudged(self) -> list[ThroughputChange]:
        return [t for t in self.throughput if t.judgement.verdict == noise.NOT_JUDGED]

    @property
    def worse(self) -> bool:
        return bool(self.new_failures or self.slower)

    @property
    def exit_code(self) -> int:
        """0 nothing got worse, 1 something did, 2 an input could not be read."""
        if self.problems:
            return 2
        return 1 if self.worse else 0


def compare_runs(old: Sequence[Run], new: Sequence[Run],
                 problems: Sequence[RunInputError] = ()) -> Comparison:
    return Comparison(list(old), list(new), _scenario_changes(old, new),
                      _throughput_changes(old, new), environment_rows(old, new), list(problems))


def _records(runs: Sequence[Run]) -> dict[str, list[Mapping[str, Any]]]:
    """Each scenario's records on one side, oldest run first."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    for run in runs:
        for nodeid, record in run.by_nodeid().items():
            found.setdefault(nodeid, []).append(record)
    return found


def _reason(records: Sequence[Mapping[str, Any]]) -> str:
    """The newest failure's headline; a side without a failure says how it ended."""
    for record in reversed(records):
        if record["outcome"] in FAILING:
            return str(record.get("failure") or record["outcome"])
    return str(records[-1]["outcome"])


def _fail_note(records: Sequence[Mapping[str, Any]]) -> str:
    failed = sum(1 for r in records if r["outcome"] in FAILING)
    return f"failed in {failed} of {len(records)} runs" if len(records) > 1 and failed else ""


def _scenario_changes(old_runs: Sequence[Run], new_runs: Sequence[Run]) -> list[ScenarioChange]:
    old, new = _records(old_runs), _records(new_runs)
    changes = []
    for nodeid in sorted(old.keys() | new.keys()):
        before, after = old.get(nodeid), new.get(nodeid)
        if before is None and after is not None:
            failing = any(r["outcome"] in FAILING for r in after)
            changes.append(ScenarioChange(nodeid, ADDED, _reason(after), _fail_note(after),
                                          failing))
            continue
        if after is None and before is not None:
            changes.append(ScenarioChange(nodeid, REMOVED, _reason(before)))
            continue
        assert before is not None and after is not None
        failed_before = any(r["outcome"] in FAILING for r in before)
        failed_after = any(r["outcome"] in FAILING for r in after)
        passes_after = all(r["outcome"] in PASSING for r in after)
        if failed_after:
            kind = STILL_FAILING if failed_before else NEWLY_FAILING
            changes.append(ScenarioChange(nodeid, kind, _reason(after), _fail_note(after), True))
        elif failed_before and passes_after:
            changes.append(ScenarioChange(nodeid, FIXED, _reason(before), _fail_note(before)))
    return changes


def _throughput_changes(old_runs: Sequence[Run],
                        new_runs: Sequence[Run]) -> list[ThroughputChange]:
    old = noise.samples(r for run in old_runs for r in run.scenarios)
    new = noise.samples(r for run in new_runs for r in run.scenarios)
    changes = []
    for key in sorted(old.keys() & new.keys(), key=lambda k: (k[1], k[2], k[0])):
        before, after = noise.spread(old[key]), noise.spread(new[key])
        changes.append(ThroughputChange(*key, before, after, noise.judge(before, after)))
    return changes


def _values(runs: Sequence[Run], pick: Callable[[Run], set[str]]) -> str:
    found: set[str] = set()
    for run in runs:
        found |= pick(run)
    return ", ".join(sorted(found)) or "unknown"


def _modules(run: Run, key: str) -> set[str]:
    return {str(m.get(key)) for m in run.document.get("modules", ()) if m.get(key)} or \
        {str(r.get("module" if key == "model" else key)) for r in run.scenarios
         if r.get("module" if key == "model" else key)}


def _server(facts: Mapping[str, Any]) -> str:
    """The server's kind, and the dialect ours spoke (a run under another is not the same)."""
    dialect = facts.get("dialect")
    return "%s (%s)" % (facts["mode"], dialect) if dialect else str(facts["mode"])


def environment_rows(old: Sequence[Run], new: Sequence[Run]) -> list[EnvironmentRow]:
    """Firmware, module, ftplib, server and harness of each side, in reading order."""
    picks: list[tuple[str, Callable[[Run], set[str]]]] = [
        ("Firmware", lambda run: _modules(run, "firmware")),
        ("Module", lambda run: _modules(run, "model")),
        ("MicroPython", lambda run: _modules(run, "micropython")),
        ("ftplib", lambda run: {str(r["ftplib"]) for r in run.scenarios if r.get("ftplib")}),
        ("FTP server", lambda run: {_server(s) for s in
                                    run.document.get("ftp_servers", ()) if s.get("mode")}),
        ("Harness", lambda run: {"{version} ({git})".format_map(
            {"version": "?", "git": "?", **run.document.get("harness", {})})}),
        ("Runs", lambda run: {run.name}),
    ]
    return [EnvironmentRow(name, _values(old, pick), _values(new, pick)) for name, pick in picks]


# -- Markdown, for a merge request or a release note ---------------------


def _pct(change: ThroughputChange) -> str:
    return "n/a" if change.percent is None else f"{change.percent:+.0f}%"


def _size(size: int) -> str:
    for unit, name in ((1024 * 1024, "MiB"), (1024, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} B"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MARKDOWN_LIST_MAX:
        return lines
    return lines[:MARKDOWN_LIST_MAX] + [f"- ... and {len(lines) - MARKDOWN_LIST_MAX} more"]


def headline(c: Comparison) -> str:
    """One sentence: did anything get worse?"""
    worse = []
    if c.new_failures:
        worse.append(f"{len(c.new_failures)} newly failing")
    if c.slower:
        worse.append(f"{len(c.slower)} slower beyond noise")
    verdict = "WORSE: " + ", ".join(worse) if worse else "nothing got worse"
    if c.problems:
        verdict += f"; {len(c.problems)} input(s) could not be read"
    return verdict


def markdown_summary(c: Comparison) -> str:
    """A short Markdown summary: what changed, only the sections that have something."""
    env = {row.name: row for row in c.environment}
    fw = env["Firmware"]
    out = [f"### qpy-ftp-hil: {_md(fw.old)} \u2192 {_md(fw.new)}", "",
           f"**{headline(c)}** ({len(c.old)} old run(s), {len(c.new)} new run(s))", ""]
    differing = [row for row in c.environment if row.differs and row.name != "Runs"]
    if differing:
        out += ["| | old | new |", "|---|---|---|"]
        out += [f"| {row.name} | {_md(row.old)} | {_md(row.new)} |" for row in differing]
        out.append("")
    sections = [("Newly failing", c.new_failures), ("Fixed", c.of_kind(FIXED)),
                ("Still failing", c.of_kind(STILL_FAILING)),
                ("Added", [s for s in c.of_kind(ADDED) if not s.failing]),
                ("Removed", c.of_kind(REMOVED))]
    for title, items in sections:
        if not items:
            continue
        out.append(f"**{title} ({len(items)})**")
        lines = []
        for s in items:
            note = f" ({s.note})" if s.note else ""
            added = " (added)" if s.kind == ADDED else ""
            reason = f": {_md(s.reason)}" if s.kind != REMOVED else ""
            lines.append(f"- `{s.nodeid}`{added}{reason}{note}")
        out += _capped(lines) + [""]
    flagged = c.slower + c.faster
    if flagged:
        out += [f"**Throughput beyond noise ({len(flagged)})**", "",
                "| scenario | direction | size | old KiB/s | new KiB/s | change | noise |",
                "|---|---|---|---|---|---|---|"]
        rows = [f"| `{t.nodeid}` | {t.direction} | {_size(t.size)} | {t.old.text()} | "
                f"{t.new.text()} | {_pct(t)} {t.judgement.verdict} | "
                f"\u00b1{t.judgement.noise or 0:,.1f} |" for t in flagged]
        out += rows[:MARKDOWN_LIST_MAX]
        if len(rows) > MARKDOWN_LIST_MAX:
            out.append(f"| ... and {len(rows) - MARKDOWN_LIST_MAX} more | | | | | | |")
        out.append("")
    judged = len(c.throughput) - len(c.unjudged)
    if c.throughput:
        unjudged = (f", {len(c.unjudged)} not judged (not enough repeats to judge: give each "
                    "side several runs)") if c.unjudged else ""
        out.append(f"Throughput: {len(c.throughput)} series compared, {judged} against the noise "
                   f"of their repeats{unjudged}.")
    for problem in c.problems:
        out.append(f"- could not read {problem}")
    return "\n".join(out).rstrip() + "\n"
