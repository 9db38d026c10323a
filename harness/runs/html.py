"""The compare and history pages: one self-contained HTML file each.

Inline CSS and inline SVG only: no script, no font, no image is fetched, so a
page opens from a CI artifact, a mail attachment or a laptop with no network.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from . import noise
from .compare import (
    ADDED,
    FIXED,
    REMOVED,
    STILL_FAILING,
    Comparison,
    ThroughputChange,
    headline,
)
from .history import ABSENT, History

CSS = """
body{font-family:sans-serif;font-size:14px;margin:16px 24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:24px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:6px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;white-space:nowrap}
code{font-size:12px}.verdict{font-size:16px;font-weight:bold;padding:6px 0}
.worse{color:#b00020}.better{color:#1b7f3b}.note{color:#666;font-style:italic}
tr.differs td{background:#fff6d6}tr.flag-slower td{background:#fdecee}
tr.flag-faster td{background:#eef8f1}
.problems li{color:#b00020;font-family:monospace}
table.strip td.cell{width:14px;min-width:14px;height:14px;padding:0;border:1px solid #fff}
td.o-passed,td.o-xfailed,td.o-xpassed{background:#2e9d5b}td.o-failed{background:#d0021b}
td.o-error{background:#f5a623}td.o-skipped{background:#c8c8c8}td.o-absent{background:#f4f4f4}
table.strip th.run{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;
  font-size:11px;padding:4px 0;white-space:nowrap}
table.strip th.group{text-align:center;font-size:12px;border-left:2px solid #666}
table.strip td.first{border-left:2px solid #666}
table.strip td.name{font-family:monospace;font-size:11px;white-space:nowrap;border:none}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;
  vertical-align:middle}
.charts{display:flex;flex-wrap:wrap;gap:12px}
svg.line-chart{background:#fff;border:1px solid #e3e3e3}
"""

LEGEND = ('<p class="legend">' + "".join(
    f'<span class="o-{o}" style="background:{c}"></span>{o}'
    for o, c in (("passed", "#2e9d5b"), ("failed", "#d0021b"), ("error", "#f5a623"),
                 ("skipped", "#c8c8c8"), ("absent", "#f4f4f4"))) + "</p>")


def _e(value: object) -> str:
    return html.escape(str(value))


def _page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{_e(title)}</h1>" + "".join(body) + "</body></html>\n")


def _problems(problems: Sequence[object]) -> str:
    if not problems:
        return ""
    items = "".join(f"<li>{_e(p)}</li>" for p in problems)
    return (f'<h2>Inputs not drawn ({len(problems)})</h2><ul class="problems">{items}</ul>')


def size_label(size: int) -> str:
    for unit, name in ((1024 * 1024, "MiB"), (1024, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} B"


# -- compare ---------------------------------------------------------------


def compare_page(c: Comparison) -> str:
    verdict_css = "worse" if c.worse else "better"
    body = [f'<div class="verdict {verdict_css}" id="verdict">{_e(headline(c))}</div>',
            _problems(c.problems), "<h2>Environment</h2>",
            '<table id="environment"><tr><th></th><th>old</th><th>new</th></tr>']
    for row in c.environment:
        css = ' class="differs"' if row.differs else ""
        body.append(f"<tr{css}><th>{_e(row.name)}</th><td>{_e(row.old)}</td>"
                    f"<td>{_e(row.new)}</td></tr>")
    body.append("</table>")
    sections = [("Newly failing", "newly-failing", c.new_failures),
                ("Fixed", "fixed", c.of_kind(FIXED)),
                ("Still failing", "still-failing", c.of_kind(STILL_FAILING)),
                ("Added", "added", [s for s in c.of_kind(ADDED) if not s.failing]),
                ("Removed", "removed", c.of_kind(REMOVED))]
    for title, anchor, items in sections:
        body.append(f'<h2 id="{anchor}">{title} ({len(items)})</h2>')
        if not items:
            body.append('<p class="note">none</p>')
            continue
        body.append("<table><tr><th>scenario</th><th>reason</th><th>note</th></tr>")
        for s in items:
            note = "; ".join(x for x in (s.note, "added" if s.kind == ADDED else "") if x)
            body.append(f"<tr><td><code>{_e(s.nodeid)}</code></td><td>{_e(s.reason)}</td>"
                        f"<td>{_e(note)}</td></tr>")
        body.append("</table>")
    body.append(_throughput_table(c.throughput))
    return _page("qpy-ftp-hil compare: " + " \u2192 ".join(
        r.old + " \u2192 " + r.new for r in c.environment if r.name == "Firmware"), body)


def _throughput_table(changes: Sequence[ThroughputChange]) -> str:
    flagged = sum(1 for t in changes if t.judgement.flagged)
    out = [f'<h2 id="throughput">Throughput ({len(changes)} series, {flagged} beyond noise)</h2>',
           '<p class="note">KiB/s, median of each side (range and count where repeated). '
           "Noise is the widest spread among one series' repeats; a change is flagged only "
           "when the two sides lie further apart than that.</p>"]
    if not changes:
        return "".join(out) + '<p class="note">no throughput figures on both sides</p>'
    out.append('<table id="throughput-table"><tr><th>scenario</th><th>direction</th>'
               "<th>size</th><th>old</th><th>new</th><th>change</th><th>noise</th>"
               "<th>verdict</th></tr>")
    rank = {noise.SLOWER: 0, noise.FASTER: 1, noise.WITHIN_NOISE: 2, noise.NOT_JUDGED: 3}
    for t in sorted(changes, key=lambda t: rank[t.judgement.verdict]):
        css = f' class="flag-{t.judgement.verdict}"' if t.judgement.flagged else ""
        pct = "n/a" if t.percent is None else f"{t.percent:+.1f}%"
        band = "" if t.judgement.noise is None else f"\u00b1{t.judgement.noise:,.1f}"
        out.append(f'<tr{css}><td><code>{_e(t.nodeid)}</code></td><td>{_e(t.direction)}</td>'
                   f'<td class="num">{size_label(t.size)}</td><td class="num">{t.old.text()}</td>'
                   f'<td class="num">{t.new.text()}</td><td class="num">{pct}</td>'
                   f'<td class="num">{band}</td><td>{_e(t.judgement.verdict)}</td></tr>')
    out.append("</table>")
    return "".join(out)


# -- history ---------------------------------------------------------------


def history_page(h: History) -> str:
    title = f"qpy-ftp-hil history: {len(h.runs)} runs, {len(h.groups)} firmware builds"
    body = [_problems(h.problems), _runs_table(h), _failing_now(h), "<h2>Throughput</h2>",
            '<div class="charts" id="charts">']
    bounds = [cols[0] for _, cols in h.groups[1:]]
    for (direction, size), values in h.throughput.items():
        body.append(line_chart_svg(f"{direction} {size_label(size)}", values,
                                   [r.name for r in h.runs], bounds))
    if not h.throughput:
        body.append('<p class="note">no throughput figures in these runs</p>')
    body.append("</div>")
    body.append(_strip(h))
    return _page(title, body)


def _runs_table(h: History) -> str:
    out = ['<h2>Runs</h2><table id="runs"><tr><th>#</th><th>firmware</th><th>run</th>'
           "<th>started</th><th>pass rate</th></tr>"]
    for firmware, cols in h.groups:
        for i in cols:
            run = h.runs[i]
            passed, ran = h.run_pass_rate(i)
            out.append(f"<tr><td>{i + 1}</td><td>{_e(firmware)}</td><td>{_e(run.name)}</td>"
                       f"<td>{_e(run.started.isoformat(sep=' '))}</td>"
                       f'<td class="num">{passed}/{ran}</td></tr>')
    return "".join(out) + "</table>"


def _failing_now(h: History) -> str:
    out = [f'<h2 id="failing-now">Failing now ({len(h.failing_now)})</h2>']
    if not h.failing_now:
        return "".join(out) + '<p class="note">every scenario passed in its newest run</p>'
    out.append("<table><tr><th>scenario</th><th>first failing run</th><th>firmware</th>"
               "<th>failing runs in a row</th><th>reason (newest)</th></tr>")
    for f in h.failing_now:
        run = h.runs[f.first]
        first = f"#{f.first + 1} {run.name} ({run.started:%Y-%m-%d %H:%M})"
        if not f.ever_passed:
            first += ", never passed in these runs"
        out.append(f"<tr><td><code>{_e(f.nodeid)}</code></td><td>{_e(first)}</td>"
                   f"<td>{_e(run.firmware)}</td><td class=\"num\">{f.runs}</td>"
                   f"<td>{_e(f.reason)}</td></tr>")
    return "".join(out) + "</table>"


def _strip(h: History) -> str:
    """A row of cells per scenario, a cell per run: the pass rate at a glance."""
    first_cols = {cols[0] for _, cols in h.groups}
    out = ['<h2>Pass rate per scenario</h2>', LEGEND, '<table class="strip" id="strip"><tr>'
           "<th></th>"]
    out += [f'<th class="group" colspan="{len(cols)}">{_e(fw)}</th>' for fw, cols in h.groups]
    out.append("<th></th></tr><tr><th>scenario</th>")
    out += [f'<th class="run" title="{_e(run.started.isoformat(sep=" "))}">{_e(run.name)}</th>'
            for run in h.runs]
    out.append("<th>passed</th></tr>")
    for nodeid in h.scenarios:
        out.append(f'<tr><td class="name">{_e(nodeid)}</td>')
        for i, run in enumerate(h.runs):
            outcome = h.outcomes.get((nodeid, i), ABSENT)
            edge = " first" if i in first_cols else ""
            out.append(f'<td class="cell o-{_e(outcome)}{edge}" '
                       f'title="{_e(run.name)}: {_e(outcome)}"></td>')
        passed, ran = h.pass_rate(nodeid)
        out.append(f'<td class="num">{passed}/{ran}</td></tr>')
    return "".join(out) + "</table>"


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _tick(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:g}"


def line_chart_svg(title: str, values: Sequence[float | None], labels: Sequence[str],
                   boundaries: Sequence[int] = (), width: int = 420, height: int = 220) -> str:
    """One series over the runs: a line through the measured points, gaps where none."""
    left, right, up, down = 56, 12, 30, 40
    plot_w, plot_h = width - left - right, height - up - down
    measured = [v for v in values if v is not None]
    top = _nice_top(max(measured) if measured else 1.0)
    step_x = plot_w / max(1, len(values) - 1)

    def x_of(i: int) -> float:
        return left + (i * step_x if len(values) > 1 else plot_w / 2)

    def y_of(v: float) -> float:
        return up + plot_h - plot_h * v / top

    out = [f'<svg class="line-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
           f'font-family="sans-serif" font-size="11" data-series="{_e(title)}">',
           f"<title>{_e(title)}: KiB/s per run</title>",
           f'<text x="{left}" y="16" font-size="13" font-weight="bold">{_e(title)} (KiB/s)</text>']
    for k in range(5):
        tick = top * k / 4
        y = y_of(tick)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                   'stroke="#eee"/>')
        out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_tick(tick)}</text>')
    for b in boundaries:  # a new firmware build starts here
        x = (x_of(b - 1) + x_of(b)) / 2
        out.append(f'<line class="build" x1="{x:.1f}" y1="{up}" x2="{x:.1f}" '
                   f'y2="{up + plot_h}" stroke="#666" stroke-dasharray="4 3"/>')
    segment: list[str] = []
    segments = []
    for i, value in enumerate(values):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x_of(i):.1f},{y_of(value):.1f}")
    if segment:
        segments.append(segment)
    for points in segments:
        out.append(f'<polyline class="series" fill="none" stroke="#2f6fb0" stroke-width="2" '
                   f'points="{" ".join(points)}"/>')
    for i, value in enumerate(values):
        if value is not None:
            tip = f"{labels[i]}: {value:,.1f} KiB/s"
            out.append(f'<circle class="point" cx="{x_of(i):.1f}" cy="{y_of(value):.1f}" '
                       f'r="3.5" fill="#2f6fb0"><title>{_e(tip)}</title></circle>')
    out.append(f'<line x1="{left}" y1="{up + plot_h}" x2="{width - right}" '
               f'y2="{up + plot_h}" stroke="#333"/>')
    for i, label in enumerate(labels):
        if len(labels) <= 12 or i % math.ceil(len(labels) / 12) == 0:
            out.append(f'<text x="{x_of(i):.1f}" y="{up + plot_h + 14}" text-anchor="middle">'
                       f"{_e(label[:10])}</text>")
    out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
               'fill="#666">runs, oldest first within each build; dashed: new build</text>')
    out.append("</svg>")
    return "".join(out)
