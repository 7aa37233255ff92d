"""Small formatting helpers for templates (globals, so htmx fragments can use them too)."""

from __future__ import annotations

from flask import Flask
from markupsafe import Markup, escape

from app.reports.definitions import BY_KEY, METRICS

DIFFICULTY = {1: "Common", 2: "Harder", 3: "Hardest"}
STATUS = {
    "recording": "Recording",
    "queued": "Waiting for a worker",
    "transcribing": "Transcribing",
    "done": "Transcribed",
    "failed": "Failed",
}


def clock(seconds: float | None) -> str:
    """``125`` → ``2:05``."""
    whole = int(round(seconds or 0))
    return f"{whole // 60}:{whole % 60:02d}"


def difficulty(level: int) -> Markup:
    """A small badge naming the difficulty."""
    return Markup('<span class="difficulty d{0}" title="Difficulty {0} of 3">{1}</span>').format(
        int(level), DIFFICULTY.get(level, "?")
    )


def status_label(attempt) -> Markup:
    """The attempt's status in words, styled by state."""
    return Markup('<span class="status s-{0}">{1}</span>').format(
        escape(attempt.status), STATUS.get(attempt.status, attempt.status)
    )


def init_app(app: Flask) -> None:
    """Make the helpers available in every template."""
    app.jinja_env.globals.update(
        clock=clock,
        difficulty_badge=difficulty,
        status_label=status_label,
        metric=BY_KEY,
        tracked_metrics=METRICS,
    )
