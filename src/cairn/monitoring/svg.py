"""Small inline SVG charts for the self-contained monitoring report: lines over windows and
reference-vs-current bars. Every label is escaped; numbers are drawn, never scripts."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["PALETTE", "bars", "line_chart"]

PALETTE = (
    "#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c",
    "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d",
)  # fmt: skip
REFERENCE_COLOR = "#94a3b8"
CURRENT_COLOR = "#2563eb"
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _tick(value: float) -> str:
    return f"{value:.3g}"


def _y_range(values: Sequence[float], fixed: tuple[float, float] | None) -> tuple[float, float]:
    if fixed is not None:
        return fixed
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    if math.isclose(low, high):
        pad = abs(low) * 0.1 or 1.0
        return low - pad, high + pad
    pad = (high - low) * 0.05
    return low - pad, high + pad


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float | None]]],
    *,
    title: str,
    y_range: tuple[float, float] | None = None,
    css_class: str = "chart",
) -> str:
    """One line per named series of ``(x, y)`` points (a None y breaks the line), with axes,
    a legend and a tooltip (``<title>``) on every point."""
    points = [(x, y) for pts in series.values() for x, y in pts if y is not None]
    xs = [x for x, _ in points] or [0.0, 1.0]
    x_low, x_high = min(xs), max(xs)
    if x_low == x_high:
        x_low, x_high = x_low - 1, x_high + 1
    y_low, y_high = _y_range([y for _, y in points if y is not None], y_range)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + (x - x_low) / (x_high - x_low) * plot_w

    def sy(y: float) -> float:
        return TOP + (1 - (y - y_low) / (y_high - y_low)) * plot_h

    parts = [
        f'<svg class="{escape(css_class)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#e5e7eb"/>',
    ]
    for i in range(5):
        value = y_low + (y_high - y_low) * i / 4
        at = _num(sy(value))
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at}" y2="{at}" stroke="#f1f5f9"/>'
            f'<text x="{LEFT - 4}" y="{at}" font-size="10" text-anchor="end" '
            f'dominant-baseline="middle" fill="#64748b">{_tick(value)}</text>'
        )
    for x in sorted(set(xs))[:: max(1, len(set(xs)) // 10)]:
        parts.append(
            f'<text x="{_num(sx(x))}" y="{HEIGHT - 8}" font-size="10" text-anchor="middle" '
            f'fill="#64748b">{_tick(x)}</text>'
        )
    for index, (name, pts) in enumerate(series.items()):
        color = PALETTE[index % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for x, y in sorted(pts, key=lambda p: p[0]):
            if y is None:
                runs.append([])
            else:
                runs[-1].append((x, y))
        label = escape(str(name))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{_num(sx(x))},{_num(sy(y))}" for x, y in run)
                parts.append(
                    f'<polyline class="series" data-series="{label}" points="{path}" '
                    f'fill="none" stroke="{color}" stroke-width="2"/>'
                )
            for x, y in run:
                parts.append(
                    f'<circle cx="{_num(sx(x))}" cy="{_num(sy(y))}" r="3" fill="{color}">'
                    f"<title>{label} at {_tick(x)}: {y:.6g}</title></circle>"
                )
        legend_y = TOP + 12 + 14 * index
        parts.append(
            f'<rect x="{WIDTH - RIGHT - 150}" y="{legend_y - 8}" width="10" height="10" '
            f'fill="{color}"/><text x="{WIDTH - RIGHT - 136}" y="{legend_y + 1}" '
            f'font-size="11" fill="#334155">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bars(
    labels: Sequence[str],
    reference: Sequence[float],
    current: Sequence[float],
    *,
    title: str,
) -> str:
    """Reference (grey) beside current (blue) shares per bin or category, as grouped bars."""
    count = max(len(labels), 1)
    top = max([*reference, *current, 1e-12])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM - 12
    slot = plot_w / count
    bar = max(slot * 0.4, 0.5)
    parts = [
        f'<svg class="chart dist" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
        'stroke="#94a3b8"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" font-size="10" text-anchor="end" '
        f'fill="#64748b">{_tick(top)}</text>',
    ]
    step = max(1, count // 12)
    for i, label in enumerate(labels):
        x0 = LEFT + i * slot + slot * 0.1
        for offset, values, color, who in (
            (0.0, reference, REFERENCE_COLOR, "reference"),
            (bar, current, CURRENT_COLOR, "current"),
        ):
            value = values[i] if i < len(values) else 0.0
            height = value / top * plot_h
            parts.append(
                f'<rect class="{who}" x="{_num(x0 + offset)}" y="{_num(TOP + plot_h - height)}"'
                f' width="{_num(bar)}" height="{_num(height)}" fill="{color}">'
                f"<title>{escape(label)} {who}: {value:.4g}</title></rect>"
            )
        if i % step == 0:
            parts.append(
                f'<text x="{_num(x0 + bar)}" y="{TOP + plot_h + 12}" font-size="9" '
                f'text-anchor="middle" fill="#64748b">{escape(label[:14])}</text>'
            )
    parts.append(
        f'<rect x="{WIDTH - 170}" y="{HEIGHT - 14}" width="10" height="10" '
        f'fill="{REFERENCE_COLOR}"/><text x="{WIDTH - 156}" y="{HEIGHT - 5}" font-size="11">'
        f'reference</text><rect x="{WIDTH - 90}" y="{HEIGHT - 14}" width="10" height="10" '
        f'fill="{CURRENT_COLOR}"/><text x="{WIDTH - 76}" y="{HEIGHT - 5}" font-size="11">'
        "current</text></svg>"
    )
    return "".join(parts)
