"""Pitch variation, volume, rising endings and speaking rate, read from Praat's contours.

Spread of pitch is a robust standard deviation in semitones (1.4826 x the median absolute
deviation from the median): a plain standard deviation is dominated by the tracker's octave
errors, a few frames an octave (12 semitones) off.

Monotone threshold (``MONOTONE_ST``, 1.0 semitone). Traunmüller & Eriksson (1995, "The
perceptual evaluation of F0 excursions in speech as evidenced in liveliness estimations",
JASA 97(3)) found that listeners judge liveliness by the size of pitch excursions measured
in semitones, and 't Hart (1981, "Differential sensitivity to pitch distance, particularly
in speech", JASA 69(3)) that pitch movements in speech differing by less than about 1.5 to
3 semitones are not heard as different. Hincks (2005, "Measures and perceptions of liveliness
in student oral presentation speech", System 33(4)) turned the spread of pitch over windows
of speech into feedback on monotony. A window whose robust spread is under 1 semitone keeps
about 95 % of its voiced frames within +-2 semitones of its median: movements below what
listeners tell apart. Calibrated on Piper's joe voice (bench/delivery.py --calibrate): its
natural 15 s windows spread 1.8 to 4.4 semitones, windows flattened with a Praat Manipulation
0.04 to 0.12.

Trailing off: the last half second of a sentence against its body, each taken as the 75th
percentile of intensity (the level of its vowels, not its pauses or consonants); a drop of
``TRAILING_DB`` (10 dB) or more. Piper's unmodified sentence ends drop -4 to 12 dB (95 % under
10 dB), ends faded by 20 dB over their last 0.8 s drop 10 to 24 dB: the threshold sits between,
and a fade of 10 dB where a voice normally keeps its level is clearly heard. Rising ending: a statement whose last voiced frames sit
``RISE_ST`` (3 semitones) or more above the lowest point of its last second; uptalk rises are
several semitones, and declarative ends of the Piper voice rise 1.2 semitones at the median
(bench/delivery.py --calibrate). Too quiet (``TOO_QUIET_DBFS``, -41 dBFS): the recording's level is all we know, and it is
the voice and the microphone together (its distance and input gain), so the advice is to
speak up or move closer or raise the input level. Praat gives dB re 20 uPa with a sample of
1.0 taken as 1 Pa, so full scale is ``FULL_SCALE_DB`` (93.98 dB) and dBFS = dB - 93.98. The
mean level of voiced frames is close to the active speech level of ITU-T P.56, whose nominal
level for speech in digital telephony and codecs is -26 dBov (ITU-T P.800 and G.191 test
speech); 15 dB under it a listener must turn the volume up a long way and a speech recogniser
meets the noise floor of a laptop microphone (Whisper is trained on speech normalised near
that nominal level). Our real recordings sit at -27 to -16 dBFS (bench/speech_set/human) and
Piper's at -23 to -20 (bench/speech_set/audio), so the threshold is 14 dB or more from both;
the same speech 30 dB quieter (-57 to -46) is under it (tests/delivery/test_voice.py). Speaking rate: syllable nuclei
as intensity peaks in voiced frames, after de Jong & Wempe (2009, "Praat script to detect
syllable nuclei and measure speech rate automatically", Behavior Research Methods 41(2)),
with their thresholds: silence 25 dB under the 99th percentile, a 2 dB dip down to the next
peak, voicing threshold 0.25. Checked against syllables counted from the text
(bench/delivery.py --rate, bench/DELIVERY.md): about nine in ten counted syllables are found.
"""

from __future__ import annotations

import numpy as np

from .contours import Contours
from .wording import Sentence

WINDOW_S = 15.0
MIN_VOICED_S = 1.0  # a window with less voiced speech (a word or two) is not judged
MONOTONE_ST = 1.0
TAIL_S = 0.5
TRAILING_DB = 10.0
MIN_SENTENCE_S = 1.2  # shorter sentences have no body to compare their end with
RISE_ST = 3.0
RISE_LOOK_S = 1.0
RISE_END_S = 0.12
OCTAVE_GUARD_ST = 8.0
PEAK_DIP_DB = 2.0  # de Jong & Wempe: a nucleus stands 2 dB above the dip before it
FULL_SCALE_DB = 93.98  # Praat's dB of a full-scale sample (20 log10(1 / 2e-5))
TOO_QUIET_DBFS = -41.0  # 15 dB under the -26 dBov nominal speech level (ITU-T P.56/P.800)
SILENCE_BELOW_DB = 25.0  # de Jong & Wempe: silence is 25 dB under the 99th percentile


def robust_spread(semitones: np.ndarray) -> float:
    """1.4826 x the median absolute deviation: a standard deviation blind to octave errors."""
    if semitones.size == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(semitones - np.median(semitones))))


def windows(start: float, end: float) -> list[tuple[float, float]]:
    """15-second windows from ``start`` to ``end``; a last piece under half a window joins
    the one before it."""
    edges = list(np.arange(start, end, WINDOW_S)) + [end]
    spans = [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]
    if len(spans) > 1 and spans[-1][1] - spans[-1][0] < WINDOW_S / 2:
        spans[-2:] = [(spans[-2][0], spans[-1][1])]
    return spans


def _merged(spans: list[tuple[float, float]]) -> list[dict]:
    out: list[dict] = []
    for a, b in spans:
        if out and a <= out[-1]["end"] + 1e-6:
            out[-1]["end"] = round(b, 2)
        else:
            out.append({"start": round(a, 2), "end": round(b, 2)})
    return out


def pitch(contours: Contours, start: float, end: float) -> dict:
    """Median pitch, its spread over voiced speech, and the monotone windows."""
    voiced = contours.voiced_semitones(start, end)
    flat = []
    for a, b in windows(start, end):
        inside = contours.voiced_semitones(a, b)
        enough = inside.size * contours_step(contours) >= MIN_VOICED_S
        if enough and robust_spread(inside) < MONOTONE_ST:
            flat.append((a, b))
    return {
        "median_hz": round(float(100 * 2 ** (np.median(voiced) / 12)), 1) if voiced.size else None,
        "spread_semitones": round(robust_spread(voiced), 2),
        "monotone_spans": _merged(flat),
    }


def contours_step(contours: Contours) -> float:
    """Seconds per pitch frame."""
    times = contours.pitch_times
    return float(times[1] - times[0]) if times.size > 1 else 0.0


def volume(contours: Contours, sentences: list[Sentence], start: float, end: float) -> dict:
    """Mean level of the voiced speech, whether it is too quiet to be heard well, and the
    sentences whose ends trail off."""
    levels = contours.levels(start, end)
    voiced = levels[contours.voiced_at(contours.intensity_times[
        (contours.intensity_times >= start) & (contours.intensity_times <= end)])]  # fmt: skip
    trailing = []
    for sentence in sentences:
        drop = end_drop(contours, sentence)
        if drop is not None and drop >= TRAILING_DB:
            trailing.append(_ending_span(sentence, TAIL_S))
    mean_db = float(np.mean(voiced)) if voiced.size else None
    return {
        "mean_db": round(mean_db, 1) if mean_db is not None else None,
        "too_quiet": too_quiet(mean_db),
        "trailing_off": trailing,
    }


def too_quiet(mean_db: float | None) -> bool:
    """True when voiced speech averages under ``TOO_QUIET_DBFS`` (no level measured: False)."""
    return mean_db is not None and mean_db - FULL_SCALE_DB < TOO_QUIET_DBFS


def end_drop(contours: Contours, sentence: Sentence) -> float | None:
    """How many dB the last half second of a sentence lies under its body (each as its 75th
    percentile of intensity), or None when the sentence is too short to say."""
    if sentence.end - sentence.start < MIN_SENTENCE_S:
        return None
    body = contours.levels(sentence.start, sentence.end - TAIL_S)
    tail = contours.levels(sentence.end - TAIL_S, sentence.end)
    if body.size < 10 or tail.size < 5:
        return None
    return float(np.percentile(body, 75) - np.percentile(tail, 75))


def _ending_span(sentence: Sentence, seconds: float) -> dict:
    """From the first word that reaches into the last ``seconds`` to the sentence end."""
    first = next(w for w in sentence.words if w["end"] > sentence.end - seconds)
    return {"start": round(max(first["start"], sentence.start), 2), "end": round(sentence.end, 2)}


def end_rise(contours: Contours, sentence: Sentence) -> float | None:
    """Semitones from the lowest point of a sentence's last second up to its last voiced
    frames, or None without enough voicing there.

    Frames more than ``OCTAVE_GUARD_ST`` from the sentence's median pitch are the tracker's
    octave errors (creak at the end of a sentence often doubles or halves): dropped first.
    """
    sentence_tones = contours.voiced_semitones(sentence.start, sentence.end)
    if sentence_tones.size < 6:
        return None
    centre = np.median(sentence_tones)
    mask = (contours.pitch_times >= sentence.end - RISE_LOOK_S) & (
        contours.pitch_times <= sentence.end
    ) & (contours.pitch_hz > 0)  # fmt: skip
    times = contours.pitch_times[mask]
    tones = 12.0 * np.log2(contours.pitch_hz[mask] / 100.0)
    kept = np.abs(tones - centre) <= OCTAVE_GUARD_ST
    times, tones = times[kept], tones[kept]
    if times.size < 6:
        return None
    # A running median of five frames (0.1 s) smooths what is left of the tracker's jitter.
    smooth = np.array([np.median(tones[max(i - 2, 0) : i + 3]) for i in range(tones.size)])
    final = smooth[times >= times[-1] - RISE_END_S]
    return float(np.median(final) - smooth.min())


def rising_endings(contours: Contours, sentences: list[Sentence]) -> list[dict]:
    """Statements (ending in a full stop) whose pitch rises at the end."""
    found = []
    for sentence in sentences:
        if sentence.stop != ".":
            continue
        rise = end_rise(contours, sentence)
        if rise is not None and rise >= RISE_ST:
            found.append(_ending_span(sentence, RISE_LOOK_S) | {"text": sentence.text})
    return found


def peaks(db: np.ndarray, floor: float) -> list[int]:
    """Indexes of intensity peaks above ``floor`` that stand ``PEAK_DIP_DB`` above the
    lowest point between them and the next peak (de Jong & Wempe's rule)."""
    above = np.flatnonzero((db[1:-1] > db[:-2]) & (db[1:-1] >= db[2:]) & (db[1:-1] > floor)) + 1
    ends = np.append(above[1:], db.size - 1)[: above.size]
    return [
        int(p)
        for p, e in zip(above, ends, strict=True)
        if db[p] - db[p : e + 1].min() > PEAK_DIP_DB
    ]


def syllable_times(contours: Contours, start: float, end: float) -> np.ndarray:
    """Times of syllable nuclei after de Jong & Wempe (2009): intensity peaks above the
    silence threshold (25 dB under the 99th percentile) that stand 2 dB above the dip
    before the next peak, where the voice is periodic (voicing threshold 0.25)."""
    inside = (contours.intensity_times >= start) & (contours.intensity_times <= end)
    times, db = contours.intensity_times[inside], contours.intensity_db[inside]
    if db.size < 3:
        return np.zeros(0)
    found = times[peaks(db, np.percentile(db, 99) - SILENCE_BELOW_DB)]
    return found[contours.nucleus_voiced_at(found)]


def rate(
    contours: Contours, start: float, end: float, speaking: list[tuple[float, float]]
) -> list[dict]:
    """Syllables per second of speaking time in each 15-second window."""
    nuclei = syllable_times(contours, start, end)
    series = []
    for a, b in windows(start, end):
        talk = sum(max(0.0, min(b, t1) - max(a, t0)) for t0, t1 in speaking)
        count = int(np.count_nonzero((nuclei >= a) & (nuclei < b)))
        if talk > 0:
            series.append({"start": round(a, 2), "end": round(b, 2),
                           "syllables_per_s": round(count / talk, 2)})  # fmt: skip
    return series
