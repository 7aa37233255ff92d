"""Small server-rendered SVG charts (no chart library, no script, nothing from a CDN)."""

from __future__ import annotations

from markupsafe import Markup, escape


def line_chart(points: list[tuple[float, float]], *, label: str, band: tuple[float, float] | None = None,
               width: int = 320, height: int = 90, y_max: float | None = None,
               x_labels: tuple[str, str] | None = None) -> Markup:  # fmt: skip
    """A polyline of ``(x, y)`` points with an optional shaded target band.

    ``label`` becomes the chart's accessible name; the points are also listed as a table
    by the caller for screen readers and for anyone who wants the numbers.
    """
    pad_l, pad_r, pad_t, pad_b = 34, 8, 8, 18
    inner_w, inner_h = width - pad_l - pad_r, height - pad_t - pad_b
    if not points:
        return Markup("")
    xs = [p[0] for p in points]
    top = max([p[1] for p in points] + [band[1] if band else 0, 1]) * 1.1
    top = y_max or top
    x0, x1 = min(xs), max(xs)
    span = (x1 - x0) or 1

    def sx(x: float) -> float:
        return pad_l + (x - x0) / span * inner_w if len(points) > 1 else pad_l + inner_w / 2

    def sy(y: float) -> float:
        return pad_t + inner_h - min(y, top) / top * inner_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}">'
    ]
    if band:
        parts.append(
            f'<rect class="band" x="{pad_l}" y="{sy(band[1]):.1f}" width="{inner_w}" '
            f'height="{sy(band[0]) - sy(band[1]):.1f}"/>'
        )
    for value in (0, top / 2, top):
        parts.append(
            f'<text class="axis" x="{pad_l - 4}" y="{sy(value) + 3:.1f}" text-anchor="end">{value:.0f}</text>'
        )
    parts.append(
        f'<line class="axis-line" x1="{pad_l}" y1="{sy(0):.1f}" x2="{pad_l + inner_w}" y2="{sy(0):.1f}"/>'
    )
    coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    parts.append(f'<polyline class="line" points="{coords}"/>')
    for x, y in points:
        parts.append(f'<circle class="dot" cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5"/>')
    if x_labels:
        parts.append(
            f'<text class="axis" x="{pad_l}" y="{height - 4}">{escape(x_labels[0])}</text>'
        )
        parts.append(
            f'<text class="axis" x="{pad_l + inner_w}" y="{height - 4}" text-anchor="end">{escape(x_labels[1])}</text>'
        )
    parts.append("</svg>")
    # Every piece above is a number we formatted or text passed through escape().
    return Markup("".join(parts))  # nosec B704
