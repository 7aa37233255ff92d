"""The one way Rebound writes durations, counts and metric values for people.

Durations and moments in an answer read ``0:46`` (never "46 s"); pauses between words, where
tenths matter, read ``1.8 s``; counts agree with their noun ("1 filler", "2 fillers"); each
tracked metric is rounded as its definition says. Pages (through ``app.web.display``), the
Markdown report and the charts all call these.
"""

from __future__ import annotations

from app.reports.definitions import BY_KEY


def clock(seconds: float | None) -> str:
    """A duration or a moment in an answer: ``46`` → ``0:46``, ``125`` → ``2:05``."""
    # Whole seconds cut down, as the browser's player and the recorder's timer count them.
    whole = int(max(seconds or 0, 0))
    return f"{whole // 60}:{whole % 60:02d}"


def gap(seconds: float | None) -> str:
    """A pause between words, where tenths matter: ``1.84`` → ``1.8 s``."""
    return f"{(seconds or 0):.1f} s"


def plural(count: int | float, word: str, many: str | None = None) -> str:
    """``1 filler``, ``2 fillers``, ``0 long pauses`` (``many`` when the plural is irregular)."""
    shown = number(count)
    return f"{shown} {word if count == 1 else (many or word + 's')}"


def number(value: float | int | None, digits: int = 0) -> str:
    """A count or a rate rounded the same way everywhere: whole numbers unless told."""
    if value is None:
        return "–"
    if digits == 0:
        return str(int(round(value)))
    return f"{value:.{digits}f}"


def metric_value(key: str, value: float | None) -> str:
    """A tracked metric's value as its definition says to show it (length as ``0:46``)."""
    if value is None:
        return "–"
    metric = BY_KEY[key]
    if metric.unit == "m:ss":
        return clock(value)
    return number(value, metric.digits)


def metric_change(key: str, delta: float | None) -> str:
    """The change of a tracked metric between two answers, signed: ``+12``, ``-0:05``."""
    if delta is None:
        return "–"
    if delta == 0:
        return "no change"
    return ("+" if delta > 0 else "-") + metric_value(key, abs(delta))
