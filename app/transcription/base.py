"""The transcription engine interface and the values it returns.

Every engine takes 16 kHz mono float32 samples (already decoded by ``app.recordings.audio``)
and returns a ``Transcript`` with word timings. Engines never touch files,
the database or the network.

Exceptions::

    TranscriptionError
    ├── ModelNotFound      the configured model cannot be found on disk
    └── EngineUnavailable  the engine's Python package is not installed
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000

# Whisper learned to drop "um" and "uh" from tidy subtitles; a prompt of bare hesitations makes
# the decoder keep them. Sentence-like prompts kept a few more but made tiny.en add "Thank you."
# after clips, and an "er" in the prompt turns "uh" into "er" (bench/fillers.py, FILLERS.md).
VERBATIM_PROMPT = "Uh, um, uh, hmm, um."
# The sounds people make while they think: what the prompt above keeps in the text, what
# ``filters.restore_fillers`` puts back, and what the speech report counts as fillers.
SOUND_FILLERS = frozenset(
    {"um", "umm", "uhm", "erm", "uh", "uhh", "er", "err", "ah", "ahh", "hmm", "hm", "mm"}
)

# When a decode counts as failed (both engines' defaults): it repeats itself (its text
# compresses more than this) or the model is unsure of it (mean token log-probability).
MAX_COMPRESSION_RATIO = 2.4
MIN_AVG_LOGPROB = -1.0
# A window whose no-speech probability is above this, and whose text the model is unsure of,
# is silence: the decoder skips it (both engines' default).
NO_SPEECH_SKIP = 0.6
# A decode that writes this many fillers in a row has looped on the verbatim prompt's "uh"s
# over speech it did not follow: a clip that starts inside a sentence, decoded with the bare
# prompt, came back "Uh, uh, uh, uh, uh, uh, uh, uh, uh." over ten seconds of fluent speech
# (compressing only 2.33, under the loop test above), then "uh" a hundred times in the
# stretch it skipped. Asked again without the prompt's fillers, it wrote what was said. People
# do say four in a row ("Um, uh, um, um." on the evaluation set), so four is not a loop.
FILLER_RUN = 5
# A clip of speech decodes to about six tokens a second (words, punctuation, timestamps); a
# decode that loops runs on to the model's limit of 448 tokens. On 6 s of a fluent answer cut
# inside a word, the quick decode looped, was judged doubtful and was decoded again in the
# full window, which looped too: 7 s of decoding, in a worker a candidate may be waiting on.
# A short clip's decode stops at ``token_budget`` tokens instead, and the loop is judged as
# before (the compression test).
TOKENS_PER_S = 10
MAX_NEW_TOKENS = 200  # the prompt holds at most 40 words: well inside the 448


def token_budget(seconds: float) -> int:
    """The most tokens a decode of a clip ``seconds`` long may write."""
    return min(MAX_NEW_TOKENS, int(20 + TOKENS_PER_S * seconds))


# A word the decoder gave less than this probability is shown as possibly misheard and never
# counted as evidence (a filler, a hedge). Measured on bench/speech_set (bench/RESULTS.md,
# "Truthful transcripts"): most misheard and invented words fall under it, few correct ones.
UNSURE_BELOW = 0.5
# Models whose word timings give every filler said some length, so that one timed with none
# is not in the audio (``filters.soundless_filler``): base (bench/accuracy.py: its only such
# fillers were invented, on the accented voice and on an espeak answer with none in it), not
# tiny.en (it timed real espeak "uh"s of bench/fillers.py's answers with no length).
FILLERS_TIMED = frozenset({"base"})


def unsure(word: dict) -> bool:
    """True for a stored word the decoder itself doubted (under ``UNSURE_BELOW``).

    An "um" or "uh" is judged by the audio instead (``filters.restore_fillers``, the voice
    activity under it): Whisper learned from subtitles that leave hesitations out, so it gives
    nearly every real one a low probability (bench/RESULTS.md, "Truthful transcripts")."""
    sound = word["word"].strip().strip(",.?!…;:-").lower()
    return word.get("probability", 1.0) < UNSURE_BELOW and sound not in SOUND_FILLERS


def filler_run(text: str) -> bool:
    """True when ``text`` writes ``FILLER_RUN`` fillers in a row."""
    run = 0
    for token in text.lower().split():
        run = run + 1 if token.strip(",.?!…;:-") in SOUND_FILLERS else 0
        if run >= FILLER_RUN:
            return True
    return False


def decoder_accepts(compression_ratio: float, avg_logprob: float, no_speech_prob: float) -> bool:
    """Whether the decoders' own checks accept one try of a window: it does not repeat itself
    and the model believes it, or it is silence (and the window is skipped). A try that fails
    is sampled again warmer."""
    unsure = avg_logprob < MIN_AVG_LOGPROB
    if unsure and no_speech_prob > NO_SPEECH_SKIP:
        return True
    return not unsure and compression_ratio <= MAX_COMPRESSION_RATIO


def believed(text: str, compression_ratio: float, avg_logprob: float, no_speech_prob: float):
    """A window's try that the decoder's checks accept and that does not loop on fillers.

    Both engines try a window again at temperature 0 without their verbatim prompt
    (``unprimed``) when its first try is not believed, before the decoder samples it warmer: a
    bare prompt of fillers is what sends a clip starting inside a word into a loop ("I'm going
    to show you guys a little bit of what I'm going to show you guys …", or "Uh, uh, uh, …"
    over fluent speech). Sampled warmer instead, such a window came back different at every
    run, and with words never said ("I'm going to go check out some of the new items I've
    been using for a long time." for "and the fraud checks, and I mentored three new hires").
    """
    return decoder_accepts(compression_ratio, avg_logprob, no_speech_prob) and not filler_run(text)


def filler_loop(segments) -> bool:
    """True when a segment of a decode (anything with a ``text``) writes ``FILLER_RUN``
    fillers in a row."""
    return any(filler_run(segment.text) for segment in segments)


def unprimed(prompt: str | None, initial_prompt: str | None) -> str | None:
    """``prompt`` without the engine's own prompt in front (only the words said before): what
    a decode that looped on the verbatim prompt's fillers (``filler_loop``) is asked again
    with."""
    if not (prompt and initial_prompt and prompt.startswith(initial_prompt)):
        return prompt
    return prompt[len(initial_prompt) :].strip() or None


def unlooped(decode: Callable[[str | None], list], prompt: str | None, initial_prompt: str | None):
    """``decode(prompt)``, asked again ``unprimed`` when it loops on the prompt's fillers
    (``filler_loop``); the second answer is kept unless it loops too. Both engines decode
    through this."""
    segments = decode(prompt)
    again = unprimed(prompt, initial_prompt)
    if again == prompt or not filler_loop(segments):
        return segments
    retry = decode(again)
    first, second = (" ".join(s.text for s in each)[:80] for each in (segments, retry))
    log.info("a decode looped on fillers (%r); without the verbatim prompt: %r", first, second)
    return segments if filler_loop(retry) else retry


def prompt_with(initial_prompt: str | None, context: str) -> str | None:
    """The decoder prompt: the engine's own, then the end of what was said before.

    ``context`` is the text already transcribed when a recording is transcribed in segments;
    Whisper reads the prompt as earlier speech, which keeps spelling and style consistent.
    """
    tail = " ".join(context.split()[-40:])
    return " ".join(part for part in (initial_prompt, tail) if part) or None


class TranscriptionError(Exception):
    """A transcription could not be produced."""


class ModelNotFound(TranscriptionError):
    """The configured Whisper model is not on this machine."""


class EngineUnavailable(TranscriptionError):
    """The configured engine's package is not installed."""


@dataclass(frozen=True)
class Word:
    """One recognised word and where it sits in the audio, in seconds."""

    word: str
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class Transcript:
    """What an engine heard in one recording."""

    text: str
    words: list[Word] = field(default_factory=list)
    language: str = "en"
    duration_s: float = 0.0

    @property
    def has_speech(self) -> bool:
        """True when at least one word was recognised."""
        return bool(self.words)

    def to_dict(self) -> dict:
        """A JSON-ready dict: ``text``, ``duration_s``, ``language``, ``words``."""
        return {
            "text": self.text,
            "duration_s": round(self.duration_s, 3),
            "language": self.language,
            "words": [
                {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(w).items()}
                for w in self.words
            ],
        }


class Engine(Protocol):
    """A loaded Whisper model that turns samples into a transcript."""

    name: str
    model_name: str

    def transcribe(
        self, samples: np.ndarray, context: str = "", quick: bool = False, greedy: bool = False
    ) -> Transcript:
        """Transcribe 16 kHz mono float32 ``samples``; words carry timings in seconds.

        ``context`` is text spoken just before ``samples`` (see ``prompt_with``). ``quick``
        asks for speed over the last bit of accuracy on a clip of a few seconds, where an
        engine can (someone is waiting for it); ``greedy`` decodes with beam 1.
        """
        ...
