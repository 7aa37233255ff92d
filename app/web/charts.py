"""Small server-rendered SVG charts (no chart library, no script, nothing from a CDN)."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

# Axis text is 15 units in a 320-unit-wide drawing: at least 11 px on screen wherever the
# chart is drawn 235 px wide or more (a phone's card, a metric card on a wide screen).
WIDTH, HEIGHT = 320, 110
PAD_L, PAD_R, PAD_T, PAD_B = 42, 10, 10, 24


def ticks(top: float, *, integer: bool = False, most: int = 4) -> list[float]:
    """Round steps from 0 to at least ``top``: never two equal labels ("0, 1, 1"), and whole
    numbers only when the values are counts."""
    top = max(top, 1 if integer else top or 1)
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if integer:
        step = max(1, math.ceil(step))
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 6) for i in range(count + 1)]


def _tick_text(value: float) -> str:
    return f"{value:g}"


def line_chart(points: list[tuple[float, float]], *, label: str, band: tuple[float, float] | None = None,
               y_max: float | None = None, integer: bool = False,
               x_labels: tuple[str, str] | None = None) -> Markup:  # fmt: skip
    """A polyline of ``(x, y)`` points with an optional shaded target band.

    ``label`` becomes the chart's accessible name; the points are also listed as a table
    by the caller for screen readers and for anyone who wants the numbers.
    """
    if not points:
        return Markup("")
    inner_w, inner_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    xs = [p[0] for p in points]
    highest = max([p[1] for p in points] + [band[1] if band else 0])
    steps = ticks(y_max or highest * 1.05, integer=integer)
    top = steps[-1]
    x0, x1 = min(xs), max(xs)
    span = (x1 - x0) or 1

    def sx(x: float) -> float:
        return PAD_L + (x - x0) / span * inner_w if len(points) > 1 else PAD_L + inner_w / 2

    def sy(y: float) -> float:
        return PAD_T + inner_h - min(y, top) / top * inner_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">'
    ]
    if band:
        parts.append(
            f'<rect class="band" x="{PAD_L}" y="{sy(band[1]):.1f}" width="{inner_w}" '
            f'height="{sy(band[0]) - sy(band[1]):.1f}"/>'
        )
    for value in steps:
        parts.append(
            f'<text class="axis" x="{PAD_L - 5}" y="{sy(value) + 5:.1f}" text-anchor="end">'
            f"{_tick_text(value)}</text>"
        )
    parts.append(
        f'<line class="axis-line" x1="{PAD_L}" y1="{sy(0):.1f}" x2="{PAD_L + inner_w}" y2="{sy(0):.1f}"/>'
    )
    coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    parts.append(f'<polyline class="line" points="{coords}"/>')
    for x, y in points:
        parts.append(f'<circle class="dot" cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3"/>')
    if x_labels:
        parts.append(
            f'<text class="axis" x="{PAD_L}" y="{HEIGHT - 5}">{escape(x_labels[0])}</text>'
        )
        parts.append(
            f'<text class="axis" x="{PAD_L + inner_w}" y="{HEIGHT - 5}" text-anchor="end">'
            f"{escape(x_labels[1])}</text>"
        )
    parts.append("</svg>")
    # Every piece above is a number we formatted or text passed through escape().
    return Markup("".join(parts))  # nosec B704


def when_labels(first, last) -> tuple[str, str]:
    """Labels for the first and last answer of a chart that tell them apart: the day, then
    the time when both fall on one day, then the answer's number when both share a minute."""
    for pattern in ("%d %b", "%d %b %H:%M"):
        a, b = first.strftime(pattern), last.strftime(pattern)
        if a != b:
            return a, b
    return "first answer", "latest answer"
