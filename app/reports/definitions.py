"""The one table of tracked speech metrics: key, label, unit, better direction, band, help.

Reports, the progress charts and tables, the compare view, the OpenAPI description and the
templates all read a metric's name and meaning from here; ``speech.compute`` measures it.
Adding a row here adds it to every one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.delivery.voice import MONOTONE_ST
from app.reports.speech import FILLERS_FLUENT, FILLERS_HESITANT, LONG_PAUSE_S, PACE_BAND


def _band_text(band: tuple[float, float]) -> str:
    return f"{band[0]:g}–{band[1]:g}"


@dataclass(frozen=True)
class Metric:
    """One tracked number of an answer and everything said about it."""

    key: str
    label: str
    unit: str
    # "band": closer to ``band`` is better; "lower", "higher"; "none": no direction.
    better: str
    help: str
    # None when the answer does not have it (pitch spread of an answer measured before
    # delivery existed, or whose voice could not be measured): shown as "–", left off charts.
    value: Callable[[dict], float | None] = field(repr=False)
    band: tuple[float, float] | None = None
    # Decimal places shown on every page ("196 words/min", "4.3 fillers per 100 words").
    digits: int = 0
    chart: bool = False  # drawn on the progress page, answer by answer
    # Its entry in the OpenAPI description of ``metrics``, where the API reports it as is.
    schema: dict | None = None

    @property
    def title(self) -> str:
        """The label with its unit, as a table row or a chart names it."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    @property
    def band_text(self) -> str:
        """The band as people read it, such as ``100–165``; empty when there is none."""
        return _band_text(self.band) if self.band else ""


METRICS: tuple[Metric, ...] = (
    Metric(
        key="wpm_speaking",
        label="Pace while speaking",
        unit="words/min",
        better="band",
        band=PACE_BAND,
        chart=True,
        value=lambda m: m["wpm_speaking"],
        schema={"type": "number", "description": "words over speaking time"},
        help="Counted two ways: words over the whole recording, and words over "
        "speaking time (from your first word to your last, minus pauses over "
        f"{LONG_PAUSE_S:g} s). Microsoft Speaker Coach recommends {_band_text(PACE_BAND)} "
        "words per minute; others use 130–160.",
    ),
    Metric(
        key="fillers_per_100_words",
        label="Fillers per 100 words",
        unit="",
        better="lower",
        band=(0, FILLERS_FLUENT),
        chart=True,
        digits=1,
        value=lambda m: m["fillers_per_100_words"],
        schema={"type": "number"},
        help="Counts um, uh, er, ah, hmm, “you know”, “I mean”, “kind of”, “sort of”, "
        "basically, actually, literally, and “like” only when it fills (not “I'd like”, "
        "“looks like”, “like this”). Phrases count once. Under about "
        f"{FILLERS_FLUENT - 1:g}–{FILLERS_FLUENT:g} per 100 words reads as fluent; above "
        f"{FILLERS_HESITANT:g} per 100 as hesitant. Speech recognisers tend to drop “um” and "
        "“uh”, so Rebound asks Whisper to keep them; a few may still be missed.",
    ),
    Metric(
        key="long_pauses",
        label="Long pauses",
        unit="",
        better="lower",
        chart=True,
        value=lambda m: len(m["long_pauses"]),
        help=f"Gaps of more than {LONG_PAUSE_S:g} seconds between two words.",
    ),
    Metric(
        key="pitch_spread",
        label="Pitch spread",
        unit="semitones",
        # A livelier voice moves more, but more is not better without end: no direction.
        better="none",
        chart=True,
        digits=1,
        value=lambda m: pitch_spread(m.get("delivery")),
        help="How far your pitch moves around its middle over voiced speech, measured from "
        "the recording with Praat (a robust standard deviation, in semitones). A 15-second "
        f"stretch under {MONOTONE_ST:g} semitone sounds flat; lively speech usually spreads "
        "2–4. Answers measured before Rebound listened to the voice, or whose voice could "
        "not be measured, show –.",
    ),
    Metric(
        key="star_parts",
        label="STAR parts found",
        unit="",
        better="higher",
        value=lambda m: sum(m["star"].values()),
        help="Reads each sentence by meaning (a small language model that runs on this "
        "machine) and says which part of Situation, Task, Action, Result it tells, helped by "
        "phrases that usually mark each part (“last year”, “my role was”, “so I…”, “in the "
        "end”). An answer that does not address its question earns no parts. It is a "
        "checklist, not a grade; bench/UNDERSTANDING.md says how often it is right.",
    ),
    Metric(
        key="duration_s",
        label="Length",
        unit="m:ss",
        better="none",
        value=lambda m: m["duration_s"],
        schema={"type": "number"},
        help="Behavioural answers usually run 1–2 minutes (about 150–300 words).",
    ),
)
BY_KEY = {metric.key: metric for metric in METRICS}


def pitch_spread(delivery: dict | None) -> float | None:
    """Semitones of pitch spread, or None without a measured voice."""
    if not delivery or not delivery["pitch"].get("median_hz"):
        return None
    return delivery["pitch"]["spread_semitones"]


def tracked_values(metrics: dict) -> dict[str, float | None]:
    """The tracked numbers of one answer, by key (None where the answer lacks one)."""
    return {metric.key: metric.value(metrics) for metric in METRICS}


def distance_from_band(metric: Metric, value: float) -> float:
    """How far ``value`` lies outside the metric's band (0 inside it)."""
    low, high = metric.band
    return max(low - value, 0, value - high)


def change(metric: Metric, before: float | None, after: float | None) -> tuple[bool, bool]:
    """Whether going from ``before`` to ``after`` is better, or worse, for this metric
    (neither when one of them is missing)."""
    if before is None or after is None:
        return False, False
    if metric.better == "band":
        old, new = distance_from_band(metric, before), distance_from_band(metric, after)
        return new < old, new > old
    if metric.better in ("lower", "higher"):
        sign = -1 if metric.better == "lower" else 1
        delta = (after - before) * sign
        return delta > 0, delta < 0
    return False, False
