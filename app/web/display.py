"""How answers read to people in templates: the one wording of each answer state, and the
formatters of ``app.reports.units`` registered as Jinja filters and globals, so every page and
htmx fragment says "0:46", "1 filler" and "No speech heard" the same way."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from markupsafe import Markup

from app.reports.definitions import BY_KEY, METRICS
from app.reports.units import clock, gap, metric_change, metric_value, number, plural
from app.transcription.base import UNSURE_BELOW

DIFFICULTY = {1: "Common", 2: "Harder", 3: "Hardest"}


@dataclass(frozen=True)
class State:
    """An answer's state as a person reads it: a short label and a sentence."""

    label: str
    explanation: str


# The one place that words an answer's state. ``no_speech`` is not a stored status: a
# transcribed answer whose recording held no words.
STATES = {
    "recording": State("Recording", "Your answer is still arriving from the recorder."),
    "queued": State("Saved", "Your answer is saved; its transcript starts in a moment."),
    "transcribing": State("Transcribing", "Writing down what you said…"),
    "done": State("Transcribed", ""),
    "no_speech": State(
        "No speech heard",
        "We heard no speech in this recording. Check that the right microphone is selected "
        "and that its level meter moves when you talk, then try again.",
    ),
    "failed": State("Not transcribed", "We could not write down this answer."),
}


def state_key(attempt) -> str:
    """The key in ``STATES`` for this answer."""
    if attempt.heard_nothing:
        return "no_speech"
    return str(attempt.status)


def state(attempt) -> State:
    """How this answer's state reads to people."""
    return STATES.get(state_key(attempt), STATES["failed"])


def status_label(attempt) -> Markup:
    """The answer's state as a small coloured label."""
    key = state_key(attempt)
    return Markup('<span class="status s-{0}">{1}</span>').format(key, state(attempt).label)


def difficulty(level: int) -> Markup:
    """A small badge naming the difficulty."""
    return Markup('<span class="difficulty d{0}" title="Difficulty {0} of 3">{1}</span>').format(
        int(level), DIFFICULTY.get(level, "?")
    )


def init_app(app: Flask) -> None:
    """Register the formatters as filters and globals of every template."""
    app.jinja_env.filters.update(
        clock=clock, gap=gap, plural=plural, number=number, metric_value=metric_value
    )
    app.jinja_env.globals.update(
        clock=clock,
        gap=gap,
        plural=plural,
        number=number,
        metric_value=metric_value,
        metric_change=metric_change,
        difficulty_badge=difficulty,
        status_label=status_label,
        answer_state=state,
        answer_state_key=state_key,
        metric=BY_KEY,
        tracked_metrics=METRICS,
        unsure_below=UNSURE_BELOW,
    )
