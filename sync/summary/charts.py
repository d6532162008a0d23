"""The burn-up as an inline SVG, and its values in the milestone's unit (issues, or points).

No external assets: bars for done, a line for scope, a ``<title>`` that says in
words what the chart shows (its text alternative).
"""

from __future__ import annotations

import math

import markupsafe

from sync import escape
from sync.summary.model import MilestoneSummary


def burned(milestone: MilestoneSummary) -> tuple[list[float], list[float]]:
    """The burn-up's scope and done values in the milestone's unit (issues, or points)."""
    if milestone.unit == "points" and all(p.scope_points is not None for p in milestone.burnup):
        return ([p.scope_points or 0.0 for p in milestone.burnup],
                [p.done_points or 0.0 for p in milestone.burnup])
    scopes: list[float] = [p.scope for p in milestone.burnup]
    dones: list[float] = [p.done for p in milestone.burnup]
    return scopes, dones


def tick(value: float) -> str:
    """A chart value: whole numbers without a decimal point (Mermaid, SVG titles)."""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def burnup_svg(milestone: MilestoneSummary, *, label: str, alt: str = "") -> str:
    """An inline SVG burn-up: done as bars, scope as a line, no external assets.

    ``alt`` (HTML-escaped already) says in words what it shows: its ``<title>`` and
    accessible name, for screen readers and for anyone whose browser shows no SVG.
    """
    points = milestone.burnup
    scopes, dones = burned(milestone)
    width, height = 640, 240
    left, right, top, bottom = 40, 16, 16, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = math.ceil(max([*scopes, 1]))
    count = max(len(points), 1)
    step = plot_w / count

    def y(value: float) -> float:
        return top + plot_h * (1 - value / peak)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-label="{alt or markupsafe.escape(escape.plain(label))}">',
        f"<title>{alt or markupsafe.escape(escape.plain(label))}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'class="axis"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" class="axis"/>',
    ]
    for mark in sorted({0, peak // 2, peak}):
        parts.append(f'<text x="{left - 6}" y="{y(mark) + 4:.1f}" class="tick" '
                     f'text-anchor="end">{mark}</text>')
    every = max(1, math.ceil(len(points) / 8))
    line: list[str] = []
    for index, point in enumerate(points):
        x = left + step * index + step * 0.15
        bar_w = step * 0.7
        done, scope = dones[index], scopes[index]
        parts.append(f'<rect x="{x:.1f}" y="{y(done):.1f}" width="{bar_w:.1f}" '
                     f'height="{top + plot_h - y(done):.1f}" class="done">'
                     f"<title>{point.on.isoformat()}: {tick(done)}/{tick(scope)}</title></rect>")
        line.append(f"{x + bar_w / 2:.1f},{y(scope):.1f}")
        if index % every == 0 or index == len(points) - 1:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" class="tick" '
                         f'text-anchor="middle">{point.on:%m-%d}</text>')
    if line:
        parts.append(f'<polyline points="{" ".join(line)}" class="scope"/>')
    parts.append(f'<text x="{left}" y="{height - 6}" class="legend">'
                 f"{markupsafe.escape(escape.plain(label))}</text>")
    parts.append("</svg>")
    return "".join(parts)
