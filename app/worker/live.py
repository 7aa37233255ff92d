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
from app.transcription.speech import join_words, speech_regions

# Segments shorter than this wait for more speech (the encoder always pays for 30 s).
MIN_SEGMENT_S = 4.0
# Silence at the end of what arrived after which the last sentence counts as finished
# (measured from the end of the VAD region, which already includes 0.3 s of padding).
# Short, so the last sentence is often transcribed before the candidate reaches Stop.
TRAILING_PAUSE_S = 0.6
# Audio with no speech at all is skipped once this much has piled up.
SKIP_SILENCE_S = 10.0
# What is left at finish is transcribed in the engine's quick mode up to this length (the
# last sentence or two); a longer rest gets the full window.
QUICK_TAIL_S = 20.0


def next_cut(samples: np.ndarray, start_s: float) -> float | None:
    """The end of the next segment worth transcribing after ``start_s``, or None to wait.

    The cut lies in the middle of the last finished pause at least ``MIN_SEGMENT_S`` after
    ``start_s``.
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
    return start_s + usable[-1] if usable else None


def ends_in_silence(samples: np.ndarray, cut_s: float) -> bool:
    """True when nothing is said after ``cut_s``: the candidate has stopped, maybe for good.

    A segment that ends so is transcribed quickly (``quick``): if Stop comes while it is
    being transcribed, the candidate waits for it.
    """
    return not speech_regions(samples[int(cut_s * SAMPLE_RATE) :])


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


def final_transcript(
    engine, samples: np.ndarray, committed: list[dict], until_s: float
) -> Transcript:
    """The whole recording's transcript: the committed words, then the rest transcribed now."""
    duration = samples.size / SAMPLE_RATE
    rest = samples[int(until_s * SAMPLE_RATE) :]
    # The candidate is waiting for this last bit: a quick window when it is short.
    quick = rest.size < QUICK_TAIL_S * SAMPLE_RATE
    tail = (
        engine.transcribe(rest, context=text_of(committed), quick=quick, greedy=quick)
        if rest.size
        else None
    )
    words = as_words(committed) + (as_words(shifted(tail, until_s)) if tail else [])
    return Transcript(text=join_words(words), words=words, duration_s=duration)
