"""Turning scenario results into what QA reads: HTML evidence, records, a chart.

Nothing here knows pytest: fixtures/reporting.py calls these helpers on the
process that ran a test (records, evidence HTML) and on the process that writes
the reports (environment rows, summary.json, the chart). Records are plain
JSON-able dicts so they can travel between pytest-xdist processes.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import __version__
from .device import mask_imei
from .transfers import Transfer

SUMMARY_SCHEMA = "qpy-ftp-hil/summary/1"
MASK = "****"
HEADLINE_MAX = 400  # characters; a headline is one line, not a traceback
KIB = 1024
MIB = 1024 * 1024

# -- text helpers --------------------------------------------------------


def mask(text: str | None, secrets: Iterable[str]) -> str:
    """Text with every secret replaced by ****; '' for None."""
    text = text or ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def mask_url_credentials(text: str) -> str:
    """scheme://user:password@host -> scheme://user:****@host (command lines, URLs)."""
    return re.sub(r"(://[^:/@\s]+):[^@/\s]+@", r"\1:" + MASK + "@", text)


def size_label(size: int) -> str:
    """Payload sizes as people name them: 0 B, 1 B, 1 KiB, 64 KiB, 1 MiB, 1500 B."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    if size >= KIB and size % KIB == 0:
        return f"{size // KIB} KiB"
    return f"{size} B"


def human_bytes(size: int | None) -> str:
    if size is None:
        return "?"
    if size >= MIB:
        return f"{size / MIB:.1f} MiB"
    if size >= KIB:
        return f"{size / KIB:.1f} KiB"
    return f"{size} B"


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


def server_facts(*, worker: str, mode: str, url: str) -> dict[str, Any]:
    """The FTP server as the reports show it: its URL carries the user, never the password."""
    return {"worker": worker, "mode": mode, "url": mask_url_credentials(url)}


def ftp_url(user: str, host: str, port: int) -> str:
    """ftp://user@host:port/ (never the password)."""
    host = f"[{host}]" if ":" in host else host
    return f"ftp://{quote(user, safe='')}@{host}:{port}/"


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


def _module_row(m: Mapping[str, Any]) -> dict[str, str]:
    free, total = m.get("usr_free"), m.get("usr_total")
    return {
        "Module model": str(m.get("model") or "unknown"),
        "Firmware": str(m.get("firmware") or "unknown (modem.getDevFwVersion failed)"),
        "IMEI": str(m.get("imei") or "unknown"),
        "MicroPython": str(m.get("micropython") or "unknown"),
        "/usr free": (f"{human_bytes(free)} of {human_bytes(total)} ({free:,} bytes free)"
                      if isinstance(free, int) and isinstance(total, int) else "unknown"),
        "Serial port": _port_text(m),
    }


def _port_text(m: Mapping[str, Any]) -> str:
    text = str(m.get("port"))
    if m.get("resolved_port") and m.get("resolved_port") != m.get("port"):
        text += f" -> {m['resolved_port']}"  # [ports] a stable name and what it opened
    if m.get("name") and m.get("name") != m.get("port"):
        text += f" ({m['name']})"
    return text + (", a virtual module" if m.get("emulated") else "")


def environment_rows(run: RunFacts, modules: Sequence[Mapping[str, Any]],
                     servers: Sequence[Mapping[str, Any]],
                     ftplibs: Sequence[str] = ()) -> dict[str, Any]:
    """Rows of the report's environment table, in reading order; plain text values.

    One module: a row per fact. Several (one per pytest-xdist worker): a row per module.
    """
    rows: dict[str, Any] = {}
    if not modules:
        rows["Module"] = "none used (no test in this run needed the module)"
    elif len(modules) == 1:
        rows.update(_module_row(modules[0]))
    else:
        per_module = [_module_row(m) for m in sorted(modules, key=lambda m: str(m["worker"]))]
        # what all modules share is said once, at the top, where QA looks for the firmware
        shared = [k for k in ("Module model", "Firmware", "MicroPython")
                  if len({row[k] for row in per_module}) == 1]
        rows.update({k: per_module[0][k] for k in shared})
        rows["Modules"] = f"{len(modules)}, one per pytest-xdist worker"
        for m, row in zip(sorted(modules, key=lambda m: str(m["worker"])), per_module,
                          strict=True):
            rows[f"Module on {m['worker']}"] = {k: v for k, v in row.items() if k not in shared}
    rows["FTP library"] = ", ".join(ftplibs) if ftplibs else f"--ftplib={run.ftplib_option}"
    urls = sorted({str(s["url"]) for s in servers})
    mode = servers[0]["mode"] if servers else run.server_mode
    rows["FTP server"] = f"{mode}: {', '.join(urls)}" if urls else f"{mode} (not started)"
    rows["Harness version"] = f"qpy-ftp-hil {run.harness_version}"
    rows["Git revision"] = run.git
    rows["Date"] = run.started.strftime("%Y-%m-%d %H:%M:%S %z").strip()
    rows["Command"] = run.command
    return rows


# -- one test's records --------------------------------------------------


def transfer_record(transfer: Transfer, secrets: Iterable[str] = ()) -> dict[str, Any]:
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
        "remote": result.get("remote"),
        "payload_bytes": checks.host.size if checks else result.size,
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
    }


def scenario_record(*, name: str, nodeid: str, params: Mapping[str, Any],
                    transfers: Sequence[Mapping[str, Any]], worker: str,
                    server_altered: bool = False, faults: Sequence[str] = ()) -> dict[str, Any]:
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
    }


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


def summary_document(run: RunFacts, records: Sequence[Mapping[str, Any]],
                     modules: Sequence[Mapping[str, Any]],
                     servers: Sequence[Mapping[str, Any]],
                     finished: datetime) -> dict[str, Any]:
    """reports/summary.json: the run, then one record per scenario, for trends across builds."""
    totals: dict[str, int] = {}
    for rec in records:
        totals[str(rec["outcome"])] = totals.get(str(rec["outcome"]), 0) + 1
    return {
        "schema": SUMMARY_SCHEMA,
        "started": run.started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "harness": {"version": run.harness_version, "git": run.git},
        "command": run.command,
        "modules": list(modules),
        "ftp_servers": list(servers),
        "totals": totals,
        "scenarios": list(records),
    }


# -- HTML evidence -------------------------------------------------------


def details_html(title: str, body: str, *, open_: bool = False, kind: str = "") -> str:
    """A collapsible block: QA opens it when the headline is not enough."""
    return '<details class="hil-details %s"%s><summary>%s</summary><pre>%s</pre></details>' % (
        html.escape(kind), " open" if open_ else "", html.escape(title), html.escape(body))


def headline_html(headline: str) -> str:
    return '<div class="hil-headline">&#10007; %s</div>' % html.escape(headline)


def params_html(params: Mapping[str, Any], ftplib: str | None = None) -> str:
    rows = [(str(k), str(v)) for k, v in params.items() if k != "ftplib_kind"]
    if ftplib:
        rows.append(("ftplib", ftplib))
    if not rows:
        return ""
    cells = "".join("<tr><th>%s</th><td>%s</td></tr>" % (html.escape(k), html.escape(v))
                    for k, v in rows)
    return '<table class="hil-params">%s</table>' % cells


def transfer_html(t: Mapping[str, Any]) -> str:
    """One transfer: what moved, how fast, the server's reply, and the three checksums."""
    facts = [f"<b>{html.escape(str(t['step']))}</b>"]
    if t.get("payload_bytes") is not None:
        facts.append(f"payload {size_label(t['payload_bytes'])}")
    if t.get("bytes") is not None:
        facts.append(f"{t['bytes']:,} bytes moved")
    if t.get("elapsed_ms") is not None:
        facts.append(f"{t['elapsed_ms']:,} ms")
    if t.get("throughput_kib_s") is not None:
        facts.append(f"{t['throughput_kib_s']:,.1f} KiB/s")
    facts.append("reply <code>%s</code>" % html.escape(t.get("reply") or "none"))
    if not t.get("ok"):
        facts.append('<span class="hil-bad">step failed: %s</span>'
                     % html.escape(t.get("error") or t.get("reply") or "no detail"))
    head = '<div class="hil-transfer-head">%s</div>' % " &middot; ".join(facts)
    sums = checksums_html(t.get("checksums"), compared=bool(t.get("compared")))
    return '<div class="hil-transfer">%s%s</div>' % (head, sums)


def checksums_html(checks: Mapping[str, Any] | None, compared: bool = True) -> str:
    """host / module / server sha256 side by side, each one marked match or mismatch."""
    if not checks:
        return '<div class="hil-note">no checksums for this step (nothing to compare)</div>'
    host = checks["host"]
    if not compared:
        verdict = "not compared: the step failed, so no complete file was expected"
        state = "n/a"
    elif checks["match"]:
        verdict, state = '<span class="hil-ok">&#10003; all three match</span>', "true"
    else:
        verdict, state = '<span class="hil-bad">&#10007; MISMATCH</span>', "false"
    rows = [_digest_row("host (sent)" if checks["direction"] == "upload" else "host (expected)",
                        host, "reference", "")]
    for place, key in (("module", "device"), ("server", "server")):
        digest = checks.get(key)
        if digest is None:
            rows.append(_digest_row(place, None, "&#10007; no file", "hil-bad"))
        elif digest == host:
            rows.append(_digest_row(place, digest, "&#10003; match", "hil-ok"))
        else:
            rows.append(_digest_row(place, digest, "&#10007; differs", "hil-bad"))
    return ('<table class="hil-checksums" data-match="%s"><caption>checksums (%s): %s</caption>'
            "<tr><th>where</th><th>sha256</th><th>bytes</th><th>verdict</th></tr>%s</table>"
            % (state, html.escape(checks["direction"]), verdict, "".join(rows)))


def _digest_row(place: str, digest: Mapping[str, Any] | None, verdict: str, css: str) -> str:
    sha = html.escape(digest["sha256"]) if digest else "&mdash;"
    size = f"{digest['bytes']:,}" if digest else "&mdash;"
    return ('<tr class="%s"><td>%s</td><td><code>%s</code></td><td>%s</td><td>%s</td></tr>'
            % (css, html.escape(place), sha, size, verdict))


def table_cells(record: Mapping[str, Any] | None, headline: str | None = None,
                outcome: str | None = None) -> list[str]:
    """The extra results-table cells: bytes, throughput, checksums, reply or what went wrong."""
    failure = headline_html(headline) if headline else ""
    if not record:
        return ['<td class="col-hil-bytes"></td>', '<td class="col-hil-rate"></td>',
                '<td class="col-hil-sums"></td>', '<td class="col-hil-reply">%s</td>' % failure]
    size = record.get("bytes")
    rate = record.get("throughput_kib_s")
    match = record.get("checksums_match")
    if match is None:
        sums = ""
    elif match:
        sums = '<span class="hil-ok">&#10003; match</span>'
    elif _differs_on_purpose(record, outcome):
        sums = '<span class="hil-meant">&ne; differs, as the fault meant</span>'
    else:
        sums = '<span class="hil-bad">&#10007; mismatch</span>'

    return [
        '<td class="col-hil-bytes">%s</td>' % ("" if size is None else f"{size:,}"),
        '<td class="col-hil-rate">%s</td>' % ("" if rate is None else f"{rate:,.1f}"),
        '<td class="col-hil-sums">%s</td>' % sums,
        '<td class="col-hil-reply">%s%s</td>' % (html.escape(record.get("reply") or ""),
                                                 failure),
    ]


TABLE_HEADERS = ["<th>Bytes</th>", "<th>KiB/s</th>", "<th>Checksums</th>",
                 "<th>Server reply / what went wrong</th>"]

REPORT_CSS = """
.hil-headline{color:#b00020;font-weight:bold;font-family:monospace;margin:4px 0 8px;
  white-space:pre-wrap}
.col-hil-reply .hil-headline{font-weight:normal;font-size:12px;margin:2px 0 0;pointer-events:none}
.hil-ok{color:#1b7f3b;font-weight:bold}.hil-bad{color:#b00020;font-weight:bold}
.hil-meant{color:#8a6d00}
.hil-note{color:#666;font-style:italic;margin:4px 0}
table.hil-params,table.hil-checksums,table.hil-overview{border-collapse:collapse;margin:6px 0}
.hil-params th,.hil-params td,.hil-checksums th,.hil-checksums td,.hil-overview td{
  border:1px solid #ddd;padding:2px 8px;text-align:left;font-size:12px}
.hil-checksums caption{text-align:left;font-size:12px;padding:2px 0}
.hil-checksums tr.hil-bad td{background:#fdecee}.hil-checksums tr.hil-ok td{background:#eef8f1}
.hil-checksums code{font-size:11px;word-break:break-all}
.hil-transfer{border-left:3px solid #999;padding:2px 8px;margin:8px 0}
.hil-details{margin:4px 0}.hil-details summary{cursor:pointer;font-weight:bold}
.hil-details pre{max-height:480px;overflow:auto;background:#f6f6f6;padding:6px;font-size:11px}
.hil-chart{max-width:100%;height:auto;margin:8px 0}
.col-hil-bytes,.col-hil-rate{text-align:right;white-space:nowrap}
.col-hil-reply{min-width:14em}.col-hil-sums{white-space:nowrap}
"""


def overview_html(records: Sequence[Mapping[str, Any]], files: Mapping[str, str]) -> str:
    """The top of the summary: scenario counts, checksum verdicts, where the other reports are."""
    counts: dict[str, int] = {}
    for rec in records:
        counts[str(rec["outcome"])] = counts.get(str(rec["outcome"]), 0) + 1
    compared = [(rec, t) for rec in records for t in rec.get("transfers", ())
                if t.get("compared")]
    differ = [rec for rec, t in compared if not t["checksums"]["match"]]
    meant = sum(1 for rec in differ if _differs_on_purpose(rec))
    outcome_text = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none"
    if not compared:
        sums = "no transfers compared"
    elif not differ:
        sums = f'<span class="hil-ok">all {len(compared)} compared transfers match</span>'
    else:
        unexpected = len(differ) - meant
        sums = f"{len(compared)} compared transfers: {len(compared) - len(differ)} match, "
        if meant:
            sums += (f"{meant} differ on purpose (the server was made to damage them, and "
                     "the scenario caught it), ")
        css = "hil-bad" if unexpected else "hil-ok"
        sums += f'<span class="{css}">{unexpected} differ unexpectedly</span>'

    links = ", ".join('<a href="%s">%s</a>' % (html.escape(href), html.escape(name))
                      for name, href in files.items())
    rows = [("Scenarios", html.escape(f"{len(records)}: {outcome_text}")),
            ("Checksums (host / module / server)", sums)]
    if links:
        rows.append(("Beside this file", links))
    return '<table class="hil-overview">%s</table>' % "".join(
        f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)


def report_title(modules: Sequence[Mapping[str, Any]],
                 records: Sequence[Mapping[str, Any]]) -> str:
    """The page title: which firmware, and how it went, before anything else is read."""
    builds = sorted({f"{m.get('model')} {m.get('firmware')}" for m in modules})
    counts: dict[str, int] = {}
    for rec in records:
        counts[str(rec["outcome"])] = counts.get(str(rec["outcome"]), 0) + 1
    parts = ["qpy-ftp-hil", ", ".join(builds) or "no module"]
    if counts:
        parts.append(", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return " \u00b7 ".join(parts)


def _differs_on_purpose(record: Mapping[str, Any], outcome: str | None = None) -> bool:
    """A mismatch the scenario asked for: it altered the server and then passed."""
    outcome = outcome or record.get("outcome")
    return bool(record.get("server_altered")) and outcome in ("passed", "xfailed")


# -- the chart -----------------------------------------------------------


@dataclass(frozen=True)
class ChartPoint:
    series: str  # "upload", "download" (prefixed by the module when there are several)
    size: int  # payload bytes
    kib_s: float
    failed: bool


def throughput_points(records: Sequence[Mapping[str, Any]]) -> list[ChartPoint]:
    """Every transfer that says how fast the module is (a 0-byte payload says nothing)."""
    # a refused transfer has no throughput worth plotting
    # nor does a transfer through a throttled or faulty server say how fast the module is
    plotted = [(rec, t) for rec in records if not rec.get("server_altered")
               for t in rec.get("transfers", ())
               if t.get("ok") and t.get("throughput_kib_s") is not None]
    # modules of one model and firmware are one population; different ones are compared
    builds = {(rec.get("module"), rec.get("firmware")) for rec, _t in plotted}
    points = []
    for rec, t in plotted:
        series = str(t["step"])
        if len(builds) > 1:
            series = f"{rec.get('module')} {rec.get('firmware')} {series}"
        size = t["payload_bytes"] if t.get("payload_bytes") is not None else t["bytes"]
        points.append(ChartPoint(series, int(size), float(t["throughput_kib_s"]),
                                 rec.get("outcome") not in ("passed", "xfailed")))
    return points


_PALETTE = {"upload": "#2f6fb0", "download": "#2e9d5b"}
_MORE_COLOURS = ["#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#c0392b", "#2c3e50"]


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _series_order(names: Iterable[str]) -> list[str]:
    rank = {"upload": 0, "download": 1}
    return sorted(set(names), key=lambda s: (rank.get(s.split()[-1], 2), s))


def throughput_chart_svg(points: Sequence[ChartPoint], width: int = 760,
                         height: int = 320) -> str:
    """Inline SVG: mean throughput by payload size, one bar per direction; '' with no data.

    Bars of scenarios that did not pass get a red outline and a cross, so a fast
    but wrong transfer does not look like a good one.
    """
    if not points:
        return ""
    sizes = sorted({p.size for p in points})
    series = _series_order(p.series for p in points)
    colours = {s: _PALETTE.get(s, _MORE_COLOURS[i % len(_MORE_COLOURS)])
               for i, s in enumerate(series)}
    cells: dict[tuple[str, int], list[ChartPoint]] = {}
    for p in points:
        cells.setdefault((p.series, p.size), []).append(p)
    top = max(sum(p.kib_s for p in group) / len(group) for group in cells.values())
    step = _nice_step(top if top > 0 else 1.0)
    y_max = step * max(1, math.ceil(top / step))
    left, right, up, down = 70, 16, 44, 58
    plot_w, plot_h = width - left - right, height - up - down
    group_w = plot_w / len(sizes)
    bar_w = min(56.0, group_w * 0.8 / len(series))

    def y_of(value: float) -> float:
        return up + plot_h - plot_h * value / y_max

    out = [f'<svg class="hil-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           'font-family="sans-serif" font-size="12">',
           "<title>Throughput by payload size and direction</title>",
           f'<text x="{left}" y="18" font-size="14" font-weight="bold">'
           "Throughput on the module by payload size (KiB/s)</text>"]
    ticks = int(round(y_max / step))
    for i in range(ticks + 1):
        value = step * i
        y = y_of(value)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                   'stroke="#e3e3e3"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
    for gi, size in enumerate(sizes):
        x0 = left + gi * group_w + (group_w - bar_w * len(series)) / 2
        for si, name in enumerate(series):
            group = cells.get((name, size))
            if not group:
                continue
            value = sum(p.kib_s for p in group) / len(group)
            failed = any(p.failed for p in group)
            x, y = x0 + si * bar_w, y_of(value)
            tip = html.escape(f"{name} {size_label(size)}: {value:,.1f} KiB/s "
                              f"({len(group)} run{'s' if len(group) > 1 else ''})"
                              + (", a scenario did not pass" if failed else ""))
            outline = ' stroke="#b00020" stroke-width="3"' if failed else ""
            out.append(f'<rect class="hil-bar" data-series="{html.escape(name)}" '
                       f'data-size="{size}" x="{x + 2:.1f}" y="{y:.1f}" width="{bar_w - 4:.1f}" '
                       f'height="{up + plot_h - y:.1f}" fill="{colours[name]}"{outline}>'
                       f"<title>{tip}</title></rect>")
            label = f"{value:,.0f}" + (" \u2717" if failed else "")
            fill = "#b00020" if failed else "#333"
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                       f'font-size="11" fill="{fill}">{html.escape(label)}</text>')
        out.append(f'<text x="{left + gi * group_w + group_w / 2:.1f}" '
                   f'y="{up + plot_h + 18}" text-anchor="middle">{size_label(size)}</text>')
    out.append(f'<line x1="{left}" y1="{up + plot_h}" x2="{width - right}" y2="{up + plot_h}" '
               'stroke="#333"/>')
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 22}" text-anchor="middle">'
               "payload size</text>")
    lx = left
    for name in series:
        out.append(f'<rect x="{lx}" y="{height - 14}" width="12" height="12" '
                   f'fill="{colours[name]}"/>')
        out.append(f'<text x="{lx + 16}" y="{height - 4}">{html.escape(name)}</text>')
        lx += 24 + 8 * len(name)
    out.append(f'<text x="{width - right}" y="{height - 4}" text-anchor="end" fill="#b00020">'
               "red outline: scenario did not pass</text>")
    out.append("</svg>")
    return "".join(out)


# -- checking what was written -------------------------------------------


@dataclass(frozen=True)
class SecretHit:
    path: Path
    form: str  # "plain" or "base64" (pytest-html embeds text extras as base64 data: URIs)


def _base64_needles(secret: bytes) -> list[bytes]:
    """The base64 text a secret becomes at each of the three byte alignments."""
    needles = []
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + secret)
        start = -(-offset * 8 // 6)  # first character made only of the secret's bits
        end = (offset + len(secret)) * 8 // 6
        needles.append(encoded[start:end])
    return needles


def scan_for_secrets(roots: Iterable[Path], secrets: Iterable[str]) -> list[SecretHit]:
    """Every file under roots that holds a secret, plainly or base64-encoded."""
    wanted = [s.encode() for s in secrets if s]
    hits = []
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            data = path.read_bytes()
            for secret in wanted:
                if secret in data:
                    hits.append(SecretHit(path, "plain"))
                elif any(n in data for n in _base64_needles(secret)):
                    hits.append(SecretHit(path, "base64"))
    return hits


def pytest_html_data(report_html: str) -> dict[str, Any]:
    """The JSON blob a pytest-html 4 report renders from (environment, tests, logs, extras)."""
    found = re.search(r'data-jsonblob="([^"]*)"', report_html)
    if found is None:
        raise ValueError("no data-jsonblob in this HTML: not a pytest-html 4 report?")
    return json.loads(html.unescape(found.group(1)))


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else text
