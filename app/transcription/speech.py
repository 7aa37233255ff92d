"""Voice-activity detection shared by every engine.

Whisper invents text on silence, tones and noise ("Thank you."). We run Silero VAD
(bundled with faster-whisper, no download) over the samples first: no speech means no
transcript at all, and words an engine places outside every speech region are dropped.
"""

from __future__ import annotations

import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps

from .base import SAMPLE_RATE, Word

# A word may sit slightly outside a VAD region (soft onsets, trailing consonants).
WORD_MARGIN_S = 0.6
VAD_OPTIONS = VadOptions(min_silence_duration_ms=500, speech_pad_ms=300)
# Short pauses too (between words of a fluent sentence), tightly padded: where to cut speech
# that never pauses for long.
FINE_PAUSES = VadOptions(min_silence_duration_ms=150, speech_pad_ms=30)


def speech_regions(
    samples: np.ndarray, options: VadOptions = VAD_OPTIONS
) -> list[tuple[float, float]]:
    """Return ``(start, end)`` seconds of each stretch of speech in ``samples``."""
    if samples.size == 0:
        return []
    stamps = get_speech_timestamps(samples, options, sampling_rate=SAMPLE_RATE)
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]


def keep_spoken_words(words: list[Word], regions: list[tuple[float, float]]) -> list[Word]:
    """Drop words whose middle lies outside every speech region (plus a small margin)."""
    kept = []
    for word in words:
        middle = (word.start + word.end) / 2
        if any(start - WORD_MARGIN_S <= middle <= end + WORD_MARGIN_S for start, end in regions):
            kept.append(word)
    return kept


def drop_unlikely_tail(
    words: list[Word], regions: list[tuple[float, float]], below: float = 0.3
) -> list[Word]:
    """Drop words after the last speech ends that the model itself doubts ("Thank you.").

    They sit inside the margin ``keep_spoken_words`` allows, but a word the decoder gave
    under 30 % and that starts after the speaker stopped is almost always invented.
    """
    if not regions:
        return words
    last_end = regions[-1][1]
    kept = list(words)
    while kept and kept[-1].start >= last_end - 0.1 and kept[-1].probability < below:
        kept.pop()
    return kept


def join_words(words: list[Word]) -> str:
    """Rebuild the text from words as Whisper spells them (each carries its leading space)."""
    return "".join(w.word for w in words).strip()
