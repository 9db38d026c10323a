"""Do the two engines of the virtual module give the same verdicts?

    python .ci/compare_engines.py CPYTHON_SUMMARY.json MICROPYTHON_SUMMARY.json

Reads the two runs' summary.json files (harness.runs.load) and prints
"verdicts agree: N of N"; every scenario whose outcome differs (or that only
one run has) gets a line with both outcomes and the failure's headline.
Exit status 1 if any verdict differs, 2 if a file cannot be read.

A pass and an expected failure are one verdict: the scenario got what it asserts (an
xfail is a known limit of an ftplib, reported with its reason), and the engines'
"firmware" ftplibs differ by design (CPython's on the cpython engine, ours frozen
into the micropython one), so one may pass where the other meets its known limit.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.report.records import PASSING
from harness.runs import RunInputError, load_run


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        first, second = (load_run(Path(arg)) for arg in argv)
    except RunInputError as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 2
    a, b = first.by_nodeid(), second.by_nodeid()
    nodeids = sorted(a.keys() | b.keys())
    differ = [n for n in nodeids if _verdict(a.get(n)) != _verdict(b.get(n))]
    print("verdicts agree: %d of %d" % (len(nodeids) - len(differ), len(nodeids)))
    for nodeid in differ:
        sides = []
        for run, records in ((first, a), (second, b)):
            record = records.get(nodeid)
            outcome = record["outcome"] if record else "absent"
            why = (record or {}).get("failure") or ""
            sides.append("%s %s%s" % (run.name, outcome, ": %s" % why if why else ""))
        print("  %s\n    %s" % (nodeid, "\n    ".join(sides)))
    return 1 if differ else 0


def _verdict(record: dict | None) -> str | None:
    outcome = (record or {}).get("outcome")
    return "passing" if outcome in PASSING else outcome


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
