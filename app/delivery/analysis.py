"""``analyse``: every delivery measure of one answer, in the shape of ``metrics.delivery``."""

from __future__ import annotations

import numpy as np

from . import voice
from .contours import measure
from .wording import filler_bursts, repetitions, sentences_of

PAUSE_S = 0.5  # a gap between words longer than this is not speaking time


def analyse(samples: np.ndarray, sample_rate: int, words: list[dict]) -> dict:
    """How the answer sounded: pitch, volume, rising endings, filler bursts, repetitions
    and speaking rate, each tied to the time spans it describes (see ``app.delivery.voice``).

    ``samples`` are mono floats; ``words`` are the transcript's timed words. The audio
    measures cover the speech from the first word to the last.
    """
    words = [w for w in words if w.get("word", "").strip()]
    result = {
        "pitch": {"median_hz": None, "spread_semitones": 0.0, "monotone_spans": []},
        "volume": {"mean_db": None, "too_quiet": False, "trailing_off": []},
        "rising_endings": [],
        "filler_bursts": filler_bursts(words),
        "repetitions": repetitions(words),
        "rate": [],
    }
    if not words:
        return result
    contours = measure(samples, sample_rate)
    start, end = words[0]["start"], words[-1]["end"]
    if contours.pitch_times.size == 0 or end <= start:
        return result
    sentences = sentences_of(words)
    result["pitch"] = voice.pitch(contours, start, end)
    result["volume"] = voice.volume(contours, sentences, start, end)
    result["rising_endings"] = voice.rising_endings(contours, sentences)
    result["rate"] = voice.rate(contours, start, end, speaking_spans(words))
    return result


def speaking_spans(words: list[dict]) -> list[tuple[float, float]]:
    """The stretches of talk: word spans joined across gaps of half a second or less."""
    spans: list[list[float]] = []
    for word in words:
        if spans and word["start"] - spans[-1][1] <= PAUSE_S:
            spans[-1][1] = max(spans[-1][1], word["end"])
        else:
            spans.append([word["start"], word["end"]])
    return [(a, b) for a, b in spans]
