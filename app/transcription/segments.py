"""An answer transcribed in segments cut at pauses: while it is recorded, and after.

Whisper decodes 30 s windows and moves on from wherever its last segment ended; a window that
starts mid-sentence or spans a long pause is where it drops speech, invents a word at the
boundary, or forgets the "um" at a sentence's start. So every path cuts the answer itself, at
pauses found with the same Silero VAD the engines use, and decodes one segment at a time with
the words before it as the prompt:

* While a streamed answer arrives, each run decodes the pieces that have arrived
  (``app.recordings.audio.decode_arrived``) and transcribes up to the last finished pause (a
  pause followed by more speech, or a silence at the end long enough that the sentence is
  over); a fluent speaker who never pauses for long is cut at the quietest point after
  ``MAX_SEGMENT_S``. Those words are committed with absolute timings; the unfinished sentence
  waits for the next run. At Stop only the audio after the boundary is left
  (``final_transcript``).
* The unfinished sentence is also decoded while the speaker is silent after it
  (``tail_guess``), without committing it: more speech may follow. If none has at Stop, that
  decode is the rest of the transcript and Stop waits for no decoding at all. If the speaker
  went on after the silence, it is committed as a segment (its end lies in that pause), so
  the decode is not wasted; if they went on before its end, the rest is decoded again.
  A worker with nothing else to do also decodes a long rest when what arrived merely ends
  quietly (a speaker who stops and reaches for Stop within a second leaves no pause the voice
  activity can close before Stop): that guess is used only if nothing was said after it.
* A whole file (an upload, ``rebound transcribe``) goes through the same steps at once
  (``transcribe_by_pauses``), so both paths give the same words.

Cutting in the middle of a pause means no word is split, and each segment is long enough
(``MIN_SEGMENT_S``) to be worth the encoder's fixed cost.
"""

from __future__ import annotations

import logging
from itertools import pairwise

import numpy as np

from app.transcription.base import SAMPLE_RATE, Transcript, Word
from app.transcription.filters import heard_across
from app.transcription.speech import (
    FINE_PAUSES,
    frame_rms,
    join_words,
    levelled,
    speech_level_db,
    speech_regions,
)

log = logging.getLogger(__name__)

# Segments shorter than this wait for more speech (the encoder always pays for 30 s).
MIN_SEGMENT_S = 4.0
# Silence at the end of what arrived after which the last sentence counts as finished
# (measured from the end of the VAD region, which already includes 0.3 s of padding).
# Short, so the last sentence is often transcribed before the candidate reaches Stop.
TRAILING_PAUSE_S = 0.6
# Segments end at a pause at most this far from their start. A fluent speaker may not pause
# for long: then the segment is cut at the quietest point available (the longest short
# pause, else the quietest 60 ms), so live words keep coming and little is left for Stop.
MAX_SEGMENT_S = 12.0
# After a cut inside speech, words ending this close to it are decoded again with what follows.
HOLD_BACK_S = 1.0
# ... from the last gap at least this long between two words before them (a gap the decoder
# heard, not one its timings leave between touching words).
WORD_GAP_S = 0.1
# Audio with no speech at all is skipped once this much has piled up.
SKIP_SILENCE_S = 10.0
# What is left at finish is transcribed in the engine's quick mode up to this length (the
# last sentence or two); a longer rest gets the full window.
QUICK_TAIL_S = 20.0
# The unfinished sentence is guessed once the speech before the end of what arrived has ended
# this long before it: the voice activity closes a stretch after 0.5 s of silence and pads
# it by 0.3 s, so a closed stretch ends at least 0.2 s before the audio does.
SPEECH_ENDED_S = 0.1
# A worker with nothing else to do guesses the rest sooner, while the speech may not have
# ended (the voice activity closes a stretch only after 0.5 s of silence): when the last
# ``QUIET_END_S`` of what arrived are this far below the speech's level. Only the cost of a
# wasted decode rides on it; whether such a guess is used is decided at Stop (``guess_holds``).
QUIET_END_S = 0.06
QUIET_END_DB = 25.0
# ... and only a rest this long: a shorter one is decoded at Stop in well under a second, and
# a guess that turns out wrong costs the worker a decode while the candidate speaks.
SPECULATE_MIN_S = 6.0
# ... and it holds if the voice activity, run over this much before its end and all after,
# finds no speech past its end (a word cut there is one stretch across it).
LOOK_BACK_S = 2.0


def next_cut(samples: np.ndarray, start_s: float) -> float | None:
    """The end of the next segment worth transcribing after ``start_s``, or None to wait."""
    found = next_segment(samples, start_s)
    return found[0] if found else None


def next_segment(samples: np.ndarray, start_s: float) -> tuple[float, bool] | None:
    """Where the next segment after ``start_s`` ends, and whether that is a real pause.

    The cut lies in the middle of the last finished pause between ``MIN_SEGMENT_S`` and
    ``MAX_SEGMENT_S`` after ``start_s``; when there is none and more than ``MAX_SEGMENT_S``
    has arrived, at the quietest point between the two (``quiet_point``), which may fall
    inside a word (then ``False``). None: wait for more.
    """
    tail = samples[int(start_s * SAMPLE_RATE) :]
    length = tail.size / SAMPLE_RATE
    regions = speech_regions(tail)
    if not regions:
        return (start_s + length - TRAILING_PAUSE_S, True) if length >= SKIP_SILENCE_S else None
    cuts = [(end + start) / 2 for (_, end), (start, _) in pairwise(regions)]
    if length - regions[-1][1] >= TRAILING_PAUSE_S:
        cuts.append((regions[-1][1] + length) / 2)
    usable = [cut for cut in cuts if MIN_SEGMENT_S <= cut <= MAX_SEGMENT_S]
    if usable:
        return start_s + usable[-1], True
    if length >= MAX_SEGMENT_S + TRAILING_PAUSE_S:
        return start_s + quiet_point(tail, MIN_SEGMENT_S, MAX_SEGMENT_S), False
    return None


def quiet_point(samples: np.ndarray, earliest_s: float, latest_s: float) -> float:
    """The best place to cut continuous speech between two times: the middle of the longest
    short pause (down to 0.15 s), else the quietest 60 ms."""
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


def live_segments(
    engine, samples: np.ndarray, committed: list[dict], until_s: float, guess: dict | None = None
):
    """Transcribe each finished stretch of ``samples`` after ``until_s``, one at a time.

    Yields ``(words, cut_s)``: every word so far (stored dicts, absolute timings) and the new
    boundary. The caller stores each step before asking for the next one, and stops asking
    when the recording has finished (the final job takes the rest). A ``guess`` (``tail_guess``)
    that the candidate has since spoken past, after a pause, is committed as it is: it was a
    whole stretch of speech decoded on its own, as a segment would be.
    """
    end = spoken_past(guess, samples, until_s)
    if end is not None:
        committed, until_s = committed + following(committed, guess["words"]), end
        yield committed, until_s
    while (found := next_segment(samples, until_s)) is not None:
        cut, at_pause = found
        segment = samples[int(until_s * SAMPLE_RATE) : int(cut * SAMPLE_RATE)]
        # A segment is at most MAX_SEGMENT_S: the quick window (where the model allows it)
        # encodes a third of the 30 s Whisper pads to. On the evaluation set it heard as well
        # as the full window or better (bench/RESULTS.md, "Truthful transcripts"), and keeps
        # the worker ahead of a candidate who is still speaking.
        heard = engine.transcribe(segment, context=context_of(committed), quick=True)
        words = following(committed, shifted(heard, until_s))
        if not at_pause:
            words, cut = settled(words, cut)
        committed, until_s = committed + words, round(cut, 3)
        yield committed, until_s


def following(committed: list[dict], words: list[dict]) -> list[dict]:
    """``words`` to go after ``committed``, less a word that both sides of the cut heard
    (``filters.heard_across``)."""
    twice = heard_across(as_words(committed), as_words(words))
    return [w for i, w in enumerate(words) if i not in twice]


def settled(words: list[dict], cut_s: float) -> tuple[list[dict], float]:
    """The words of a segment cut inside speech that are safe to keep, and the new boundary.

    The last word or two before such a cut may be half a word ("a" of "and", leaving "nd" for
    the next segment, whose prompt then spreads it). They are left for the next segment,
    which starts in the last gap the decoder heard between two kept words, or between the
    last kept word and the first one left.
    """
    kept = [w for w in words if w["end"] <= cut_s - HOLD_BACK_S]
    if not kept or len(kept) == len(words):
        return words, cut_s
    # Word timings are good to a tenth of a second or two: a boundary where two words touch
    # can fall inside the first one. "18%" ended at 6.16 s by its timing with "in" at once
    # after it; the next segment began there and heard the rest of "percent" as "then".
    # Nor after a number, which may go on ("one point one", "forty five thousand"): cut
    # after "to one", the next segment heard the rest as " 0" (0.04) ".1", or " 1" ".1".
    for n in range(len(kept), 0, -1):
        before, after = kept[n - 1], words[n]
        if after["start"] - before["end"] >= WORD_GAP_S and not _goes_on(before):
            return kept[:n], (before["end"] + after["start"]) / 2
    while len(kept) > 1 and _goes_on(kept[-1]):
        kept = kept[:-1]
    left = words[len(kept)]
    return kept, max(kept[-1]["end"], (kept[-1]["end"] + left["start"]) / 2)


def _goes_on(word: dict) -> bool:
    """Whether a number ends ``word``: it may go on ("one point one", "forty five thousand")."""
    return word["word"][-1:].isdigit()


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


def tail_guess(
    engine,
    samples: np.ndarray,
    committed: list[dict],
    until_s: float,
    earlier: dict | None,
    speculate: bool = False,
) -> dict | None:
    """The unfinished rest after ``until_s`` decoded now: the end of the transcript if Stop
    follows with no more speech, a committed segment if the candidate goes on after a pause.

    Made once the rest's last stretch of speech has ended (the voice activity closed it: half
    a second of silence), or, with ``speculate`` (the worker has nothing else to do), once a
    rest of ``SPECULATE_MIN_S`` or more ends quietly (``ends_quietly``): such a guess is only
    ever the end of the transcript, never a segment, since its end may lie in a breath
    between two words. None when the rest holds no speech or is still being spoken.
    ``earlier`` (the last guess) is returned as it is while it still holds, so a long silence
    before Stop costs one decode, not one per piece. Returns ``{"from_s", "to_s", "spoken_until_s", "words", "closed"}``:
    the boundary it started from, the end of the audio it heard, the end of the speech in it
    (voice-activity padding included; its end when not closed), its words with absolute
    timings, and whether the speech had ended.
    """
    if guess_holds(earlier, samples, until_s):
        return earlier
    rest = samples[int(until_s * SAMPLE_RATE) :]
    regions = speech_regions(rest)
    length = rest.size / SAMPLE_RATE
    if not regions:
        return None  # nothing said yet
    closed = length - regions[-1][1] >= SPEECH_ENDED_S
    early = speculate and length >= SPECULATE_MIN_S and ends_quietly(rest, regions)
    if not closed and not early:
        return None  # still speaking
    # A closed guess as a live segment is decoded (it becomes one if the candidate goes on,
    # ``live_segments``); the other as Stop would decode the rest, and no slower: Stop may
    # come before it is done, and then waits for it.
    if closed:
        heard = engine.transcribe(rest, context=context_of(committed), quick=True)
    else:
        heard = decode_rest(engine, rest, committed)
    return {
        "from_s": until_s,
        "to_s": round(until_s + length, 3),
        "spoken_until_s": round(until_s + (regions[-1][1] if closed else length), 3),
        "words": shifted(heard, until_s),
        "closed": closed,
    }


def ends_quietly(rest: np.ndarray, regions: list[tuple[float, float]]) -> bool:
    """True when the last ``QUIET_END_S`` of ``rest`` are ``QUIET_END_DB`` below its speech
    (``speech.speech_level_db`` over ``regions``): the speaker may have stopped."""
    level = speech_level_db(rest, regions)
    if level is None or rest.size < QUIET_END_S * SAMPLE_RATE:
        return False
    end = frame_rms(rest[-int(QUIET_END_S * SAMPLE_RATE) :]).max()
    return float(20 * np.log10(end + 1e-12)) <= level - QUIET_END_DB


def spoken_past(guess: dict | None, samples: np.ndarray, until_s: float) -> float | None:
    """Where a guess ends if the candidate began speaking again only after all the audio it
    heard (so no word of theirs is cut in two), else None."""
    if not guess or not guess.get("closed", True):
        return None  # guessed while the speech may have gone on: not a segment
    regions = _speech_after(guess, samples, until_s)
    if regions and regions[0][0] >= guess["to_s"] - guess["spoken_until_s"]:
        return guess["to_s"]
    return None


def guess_holds(guess: dict | None, samples: np.ndarray, until_s: float) -> bool:
    """True if ``guess`` decoded everything said after ``until_s``: it started there, and no
    speech began after the speech it heard (a cough or a new word there: decode again)."""
    return _speech_after(guess, samples, until_s) == []


def _speech_after(
    guess: dict | None, samples: np.ndarray, until_s: float
) -> list[tuple[float, float]] | None:
    """The stretches of speech after the speech ``guess`` heard (relative to its end), or None
    when there is no guess from this boundary.

    For a guess made before the speech had ended (not ``closed``), the fine voice activity
    runs from ``LOOK_BACK_S`` before its end: a stretch that goes on past its end, even by
    part of a word, is speech after it."""
    if not guess or abs(guess["from_s"] - until_s) > 1e-6:
        return None
    if guess.get("closed", True):
        return speech_regions(samples[int(guess["spoken_until_s"] * SAMPLE_RATE) :])
    start = max(guess["from_s"], guess["to_s"] - LOOK_BACK_S)
    end = guess["to_s"] - start
    regions = speech_regions(samples[int(start * SAMPLE_RATE) :], FINE_PAUSES)
    return [(a - end, b - end) for a, b in regions if b > end + 1e-3]


def final_transcript(
    engine, samples: np.ndarray, committed: list[dict], until_s: float, guess: dict | None = None
) -> Transcript:
    """The whole recording's transcript: the committed words, then the rest.

    The rest is ``guess`` (``tail_guess``, made while the candidate was silent) when it still
    holds, else transcribed now.
    """
    duration = samples.size / SAMPLE_RATE
    if guess_holds(guess, samples, until_s):
        log.info("the last %.1f s were decoded before Stop", duration - until_s)
        tail_words = guess["words"]
    else:
        rest = samples[int(until_s * SAMPLE_RATE) :]
        log.info("decoding the last %.1f s at Stop (guess: %s)", rest.size / SAMPLE_RATE,
                 "no longer holds" if guess else "none")  # fmt: skip
        tail = decode_rest(engine, rest, committed) if rest.size else None
        tail_words = shifted(tail, until_s) if tail else []
    words = as_words(committed + following(committed, tail_words))
    return Transcript(text=join_words(words), words=words, duration_s=duration)


def decode_rest(engine, rest: np.ndarray, committed: list[dict]) -> Transcript:
    """The rest of an answer as Stop decodes it: the candidate is waiting for this last bit,
    so in the quick window, greedily, when it is short."""
    quick = rest.size < QUICK_TAIL_S * SAMPLE_RATE
    return engine.transcribe(rest, context=context_of(committed), quick=quick, greedy=quick)


def transcribe_by_pauses(engine, samples: np.ndarray) -> Transcript:
    """A whole recording, segment by segment, as if it had been streamed; a quiet voice
    raised first, by one gain for the whole recording (``speech.levelled``: a browser's
    recorder levels the voice itself, an uploaded file may come from a phone on the desk)."""
    samples = levelled(samples, speech_regions(samples))
    committed: list[dict] = []
    until = 0.0
    for words, cut in live_segments(engine, samples, committed, until):
        committed, until = words, cut
    return final_transcript(engine, samples, committed, until)
