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
# A last word shorter than this has no room in the audio (Whisper's timing gives a spoken
# word of one syllable 0.1 s or more).
NO_ROOM_S = 0.05
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


# A voice this quiet (the loudest 5 % of its 20 ms frames of speech, RMS, in dB of full
# scale) is raised before decoding. Recordings made near the microphone measure -9 to -22 on
# the evaluation set; 20 dB further away base heard "Five, five, five." for "Five five." and
# "It's four queen" for "Four queen", and missed 2 of 11 fillers. Raised to -11 (the loud end
# of ordinary; -15 still gave both) the whole path read as it does at the ordinary level
# (bench/accuracy.py --gain -20 --noise -65 --tail 3, and checked at --gain -30 --noise -75).
QUIET_BELOW_DB = -25.0
SPEECH_LEVEL_DB = -11.0  # ... to this level
MAX_GAIN_DB = 30.0  # and by no more: the room's noise comes up with the voice
FRAME_S = 0.02  # the frames loudness is measured in


def frame_rms(samples: np.ndarray) -> np.ndarray:
    """The RMS level of each 20 ms frame of ``samples`` (one frame when shorter)."""
    hop = int(FRAME_S * SAMPLE_RATE)
    usable = samples[: samples.size - samples.size % hop] if samples.size >= hop else samples
    frames = usable.reshape(-1, hop) if usable.size >= hop else usable.reshape(1, -1)
    return np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1))


def voiced_frames(rms: np.ndarray, regions: list[tuple[float, float]]) -> np.ndarray:
    """The frame levels (``frame_rms``) inside ``regions``."""
    voiced = [rms[int(a / FRAME_S) : int(b / FRAME_S) + 1] for a, b in regions]
    return np.concatenate(voiced) if voiced else rms[:0]


def speech_level_db(samples: np.ndarray, regions: list[tuple[float, float]]) -> float | None:
    """How loud the speech in ``samples`` is: the 95th percentile of its 20 ms frames inside
    ``regions``, in dB of full scale; None without speech."""
    levels = voiced_frames(frame_rms(samples), regions)
    if not levels.size:
        return None
    return float(20 * np.log10(np.percentile(levels, 95) + 1e-12))


def levelled(samples: np.ndarray, regions: list[tuple[float, float]]) -> np.ndarray:
    """``samples`` with a quiet voice raised to an ordinary level (clipped at full scale);
    a voice at an ordinary level, and a recording without speech, as they are."""
    level = speech_level_db(samples, regions)
    if level is None or level >= QUIET_BELOW_DB:
        return samples
    gain = min(MAX_GAIN_DB, SPEECH_LEVEL_DB - level)
    return np.clip(samples * np.float32(10 ** (gain / 20)), -1.0, 1.0).astype(np.float32)


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
    """Drop words after the last speech ends that the model itself doubts ("Thank you."),
    and a doubted last word the audio has no room for.

    They sit inside the margin ``keep_spoken_words`` allows, but a word the decoder gave
    under 30 % and that starts after the speaker stopped is almost always invented. So is
    one it gave under 30 % and squeezed into less than ``NO_ROOM_S`` after the last word it
    heard well ("I don't know. So." with "So." at 0.12 for 0.04 s, met on a quiet voice in a
    trial that raised each live slice; the rule is kept for every decode).
    """
    if not regions:
        return words
    last_end = regions[-1][1]
    kept = list(words)
    while (
        kept
        and kept[-1].probability < below
        and (kept[-1].start >= last_end - 0.1 or kept[-1].end - kept[-1].start < NO_ROOM_S)
    ):
        kept.pop()
    return kept


def join_words(words: list[Word]) -> str:
    """Rebuild the text from words as Whisper spells them (each carries its leading space)."""
    return "".join(w.word for w in words).strip()
