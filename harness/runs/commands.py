"""`python -m harness compare` and `python -m harness history`, minus argument parsing."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .compare import compare_runs, markdown_summary
from .history import build_history
from .html import compare_page, history_page
from .load import load_inputs

BAD_INPUT = 2


def _write(path: Path, text: str, err: TextIO) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"{path}: cannot write ({exc.strerror or exc})", file=err)
        return False
    return True


def compare_command(old: Path, new: Path, html: Path | None, markdown: Path | None,
                    out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Markdown to stdout (and --markdown), the page to --html; the exit code gates CI.

    0: nothing got worse; 1: a scenario newly fails or a throughput drop is beyond
    noise; 2: an input could not be read (what could be read is still compared).
    """
    old_runs, old_problems = load_inputs([old])
    new_runs, new_problems = load_inputs([new])
    problems = old_problems + new_problems
    for problem in problems:
        print(problem, file=err)
    if not old_runs or not new_runs:
        side = "OLD" if not old_runs else "NEW"
        print(f"{old if side == 'OLD' else new}: no readable run for {side}", file=err)
        return BAD_INPUT
    comparison = compare_runs(old_runs, new_runs, problems)
    text = markdown_summary(comparison)
    out.write(text)
    written = True
    if markdown is not None:
        written = _write(markdown, text, err)
    if html is not None:
        written = _write(html, compare_page(comparison), err) and written
    return comparison.exit_code if written else BAD_INPUT


def history_command(paths: Sequence[Path], html: Path, out: TextIO = sys.stdout,
                    err: TextIO = sys.stderr) -> int:
    """The history page of every readable run; 2 only if none could be read."""
    runs, problems = load_inputs(paths)
    for problem in problems:
        print(problem, file=err)
    if not runs:
        print("no readable run in %s" % ", ".join(str(p) for p in paths), file=err)
        return BAD_INPUT
    history = build_history(runs, problems)
    if not _write(html, history_page(history), err):
        return BAD_INPUT
    print(f"{html}: {len(history.runs)} runs, {len(history.groups)} firmware builds, "
          f"{len(history.failing_now)} scenarios failing now", file=out)
    return 0
