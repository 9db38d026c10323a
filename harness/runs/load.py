"""Reading runs: summary.json files, report folders, and folders full of either.

Every bad input becomes one line that names the file and says what is wrong;
the inputs that are fine are still read, so one truncated artifact never hides
the rest of a history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

# the summary.json layout this package reads; a newer harness bumps the number
ACCEPTED_SCHEMA = "qpy-ftp-hil/summary/1"
SUMMARY_NAME = "summary.json"


class RunInputError(Exception):
    """An input that is not a run this package can read: '<file>: <what is wrong>'."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(f"{path}: {what}")
        self.path = path
        self.what = what


@dataclass(frozen=True)
class Run:
    """One run, as its summary.json tells it."""

    path: Path
    started: datetime
    document: Mapping[str, Any]

    @property
    def scenarios(self) -> list[Mapping[str, Any]]:
        return list(self.document["scenarios"])

    @property
    def name(self) -> str:
        """What to call the run: its file (runs/1234.json) or its report folder."""
        if self.path.name == SUMMARY_NAME:
            return self.path.parent.name or str(self.path.parent)
        return self.path.stem

    @property
    def firmware(self) -> str:
        """'<model> <firmware>' of every module the run used, e.g. 'EC600U EC600UCNLBR03A01M08'."""
        builds = {(m.get("model"), m.get("firmware")) for m in self.document.get("modules", ())
                  if isinstance(m, Mapping)}
        if not builds:  # no module list: the records still name it
            builds = {(r.get("module"), r.get("firmware")) for r in self.scenarios
                      if r.get("firmware")}
        return ", ".join(sorted(f"{model or '?'} {fw or '?'}" for model, fw in builds)) \
            or "unknown firmware"

    def by_nodeid(self) -> dict[str, Mapping[str, Any]]:
        return {str(r["nodeid"]): r for r in self.scenarios}


def _cut_off(text: str) -> bool:
    """Whether the text stops inside a string or an open object or list: a copy cut off
    (a full disk, a cancelled CI job), not a broken one. Not "does not end with a brace":
    a copy cut just after a record's closing brace does."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return in_string or depth > 0


def load_run(path: Path) -> Run:
    """One summary.json (or a report folder holding one); RunInputError if it is not usable."""
    if path.is_dir():
        if not (path / SUMMARY_NAME).is_file():
            raise RunInputError(path, f"folder without {SUMMARY_NAME}")
        path = path / SUMMARY_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunInputError(path, "no such file or folder") from None
    except UnicodeDecodeError:
        raise RunInputError(path, "not UTF-8 text, so not a summary.json") from None
    except OSError as exc:
        raise RunInputError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not text.strip():
        raise RunInputError(path, "empty file (the run may have been cut off)")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        what = "truncated JSON" if _cut_off(text) else "invalid JSON"
        raise RunInputError(path, f"{what} at line {exc.lineno} column {exc.colno}: "
                                  f"{exc.msg}") from None
    return Run(path, _check(path, document), document)


def _check(path: Path, document: Any) -> datetime:
    """The run's start, once the document is known to be the schema this package reads."""
    if not isinstance(document, dict):
        raise RunInputError(path, f"a JSON {type(document).__name__}, not a summary object")
    schema = document.get("schema")
    if schema is None:
        raise RunInputError(path, "no 'schema' field: not a qpy-ftp-hil summary.json")
    if schema != ACCEPTED_SCHEMA:
        raise RunInputError(path, f"schema {schema!r}; this harness reads {ACCEPTED_SCHEMA!r}")
    try:
        started = datetime.fromisoformat(str(document.get("started")))
    except ValueError:
        raise RunInputError(path, f"'started' is {document.get('started')!r}, "
                                  "not an ISO date") from None
    scenarios = document.get("scenarios")
    if not isinstance(scenarios, list):
        raise RunInputError(path, "'scenarios' is missing or not a list")
    for i, record in enumerate(scenarios):
        if not isinstance(record, dict) or not isinstance(record.get("nodeid"), str) \
                or not isinstance(record.get("outcome"), str):
            raise RunInputError(path, f"scenario #{i + 1} has no 'nodeid' or 'outcome'")
    return started


def summary_files(path: Path) -> tuple[list[Path], list[RunInputError]]:
    """The runs one command-line argument stands for.

    A file is one run; a report folder (it holds summary.json) is one run; any
    other folder holds runs: its *.json files and its report sub-folders.
    """
    if not path.exists():
        return [], [RunInputError(path, "no such file or folder")]
    if path.is_file() or (path / SUMMARY_NAME).is_file():
        return [path], []
    found: list[Path] = []
    problems: list[RunInputError] = []
    for child in sorted(path.iterdir()):
        if child.is_file() and child.suffix == ".json":
            found.append(child)
        elif child.is_dir():
            if (child / SUMMARY_NAME).is_file():
                found.append(child)
            else:
                problems.append(RunInputError(child, f"folder without {SUMMARY_NAME}"))
    if not found and not problems:
        problems.append(RunInputError(path, f"folder without {SUMMARY_NAME} or run files"))
    return found, problems


def load_inputs(paths: Iterable[Path]) -> tuple[list[Run], list[RunInputError]]:
    """Every readable run under the given paths, oldest first, and a problem per bad one."""
    runs: list[Run] = []
    problems: list[RunInputError] = []
    for path in paths:
        files, bad = summary_files(path)
        problems += bad
        for file in files:
            try:
                runs.append(load_run(file))
            except RunInputError as exc:
                problems.append(exc)
    return sort_runs(runs), problems


def sort_runs(runs: Sequence[Run]) -> list[Run]:
    return sorted(runs, key=date_key)


def date_key(run: Run) -> tuple[float, str]:
    # a date without a zone is taken as local time, so naive and aware dates both sort
    return run.started.timestamp(), str(run.path)
