"""The throughput chart: inline SVG, so report.html needs no script and no network.

One bar per direction and payload size, the mean of every transfer that says
how fast the module is; bars of scenarios that did not pass are marked.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .records import PASSING
from .units import size_label


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
                                 rec.get("outcome") not in PASSING))
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
