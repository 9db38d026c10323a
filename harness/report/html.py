"""The report's HTML pieces: evidence blocks, results-table cells, the overview, the title.

fixtures/reporting.py places them into pytest-html's page; every value that
comes from a run is escaped here. The styles are report.css, inlined as
REPORT_CSS, so report.html stays one self-contained file.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from .records import RunFacts, checksum_tally, outcome_counts, outcome_text, phase_totals
from .units import human_bytes, size_label

REPORT_CSS = resources.files(__package__).joinpath("report.css").read_text(encoding="utf-8")

TABLE_HEADERS = ["<th>Bytes</th>", "<th>KiB/s</th>", "<th>Checksums</th>",
                 "<th>Server reply / what went wrong</th>"]

# -- the environment table -----------------------------------------------


def _module_row(m: Mapping[str, Any]) -> dict[str, str]:
    free, total = m.get("usr_free"), m.get("usr_total")
    row = {
        "Module model": str(m.get("model") or "unknown"),
        "Firmware": str(m.get("firmware") or "unknown (modem.getDevFwVersion failed)"),
        "IMEI": str(m.get("imei") or "unknown"),
        "MicroPython": str(m.get("micropython") or "unknown"),
        "/usr free": (f"{human_bytes(free)} of {human_bytes(total)} ({free:,} bytes free)"
                      if isinstance(free, int) and isinstance(total, int) else "unknown"),
        "Serial port": _port_text(m),
        # precompiled .mpy, or .py and why (a module that refused .mpy says so here)
        "Device scripts": str(m.get("device_scripts") or "unknown"),
    }
    if m.get("engine"):  # a virtual module: who ran the device code
        row["Engine"] = str(m["engine"])
    if m.get("network"):  # its address, carrier NAT, the link the waits were stretched by
        row["Network"] = str(m["network"])
    return row


def _port_text(m: Mapping[str, Any]) -> str:
    text = str(m.get("port"))
    if m.get("resolved_port") and m.get("resolved_port") != m.get("port"):
        text += f" -> {m['resolved_port']}"  # a stable name (usb:, hwgrep://) and what it opened
    if m.get("name") and m.get("name") != m.get("port"):
        text += f" ({m['name']})"
    return text + (", a virtual module" if m.get("emulated") else "")


# what a server said of itself (records.server_facts' identity) -> its row
SERVER_IDENTITY = (("dialect", "FTP dialect"), ("greeting", "FTP server greeting"),
                   ("system", "FTP server SYST"))


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
        shared = [k for k in ("Module model", "Firmware", "MicroPython", "Engine")
                  if len({row.get(k) for row in per_module}) == 1 and k in per_module[0]]
        rows.update({k: per_module[0][k] for k in shared})
        rows["Modules"] = f"{len(modules)}, one per pytest-xdist worker"
        for m, row in zip(sorted(modules, key=lambda m: str(m["worker"])), per_module,
                          strict=True):
            rows[f"Module on {m['worker']}"] = {k: v for k, v in row.items() if k not in shared}
    rows["FTP library"] = ", ".join(ftplibs) if ftplibs else f"--ftplib={run.ftplib_option}"
    urls = sorted({str(s["url"]) for s in servers})
    mode = servers[0]["mode"] if servers else run.server_mode
    rows["FTP server"] = f"{mode}: {', '.join(urls)}" if urls else f"{mode} (not started)"
    for key, label in SERVER_IDENTITY:
        said = sorted({str(s[key]) for s in servers if s.get(key)})
        if said:  # a multi-line greeting on one line, as the table shows it
            rows[label] = " | ".join(text.replace("\n", " / ") for text in said)
    rows["Harness version"] = f"qpy-ftp-hil {run.harness_version}"
    rows["Git revision"] = run.git
    rows["Date"] = run.started.strftime("%Y-%m-%d %H:%M:%S %z").strip()
    rows["Command"] = run.command
    return rows


# -- one test's evidence -------------------------------------------------


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
    source = ('<div class="hil-note">payload: %s</div>' % html.escape(t["payload_source"])
              if t.get("payload_source") else "")
    source += "".join('<div class="hil-note">%s: %s</div>' % (html.escape(k), html.escape(v))
                      for k, v in (t.get("notes") or {}).items())
    sums = checksums_html(t.get("checksums"), compared=bool(t.get("compared")),
                          damage_expected=bool(t.get("damage_expected")))
    return '<div class="hil-transfer">%s%s%s</div>' % (head, source, sums)


def phases_html(phases: Mapping[str, float] | None) -> str:
    """Where the scenario's time went: staging, the FTP transfer, the checks."""
    if not phases:
        return ""
    parts = ["%s %.2f s" % (html.escape(name), seconds) for name, seconds in phases.items()]
    return '<div class="hil-note hil-phases">time by phase: %s</div>' % " &middot; ".join(parts)


def checksums_html(checks: Mapping[str, Any] | None, compared: bool = True,
                   damage_expected: bool = False) -> str:
    """host / module / server sha256 side by side, each one marked match or mismatch."""
    if not checks:
        return '<div class="hil-note">no checksums for this step (nothing to compare)</div>'
    host = checks["host"]
    if not compared:
        verdict = "not compared: the step failed, so no complete file was expected"
        state = "n/a"
    elif checks["match"]:
        verdict, state = '<span class="hil-ok">&#10003; all three match</span>', "true"
    elif damage_expected:
        verdict = '<span class="hil-meant">&ne; differs, as the scenario expects</span>'
        state = "false"
    else:
        verdict, state = '<span class="hil-bad">&#10007; MISMATCH</span>', "false"
    rows = [_digest_row("host (sent)" if checks["direction"] == "upload" else "host (expected)",
                        host, "reference", "")]
    notes = checks.get("notes") or {}
    for place, key in (("module", "device"), ("server", "server")):
        digest = checks.get(key)
        # a place may have to hold other bytes than the host's whole (resumed, appended,
        # text after CRLF -> LF): compared with those, and the rule is shown
        must = checks.get(key + "_must")
        expected = {"sha256": must["sha256"], "bytes": must["bytes"]} if must else host
        said = [html.escape(text) for text in ((must or {}).get("rule"), notes.get(place))
                if text]
        why = "<br><small>%s</small>" % "; ".join(said) if said else ""
        if digest is None:
            rows.append(_digest_row(place, None, "&#10007; no file" + why, "hil-bad"))
        elif digest == expected:
            rows.append(_digest_row(place, digest, "&#10003; match" + why, "hil-ok"))
        else:
            rows.append(_digest_row(place, digest, "&#10007; differs" + why, "hil-bad"))
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
    tally = checksum_tally([record], outcome)
    if match is None:
        sums = ""
    elif match:
        sums = '<span class="hil-ok">&#10003; match</span>'
    elif tally.unexpected:
        sums = '<span class="hil-bad">&#10007; mismatch</span>'
    elif tally.meant:
        sums = '<span class="hil-meant">&ne; differs, as the fault meant</span>'
    else:
        sums = '<span class="hil-meant">&ne; differs, as the scenario expects</span>'
    return [
        '<td class="col-hil-bytes">%s</td>' % ("" if size is None else f"{size:,}"),
        '<td class="col-hil-rate">%s</td>' % ("" if rate is None else f"{rate:,.1f}"),
        '<td class="col-hil-sums">%s</td>' % sums,
        '<td class="col-hil-reply">%s%s</td>' % (html.escape(record.get("reply") or ""),
                                                 failure),
    ]


# -- the top of the page -------------------------------------------------


def overview_html(records: Sequence[Mapping[str, Any]], files: Mapping[str, str]) -> str:
    """The top of the summary: scenario counts, checksum verdicts, where the other reports are."""
    tally = checksum_tally(records)
    if not tally.compared:
        sums = "no transfers compared"
    elif tally.match == tally.compared:
        sums = f'<span class="hil-ok">all {tally.compared} compared transfers match</span>'
    else:
        parts = [f"{tally.compared} compared transfers: {tally.match} match"]
        if tally.expected:
            parts.append(f"{tally.expected} differ as expected (the scenario asserts that "
                         "damage: the harness must see and explain it)")
        if tally.meant:
            parts.append(f"{tally.meant} differ on purpose (the server was made to damage "
                         "them, and the scenario caught it)")
        if tally.unexpected:
            parts.append(f'<span class="hil-bad">{tally.unexpected} differ unexpectedly</span>')
        else:
            parts.append('<span class="hil-ok">none differ unexpectedly</span>')
        sums = ", ".join(parts)

    links = ", ".join('<a href="%s">%s</a>' % (html.escape(href), html.escape(name))
                      for name, href in files.items())
    scenarios = f"{len(records)}: {outcome_text(outcome_counts(records)) or 'none'}"
    rows = [("Scenarios", html.escape(scenarios)),
            ("Checksums (host / module / server)", sums)]
    phases = phase_totals(records)
    if phases:
        spent = sum(phases.values()) or 1.0
        rows.append(("Time by phase", html.escape(", ".join(
            "%s %.1f s (%.0f%%)" % (n, v, 100 * v / spent) for n, v in phases.items()))))
    if links:
        rows.append(("Beside this file", links))
    return '<table class="hil-overview">%s</table>' % "".join(
        f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)


def report_title(modules: Sequence[Mapping[str, Any]],
                 records: Sequence[Mapping[str, Any]]) -> str:
    """The page title: which firmware, and how it went, before anything else is read."""
    builds = sorted({f"{m.get('model')} {m.get('firmware')}" for m in modules})
    parts = ["qpy-ftp-hil", ", ".join(builds) or "no module"]
    outcomes = outcome_text(outcome_counts(records))
    if outcomes:
        parts.append(outcomes)
    return " \u00b7 ".join(parts)
