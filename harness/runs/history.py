"""Many runs in a row: pass rates, throughput over builds, where failures began.

Runs are ordered by date and grouped by firmware (a group per build, groups in
the order their first run came), so a change of build is a visible boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

from . import noise
from .compare import FAILING, PASSING
from .load import Run, RunInputError, date_key, sort_runs

ABSENT = "absent"


@dataclass(frozen=True)
class FirstFailure:
    """A scenario failing in the newest run that has it, and where that streak began."""

    nodeid: str
    first: int  # column of the first run of the current failing streak
    runs: int  # how many runs (that had the scenario) it has failed in a row
    reason: str  # the newest failure's headline
    ever_passed: bool


@dataclass
class History:
    runs: list[Run]  # columns, grouped by firmware, by date within a group
    groups: list[tuple[str, list[int]]]  # firmware and its columns
    scenarios: list[str]
    outcomes: dict[tuple[str, int], str]  # (nodeid, column) -> outcome
    throughput: dict[tuple[str, int], list[float | None]]  # (direction, size) -> per column
    failing_now: list[FirstFailure]
    problems: list[RunInputError] = field(default_factory=list)

    def pass_rate(self, nodeid: str) -> tuple[int, int]:
        """(passed, ran) over the runs that had the scenario and did not skip it."""
        seen = [self.outcomes.get((nodeid, i), ABSENT) for i in range(len(self.runs))]
        ran = [o for o in seen if o in PASSING or o in FAILING]
        return sum(1 for o in ran if o in PASSING), len(ran)

    def run_pass_rate(self, column: int) -> tuple[int, int]:
        seen = [self.outcomes.get((n, column), ABSENT) for n in self.scenarios]
        ran = [o for o in seen if o in PASSING or o in FAILING]
        return sum(1 for o in ran if o in PASSING), len(ran)


def group_by_firmware(runs: Sequence[Run]) -> list[tuple[str, list[Run]]]:
    groups: dict[str, list[Run]] = {}
    for run in sort_runs(runs):
        groups.setdefault(run.firmware, []).append(run)
    return list(groups.items())


def build_history(runs: Sequence[Run], problems: Sequence[RunInputError] = ()) -> History:
    columns: list[Run] = []
    groups: list[tuple[str, list[int]]] = []
    for firmware, members in group_by_firmware(runs):
        groups.append((firmware, list(range(len(columns), len(columns) + len(members)))))
        columns += members
    outcomes: dict[tuple[str, int], str] = {}
    headlines: dict[tuple[str, int], str] = {}
    for i, run in enumerate(columns):
        for nodeid, record in run.by_nodeid().items():
            outcomes[(nodeid, i)] = str(record["outcome"])
            headlines[(nodeid, i)] = str(record.get("failure") or record["outcome"])
    scenarios = sorted({nodeid for nodeid, _ in outcomes})
    return History(columns, groups, scenarios, outcomes, _throughput(columns),
                   _failing_now(columns, scenarios, outcomes, headlines), list(problems))


def _throughput(columns: Sequence[Run]) -> dict[tuple[str, int], list[float | None]]:
    """Median KiB/s per direction and payload size in each run (None: not measured)."""
    per_run = [noise.samples(run.scenarios) for run in columns]
    keys = sorted({(direction, size) for found in per_run for _, direction, size in found})
    series: dict[tuple[str, int], list[float | None]] = {}
    for direction, size in keys:
        values: list[float | None] = []
        for found in per_run:
            rates = [r for (_, d, s), rs in found.items() if (d, s) == (direction, size)
                     for r in rs]
            values.append(round(median(rates), 1) if rates else None)
        series[(direction, size)] = values
    return series


def _failing_now(columns: Sequence[Run], scenarios: Sequence[str],
                 outcomes: dict[tuple[str, int], str],
                 headlines: dict[tuple[str, int], str]) -> list[FirstFailure]:
    # "now" is the newest run by date, whatever group it sits in
    order = sorted(range(len(columns)), key=lambda i: date_key(columns[i]))
    found = []
    for nodeid in scenarios:
        # runs that skipped the scenario neither start nor end a failing streak
        had = [i for i in order if outcomes.get((nodeid, i)) in PASSING + FAILING]
        if not had or outcomes[(nodeid, had[-1])] not in FAILING:
            continue
        streak = []
        for i in reversed(had):
            if outcomes[(nodeid, i)] not in FAILING:
                break
            streak.append(i)
        ever_passed = any(outcomes[(nodeid, i)] in PASSING for i in had)
        found.append(FirstFailure(nodeid, streak[-1], len(streak),
                                  headlines[(nodeid, had[-1])], ever_passed))
    return found
