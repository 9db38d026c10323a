"""What a run leaves for trends across builds: JSON-able records and their counts.

Records are plain dicts so they can travel between pytest-xdist processes:
the process that ran a test builds its scenario record, the process that
writes the reports fills in the outcome, the module and the ftplib, then
counts them (outcome_counts, checksum_tally) for every place that shows a count.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from harness.redact import mask, mask_imei, mask_url_credentials
from harness.scenario.checksums import Checksums

from .. import __version__

SUMMARY_SCHEMA = "qpy-ftp-hil/summary/1"
HEADLINE_MAX = 400  # characters; a headline is one line, not a traceback
# outcomes in which the scenario got what it asserted, damage included
PASSING = ("passed", "xfailed")

# -- facts about the module, the server and the run ----------------------


def module_from_property(prop: Mapping[str, Any]) -> dict[str, Any]:
    """A module as the reports show it, from the "module_info" user_property.

    fixtures/device.py sends Device.info() with the IMEI already masked
    ("imei_masked"); an "imei" is masked here all the same, so no report can
    show one in full whoever sent it.
    """
    facts = {k: v for k, v in prop.items() if k not in ("imei", "imei_masked")}
    facts["imei"] = mask_imei(str(prop.get("imei_masked") or prop.get("imei") or ""))
    facts.setdefault("worker", "main")
    return facts


def module_fields(facts: Mapping[str, Any] | None) -> dict[str, Any]:
    """The module columns of a scenario record."""
    facts = facts or {}
    return {"module": facts.get("model"), "firmware": facts.get("firmware"),
            "module_port": facts.get("port"), "module_name": facts.get("name")}


def server_facts(*, worker: str, mode: str, url: str,
                 identity: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The FTP server as the reports show it: its URL carries the user, never the password;
    identity is what it said of itself (greeting, SYST) or the dialect ours speaks."""
    return {"worker": worker, "mode": mode, "url": mask_url_credentials(url),
            **dict(identity or {})}


def git_revision(root: Path, timeout: float = 5.0) -> str:
    """Short commit of the harness checkout, '+ local changes' if it is dirty; read-only."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # status must not touch the index
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, env=env,
                              capture_output=True, text=True, timeout=timeout, check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=root, env=env, capture_output=True, text=True,
                                timeout=timeout, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout, or git is not installed)"
    dirty = " + local changes" if status.stdout.strip() else ""
    return head.stdout.strip() + dirty


@dataclass(frozen=True)
class RunFacts:
    """What is known about the run on the process that writes the reports."""

    started: datetime
    command: str
    git: str
    ftplib_option: str
    server_mode: str
    harness_version: str = __version__


# -- one test's records --------------------------------------------------


class StepOutcome(Protocol):
    """A device result as records read it (results.StepResult, transfers.OpResult)."""

    @property
    def ok(self) -> bool: ...
    @property
    def step(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def code(self) -> int | None: ...
    @property
    def reply(self) -> str: ...
    @property
    def size(self) -> int | None: ...
    @property
    def errno(self) -> int | None: ...
    @property
    def ms(self) -> int | None: ...
    def get(self, key: str, default: Any = None) -> Any: ...


class TransferEvidence(Protocol):
    """What a transfer record is made of (transfers.Transfer); the report needs no module."""

    @property
    def result(self) -> StepOutcome: ...
    @property
    def checksums(self) -> Checksums | None: ...
    @property
    def throughput_kib_s(self) -> float | None: ...
    @property
    def damage_expected(self) -> bool: ...
    @property
    def payload_source(self) -> str | None: ...
    @property
    def extra(self) -> dict[str, Any]: ...  # what the scenario noted about it, by name


def transfer_record(transfer: TransferEvidence, secrets: Iterable[str] = ()) -> dict[str, Any]:
    """One transfer as JSON: sizes, time, throughput, the server's reply, the checksums."""
    secrets = list(secrets)
    result, checks = transfer.result, transfer.checksums
    rate = transfer.throughput_kib_s if result.size else None  # no figure for 0 bytes
    return {
        "step": result.step,
        "ok": result.ok,
        # a refused transfer leaves files missing by design: its checksums are evidence,
        # not an integrity verdict
        "compared": bool(checks) and result.ok,
        # the scenario asserted that this transfer arrives damaged (Transfer.assert_damaged)
        "damage_expected": transfer.damage_expected,
        "remote": result.get("remote"),
        "payload_bytes": checks.host.size if checks else result.size,
        # generated on the module from a seed, pushed over the link, placed on the server
        "payload_source": transfer.payload_source,
        "bytes": result.size,
        "elapsed_ms": result.ms,
        "throughput_kib_s": round(rate, 1) if rate is not None else None,
        "reply": mask(result.reply, secrets) or None,
        "code": result.code,
        "errno": result.errno,
        "error": mask(result.get("error"), secrets) or None,
        "checksums": checks.as_dict() if checks else None,
        "problems": checks.problems() if checks else [],
        "result": json.loads(mask(json.dumps(result.data), secrets)),
        # what the scenario noted (a partial file it removed, when the network went, ...)
        "notes": {str(k): mask(str(v), secrets) for k, v in transfer.extra.items()},
    }


def scenario_record(*, name: str, nodeid: str, params: Mapping[str, Any],
                    transfers: Sequence[Mapping[str, Any]], worker: str,
                    server_altered: bool = False, faults: Sequence[str] = (),
                    phases: Mapping[str, float] | None = None) -> dict[str, Any]:
    """One scenario for summary.json; outcome, failure, module and ftplib come later.

    The process writing the reports fills those in: it alone sees every phase of
    the test and the module facts each worker sent once.
    """
    last = transfers[-1] if transfers else {}
    checked = [t["checksums"]["match"] for t in transfers if t.get("compared")]
    return {
        "name": name, "nodeid": nodeid, "outcome": None, "failure": None,
        "params": {k: _jsonable(v) for k, v in params.items()},
        **module_fields(None), "worker": worker, "ftplib": None,
        # quota, disk or faults changed for this scenario: its speed and damage are by design
        "server_altered": server_altered, "faults": list(faults),
        "step": last.get("step"), "payload_bytes": last.get("payload_bytes"),
        "bytes": last.get("bytes"), "elapsed_ms": last.get("elapsed_ms"),
        "throughput_kib_s": last.get("throughput_kib_s"), "reply": last.get("reply"),
        "checksums_match": all(checked) if checked else None,
        "duration_s": None, "transfers": list(transfers),
        # seconds by phase: staging payloads, the FTP transfers (device steps), checksums
        "phases_s": {k: round(v, 3) for k, v in phases.items()} if phases else None,
    }


def phase_totals(records: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Seconds per phase over every scenario: where a run's time went."""
    totals: dict[str, float] = {}
    for record in records:
        for name, seconds in (record.get("phases_s") or {}).items():
            totals[name] = round(totals.get(name, 0.0) + seconds, 3)
    return totals


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def failure_headline(message: str, *, phase: str = "call", last_step: str | None = None) -> str:
    """The one line that says what went wrong, from an exception message.

    The harness's own assertions already read well ("server sha256 differs from
    host: ..."); a bare `assert x == y` gets the module's last step added.
    """
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        lines = ["failed without a message"]
    # pytest: "AssertionError: <message lines>" then "assert <the failed check>"
    check = next((i for i, line in enumerate(lines) if line.startswith("assert ")), None)
    if check is not None and check > 1:
        # the message is a dump (a transcript, a listing): the failed check says more
        line = f"{lines[check]} (the message, {check} lines, is in the log)"
    else:
        line = lines[0].removeprefix("AssertionError: ")
    if line.startswith("assert ") and check == 0 and last_step:
        line = f"{line} (module's last step: {last_step})"
    if phase != "call":
        line = f"{phase} error: {line}"
    return line if len(line) <= HEADLINE_MAX else line[:HEADLINE_MAX - 3] + "..."


def scenario_outcome(phases: Mapping[str, str], xfail: bool = False) -> str:
    """passed / failed / error / skipped / xfailed / xpassed, from the three phases."""
    setup, call, teardown = (phases.get(w) for w in ("setup", "call", "teardown"))
    if setup == "failed":
        return "error"
    if setup == "skipped" or (call == "skipped" and not xfail):
        return "skipped"
    if xfail:
        return "xfailed" if call == "skipped" else "xpassed"
    if call == "failed":
        return "failed"
    if teardown == "failed":
        return "error"
    return "passed" if call == "passed" else "unknown"


# -- counting records: every report shows these counts, none counts its own ---


def outcome_counts(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many scenarios ended each way, outcomes in name order: {"failed": 1, "passed": 9}."""
    return dict(sorted(Counter(str(rec["outcome"]) for rec in records).items()))


def outcome_text(counts: Mapping[str, int]) -> str:
    """"1 failed, 9 passed"; '' for no scenarios."""
    return ", ".join(f"{n} {outcome}" for outcome, n in counts.items())


# why a compared transfer's checksums differ
EXPECTED = "expected"  # the scenario asserted this damage (Transfer.assert_damaged)
MEANT = "meant"  # the scenario made the server damage it (a fault, a quota) and passed
UNEXPECTED = "unexpected"  # anything else: the report's red flag


def mismatch_kind(record: Mapping[str, Any], transfer: Mapping[str, Any],
                  outcome: str | None = None) -> str | None:
    """EXPECTED, MEANT or UNEXPECTED for a compared transfer that differs; None otherwise.

    outcome overrides the record's (a worker's record has none yet).
    """
    if not transfer.get("compared") or transfer["checksums"]["match"]:
        return None
    if transfer.get("damage_expected"):
        return EXPECTED
    if record.get("server_altered") and (outcome or record.get("outcome")) in PASSING:
        return MEANT
    return UNEXPECTED


@dataclass(frozen=True)
class ChecksumTally:
    """Compared transfers: how many match, and why the others differ."""

    compared: int = 0
    match: int = 0
    expected: int = 0
    meant: int = 0
    unexpected: int = 0


def checksum_tally(records: Iterable[Mapping[str, Any]],
                   outcome: str | None = None) -> ChecksumTally:
    """The checksum verdicts of every compared transfer of the records."""
    kinds: Counter[str | None] = Counter(
        mismatch_kind(rec, t, outcome) for rec in records for t in rec.get("transfers", ())
        if t.get("compared"))
    return ChecksumTally(compared=sum(kinds.values()), match=kinds[None],
                         expected=kinds[EXPECTED], meant=kinds[MEANT],
                         unexpected=kinds[UNEXPECTED])


def summary_document(run: RunFacts, records: Sequence[Mapping[str, Any]],
                     modules: Sequence[Mapping[str, Any]],
                     servers: Sequence[Mapping[str, Any]],
                     finished: datetime) -> dict[str, Any]:
    """reports/summary.json: the run, then one record per scenario, for trends across builds."""
    return {
        "schema": SUMMARY_SCHEMA,
        "started": run.started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "harness": {"version": run.harness_version, "git": run.git},
        "command": run.command,
        "modules": list(modules),
        "ftp_servers": list(servers),
        "totals": outcome_counts(records),
        "phases_s": phase_totals(records),
        "scenarios": list(records),
    }
