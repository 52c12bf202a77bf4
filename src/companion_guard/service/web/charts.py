"""Small inline SVG charts drawn on the server (no script, no external library)."""

from __future__ import annotations

from html import escape
from typing import Any


def bar_chart(
    days: list[dict[str, Any]],
    *,
    value: str = "minutes",
    label: str,
    unit: str,
    width: int = 560,
    height: int = 180,
) -> str:
    """Bars per day with the value above each bar; ``label`` becomes the SVG's accessible title."""
    pad_left, pad_bottom, pad_top = 8, 28, 18
    n = max(1, len(days))
    top = max([float(d.get(value) or 0) for d in days] + [1.0])
    slot = (width - pad_left * 2) / n
    bar = max(4.0, slot * 0.6)
    inner = height - pad_bottom - pad_top
    parts = [
        (
            f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>'
        ),
        (
            f'<line x1="{pad_left}" y1="{height - pad_bottom}" x2="{width - pad_left}" y2="{height - pad_bottom}" '
            'class="axis"/>'
        ),
    ]
    for i, day in enumerate(days):
        v = float(day.get(value) or 0)
        h = inner * v / top
        x = pad_left + i * slot + (slot - bar) / 2
        y = height - pad_bottom - h
        date = str(day.get("date", ""))[5:]
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" class="bar">'
            f"<title>{escape(str(day.get('date', '')))}: {v:g} {escape(unit)}</title></rect>"
        )
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" class="val">{v:g}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 10}" class="day">{escape(date)}</text>')
    parts.append("</svg>")
    return "".join(parts)
