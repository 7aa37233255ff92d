"""Transcribe a streamed recording while the candidate is still speaking.

Each run decodes the pieces that have arrived (``app.recordings.audio.decode_arrived``, under
the same caps as an upload: a MediaRecorder WebM cut anywhere decodes to the part that
arrived), looks for pauses after the committed boundary with the same Silero VAD the engines
use, and transcribes the audio up to the last finished pause: a pause followed by more
speech, or a silence at the end long enough that the sentence is over. Those words are
committed with absolute timings and the boundary moves to the pause; the unfinished sentence
after it waits for the next run. At finish only the audio after the boundary is left to
transcribe (``final_transcript``).

Cutting in the middle of a pause means no word is split, and each segment is long enough
(``MIN_SEGMENT_S``) to be worth the encoder's fixed cost on a 30 s window.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from app.transcription.base import SAMPLE_RATE, Transcript, Word
from app.transcription.speech import FINE_PAUSES, join_words, speech_regions

# Segments shorter than this wait for more speech (the encoder always pays for 30 s).
MIN_SEGMENT_S = 4.0
# Silence at the end of what arrived after which the last sentence counts as finished
# (measured from the end of the VAD region, which already includes 0.3 s of padding).
# Short, so the last sentence is often transcribed before the candidate reaches Stop.
TRAILING_PAUSE_S = 0.6
# A fluent speaker may not pause for long: after this much speech the segment is cut at the
# quietest point available (the longest short pause, else the quietest 20 ms), so live words
# keep coming and little is left for Stop.
MAX_SEGMENT_S = 10.0
# Audio with no speech at all is skipped once this much has piled up.
SKIP_SILENCE_S = 10.0
# What is left at finish is transcribed in the engine's quick mode up to this length (the
# last sentence or two); a longer rest gets the full window.
QUICK_TAIL_S = 20.0


def next_cut(samples: np.ndarray, start_s: float) -> float | None:
    """The end of the next segment worth transcribing after ``start_s``, or None to wait.

    The cut lies in the middle of the last finished pause at least ``MIN_SEGMENT_S`` after
    ``start_s``; when there is none and more than ``MAX_SEGMENT_S`` has arrived, at the
    quietest point between the two (``quiet_point``).
    """
    tail = samples[int(start_s * SAMPLE_RATE) :]
    length = tail.size / SAMPLE_RATE
    regions = speech_regions(tail)
    if not regions:
        return start_s + length - TRAILING_PAUSE_S if length >= SKIP_SILENCE_S else None
    cuts = [(end + start) / 2 for (_, end), (start, _) in pairwise(regions)]
    if length - regions[-1][1] >= TRAILING_PAUSE_S:
        cuts.append((regions[-1][1] + length) / 2)
    usable = [cut for cut in cuts if cut >= MIN_SEGMENT_S]
    if usable:
        return start_s + usable[-1]
    if length >= MAX_SEGMENT_S + TRAILING_PAUSE_S:
        return start_s + quiet_point(tail, MIN_SEGMENT_S, MAX_SEGMENT_S)
    return None


def quiet_point(samples: np.ndarray, earliest_s: float, latest_s: float) -> float:
    """The best place to cut continuous speech between two times: the middle of the longest
    short pause (down to 0.1 s), else the quietest 60 ms, so no word is split if avoidable."""
    pauses = [
        (start - end, (end + start) / 2)
        for (_, end), (start, _) in pairwise(speech_regions(samples, FINE_PAUSES))
        if earliest_s <= (end + start) / 2 <= latest_s
    ]
    if pauses:
        return max(pauses)[1]
    hop = SAMPLE_RATE // 50
    window = samples[int(earliest_s * SAMPLE_RATE) : int(latest_s * SAMPLE_RATE)]
    frames = window[: window.size - window.size % hop].reshape(-1, hop)
    level = np.convolve(np.sqrt(np.mean(frames**2, axis=1)), np.ones(3), mode="same")
    return earliest_s + (int(np.argmin(level)) + 0.5) / 50


def ends_in_silence(samples: np.ndarray, cut_s: float) -> bool:
    """True when nothing is said after ``cut_s``: the candidate has stopped, maybe for good.

    A segment that ends so is transcribed quickly (``quick``): if Stop comes while it is
    being transcribed, the candidate waits for it.
    """
    return not speech_regions(samples[int(cut_s * SAMPLE_RATE) :])


def live_segments(engine, samples: np.ndarray, committed: list[dict], until_s: float):
    """Transcribe each finished stretch of ``samples`` after ``until_s``, one at a time.

    Yields ``(words, cut_s)``: every word so far (stored dicts, absolute timings) and the new
    boundary. The caller stores each step before asking for the next one, and stops asking
    when the recording has finished (the final job takes the rest).
    """
    while (cut := next_cut(samples, until_s)) is not None:
        segment = samples[int(until_s * SAMPLE_RATE) : int(cut * SAMPLE_RATE)]
        heard = engine.transcribe(
            segment, context=context_of(committed), quick=ends_in_silence(samples, cut)
        )
        committed, until_s = committed + shifted(heard, until_s), round(cut, 3)
        yield committed, until_s


def shifted(transcript: Transcript, offset_s: float) -> list[dict]:
    """The transcript's words as stored dicts, moved ``offset_s`` later."""
    words = [
        Word(w.word, w.start + offset_s, w.end + offset_s, w.probability) for w in transcript.words
    ]
    return Transcript(text="", words=words).to_dict()["words"]


def as_words(stored: list[dict]) -> list[Word]:
    """Stored word dicts back to ``Word`` values."""
    return [Word(w["word"], w["start"], w["end"], w.get("probability", 1.0)) for w in stored]


def text_of(stored: list[dict]) -> str:
    """The text of stored words, spelled as Whisper gave them."""
    return join_words(as_words(stored))


def context_of(stored: list[dict]) -> str:
    """What was said before, as the decoder's prompt: the words it was fairly sure of.

    A misheard fragment in the prompt ("nd" for "in") is copied by the decoder into every
    later segment, so words under 50 % stay out of it.
    """
    return join_words([w for w in as_words(stored) if w.probability >= 0.5])


def final_transcript(
    engine, samples: np.ndarray, committed: list[dict], until_s: float
) -> Transcript:
    """The whole recording's transcript: the committed words, then the rest transcribed now."""
    duration = samples.size / SAMPLE_RATE
    rest = samples[int(until_s * SAMPLE_RATE) :]
    # The candidate is waiting for this last bit: a quick window when it is short.
    quick = rest.size < QUICK_TAIL_S * SAMPLE_RATE
    tail = (
        engine.transcribe(rest, context=context_of(committed), quick=quick, greedy=quick)
        if rest.size
        else None
    )
    words = as_words(committed) + (as_words(shifted(tail, until_s)) if tail else [])
    return Transcript(text=join_words(words), words=words, duration_s=duration)
