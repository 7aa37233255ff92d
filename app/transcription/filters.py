"""Only what was said: drop what the audio does not support, and decode again what was skipped.

Whisper fails in two ways that matter to a candidate (bench/accuracy.py measures both):

* It **invents**: on the silence or breath after an answer it writes what its training
  subtitles said there ("Thank you.", "Thanks for watching.", "you", "I'm sorry, I'm sorry."),
  stray dots, a burst of words stacked at one instant, a doubted "uh" with no length, or a
  phrase twice with no time for the second. ``supported_words`` keeps a word only when the
  decoder was sure its segment held speech and the audio under the word has sound in it.
* It **skips**: after a long pause the decoder may end its window early ("nothing more
  here") and the sentence after the pause is never decoded. ``fill_gaps`` finds stretches of
  speech (voice activity) that no kept word covers and decodes each on its own.
* It **tidies**: an "um" that opens an answer or a sentence after a pause is left out and its
  time given to the next word ("Um, my" as a 0.6 s "My"). ``restore_fillers`` finds words
  longer than their syllables explain, or whose time holds a sound and a silence before the
  word itself, and decodes just that moment again; it also hears again alone a doubted word
  that sounds like a filler ("Up," for "Uh,": ``heard_as_words``).

Both engines hand their segments over as ``Decoded`` values, so one rule serves both.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .base import (
    MAX_COMPRESSION_RATIO,
    MIN_AVG_LOGPROB,
    SAMPLE_RATE,
    SOUND_FILLERS,
    UNSURE_BELOW,
    Word,
)
from .speech import FINE_PAUSES, FRAME_S, frame_rms, join_words, speech_regions, voiced_frames

log = logging.getLogger(__name__)

# A segment the decoder itself doubts (mean token log-probability below MIN_AVG_LOGPROB) and
# that its no-speech detector gives this much is not speech. Whisper skips a whole window at
# 0.6; invented endings scored 0.46-0.59 on the set, real speech under 0.1.
DOUBTFUL_NO_SPEECH = 0.4
# What Whisper writes on silence, learned from subtitles. Such a segment stays only when the
# decoder is sure it heard speech there.
STOCK_PHRASES = re.compile(
    r"^(thank you( (so|very) much)?( for watching| for listening)?|thanks( for watching)?"
    r"|you|bye|okay|i'?m sorry( i'?m sorry)*|(please )?subscribe.*|.*like button.*"
    r"|.*(see you|next video|watching).*)$"
)
STOCK_NO_SPEECH = 0.2
# A decode that loops (Whisper's own test: text compressing more than MAX_COMPRESSION_RATIO)
# over audio its no-speech detector gives better than even odds is not speech, however sure
# of its words the decoder is: with music under the end of an answer, the rest came back "I'm
# not sure if I'm right." four times (-0.71, no speech 0.78) and "I'm" stayed, 1.84 s long.
LOOPING_NO_SPEECH = 0.5
# The loudest 20 ms under a word must reach this share of the answer's speech level (the
# 90th percentile of its voiced frames), -30 dB: words over silence or a breath are invented.
QUIET_SHARE = 0.03
# A stretch of speech this long that no word covers is decoded again on its own.
GAP_MIN_S = 0.6
GAP_PAD_S = 0.25
# A word that starts a stretch of speech and lasts this much longer than its syllables need
# (about SYLLABLE_S each) holds a sound the decoder did not write. On the evaluation set only
# the words that swallowed an opening filler went past 0.3 s; ordinary first words 0.1-0.3.
# A first word the decoder doubts is asked about too: "Probably" for "Uh, probably" came 0.25 s
# too long, at 0.03 and 0.25. Either is only decoded again: the filler is taken only when that
# decode hears it before the same word.
SWALLOWED_S = 0.3
# ... a doubted one only after a pause this long (where a sentence, and its "um", begins), so
# the doubted words of fluent speech are not each decoded twice more.
PAUSE_BEFORE_S = 0.3
SYLLABLE_S = 0.12
WORD_END_PAD_S = 0.05
# A word whose time holds a sound of its own, then a silence of at least APART_GAP_S, then
# the word, swallowed that sound, however long its syllables are: "I, uh, used" came back
# "I used" with "used" from 2.20 to 3.02 s over the "uh" (2.52-2.62) and the 0.2 s silence
# after it, in a browser recording whose voice activity ran the "uh" into "used". Silence is
# a 20 ms frame APART_DROP_DB under the loudest frame of the word's time; the sound is at
# most APART_MAX_S long (a drawn-out "um"). Such a word is always decoded again, with the
# wider clip too when the tight one heard no filler ("Probably." for "Uh, probably" after
# Chromium's Opus encoding; the wider clip heard "Uh, probably").
APART_GAP_S = 0.1
APART_DROP_DB = 20.0
APART_MAX_S = 0.8
APART_MIN_S = 0.08  # ... and at least this long (a click of the lips is shorter)
# ... and the word itself, after that silence, still has this much of the word's time: a
# silence inside a word (the closure of "people", "after", "package") leaves the decoder's
# time for the word a few frames after it (0.02-0.08 s on the set), a swallowed "uh" the
# whole word (0.18 s and more).
APART_REST_S = 0.14
# A phrase written twice in a row whose second time spans less than this share of what its
# syllables need (SYLLABLE_S each) was not said twice (``looped``); one whose every word the
# decoder doubts (under UNSURE_BELOW) needs all of that time: "to one point one seconds"
# came back "to 1 1.1 seconds", the second " 1" at 0.37 in 0.06 s (--room phone, and with
# key presses under it).
LOOPED_SHARE = 0.5
# ... nor one whose second time comes before a pause and that the decoder gives each word of
# under this: in a bare room it heard "first." again in the reflections after "I would ask
# for feedback first." (0.15; bench/accuracy.py --room reverb:0.6). Real repeats ("I, I
# think", "very, very") come inside a sentence, and the decoder is sure of them.
ECHO_BELOW = 0.3
# A word that starts this far inside the word before it was heard in audio already written:
# the decoder's next segment went back over it. Aligned words follow one another; in the
# whole path's 4,645 words of the evaluation and held-out sets only two started more than
# 0.05 s inside the word before, both by 0.25 s: "by 3.5%. 0.5%." for "by three point five
# percent" (a new segment over "five percent", the " 0" at 0.19), and a real "We" after
# "code." in "We we shipped".
REHEARD_S = 0.1
# ... and such a word (with the pieces written onto it, " 0" ".5%.") is dropped when the
# decoder doubts it and this share of its parts repeats what was just written before it.
REHEARD_SHARE = 0.5
# A filler is a sound: one the decoder doubts (under UNSURE_BELOW) and whose timing gives it
# less than this is not in the audio, with a model that times fillers (``FILLERS_TIMED``). On
# the evaluation set's whole path only four words came out shorter: two real words, and two
# fillers the accented voice never said, both doubted ("Um, uh, next time" for "Hmm, next
# time", 0.13; "the first Uh, 10 minutes", 0.00).
SOUNDLESS_S = 0.03
# A scrap of a sentence this long (or shorter) closing a clip is heard again if doubted.
FRAGMENT_WORDS = 3
# Where two segments meet, a repeat is looked for among this many words before the cut.
JOIN_WORDS = 8
# What the decoder writes for an "um" or "uh" it doubts: real words that sound like one.
# Such a word under UNSURE_BELOW is heard again on its own ("Up, one more thing" for "Um,
# one more thing"; "And up, the" for "And, uh, the"; in an accent, "Whoa, probably" for
# "Uh, probably" and "Hum," for "Hmm,").
FILLER_ALIKE = frozenset({"up", "uhp", "ump", "oh", "eh", "ugh", "huh", "whoa", "hum"})


@dataclass(frozen=True)
class Decoded:
    """One segment as an engine decoded it."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: list[Word] = field(default_factory=list)
    compression_ratio: float = 0.0
    # The model's word timings give every filler said some length (``base.FILLERS_TIMED``).
    fillers_timed: bool = False


def _plain(text: str) -> str:
    return re.sub(r"[^a-z' ]", "", text.lower()).strip()


def _spelled(text: str) -> str:
    """A word as written, for comparing two decodes: letters, digits, apostrophes."""
    return re.sub(r"[^a-z0-9']", "", text.lower())


def doubted(segment: Decoded) -> bool:
    """True when the decoder did not believe this segment held speech."""
    if segment.avg_logprob < MIN_AVG_LOGPROB and segment.no_speech_prob > DOUBTFUL_NO_SPEECH:
        return True
    if (
        segment.compression_ratio > MAX_COMPRESSION_RATIO
        and segment.no_speech_prob > LOOPING_NO_SPEECH
    ):
        return True
    return bool(STOCK_PHRASES.match(_plain(segment.text))) and (
        segment.no_speech_prob > STOCK_NO_SPEECH or segment.avg_logprob < MIN_AVG_LOGPROB
    )


class Loudness:
    """Frame levels of one recording, to ask whether there is sound under a word."""

    def __init__(self, samples: np.ndarray, regions: list[tuple[float, float]]) -> None:
        self.rms = frame_rms(samples)
        levels = voiced_frames(self.rms, regions) if regions else self.rms
        self.speech_level = float(np.percentile(levels, 90)) if levels.size else 0.0

    def sounded(self, start: float, end: float) -> bool:
        """True when the loudest frame between ``start`` and ``end`` is speech-loud."""
        first = max(0, int((start - FRAME_S) / FRAME_S))
        last = max(first + 1, int((end + FRAME_S) / FRAME_S) + 1)
        window = self.rms[first:last]
        return bool(window.size) and float(window.max()) >= QUIET_SHARE * self.speech_level


def stacked(words: list[Word]) -> set[int]:
    """Indexes of words piled at one instant: two or more in a row with (nearly) no length,
    starting at the same moment.

    Whisper's alignment puts words the audio has no room for there ("Thanks for watching,
    please subscribe …" as 17 words at one moment). A lone short word ("uh") is not piled.
    """
    flat = [w.end - w.start < 0.05 for w in words]

    def together(i: int, j: int) -> bool:
        return flat[i] and flat[j] and abs(words[i].start - words[j].start) < 0.02

    return {
        i
        for i in range(len(words))
        if (i > 0 and together(i - 1, i)) or (i + 1 < len(words) and together(i, i + 1))
    }


def looped(words: list[Word]) -> set[int]:
    """Indexes of a phrase the decoder wrote twice in a row that was said once: the copy's
    words span less than half the time their syllables need (less than all of it when the
    decoder doubts each of them), or the copy comes before a pause (or the end) and the
    decoder doubts each of its words (``ECHO_BELOW``: the room's echo of the phrase).

    On a quiet voice the quick window loops ("Ten of clubs. Ten of clubs." over 0.7 s: the
    copy squeezed into 0.08 s). ``stacked`` catches the copy's words of no length, not the
    last one ("clubs." for 0.08 s), so the copy goes as a whole. A phrase the speaker did
    repeat ("I, I think"; "very, very") takes its time and stays.
    """
    said = [re.sub(r"[^a-z0-9%' ]", "", w.word.lower()).strip() for w in words]
    found: set[int] = set()
    for length in range(1, len(words) // 2 + 1):
        for start in range(length, len(words) - length + 1):
            if said[start - length] != said[start]:
                continue  # the usual case, decided without slicing
            copy = range(start, start + length)
            if found & set(copy) or not all(said[i] for i in copy):
                continue
            if said[start - length : start] != said[start : start + length]:
                continue
            needs = sum(_syllables(words[i].word) for i in copy) * SYLLABLE_S
            doubt = max(words[i].probability for i in copy)
            room = needs if doubt < UNSURE_BELOW else LOOPED_SHARE * needs
            squeezed = words[copy[-1]].end - words[start].start < room
            echoed = doubt < ECHO_BELOW and _before_pause(words, copy[-1])
            if squeezed or echoed:
                found.update(copy)
    return found


def _parts(text: str) -> list[str]:
    """The letters, digits and "%" of a written word in runs: "3.5%." → 3, 5, %."""
    return re.findall(r"[a-z']+|\d+|%", text.lower())


def reheard(words: list[Word]) -> set[int]:
    """Indexes of words the decoder wrote a second time over audio it had already written:
    a word starting ``REHEARD_S`` inside the one before, doubted, whose parts mostly repeat
    the words just before it ("by 3.5%. 0.5%.": the second number). A word said twice takes
    its own time after the first ("We we shipped" overlapped "code.", and repeats nothing)."""
    found: set[int] = set()
    i = 1
    while i < len(words):
        run = [i]  # the word and the pieces written onto it without a space
        while run[-1] + 1 < len(words) and not words[run[-1] + 1].word[:1].isspace():
            run.append(run[-1] + 1)
        inside = words[i - 1].end - words[i].start >= REHEARD_S
        doubted = min(words[j].probability for j in run) < UNSURE_BELOW
        if inside and doubted:
            parts = [p for j in run for p in _parts(words[j].word)]
            before = [p for w in words[max(0, i - len(run) - 2) : i] for p in _parts(w.word)]
            repeated = sum(p in before for p in parts)
            if parts and repeated >= REHEARD_SHARE * len(parts):
                found.update(run)
        i = run[-1] + 1
    return found


def heard_across(before: list[Word], after: list[Word]) -> set[int]:
    """Indexes of ``after``'s words that repeat the end of ``before`` and were said once
    (``looped``, ``reheard``): where an answer is cut inside speech, both segments may hear the same
    word. "to one point one seconds", cut after "one", came back "to 1" and then " 1" (0.37,
    0.06 s) ".1 seconds" (--room phone)."""
    tail = before[-JOIN_WORDS:]
    both = tail + after
    return {i - len(tail) for i in looped(both) | reheard(both) if i >= len(tail)}


def _before_pause(words: list[Word], i: int) -> bool:
    """Whether ``words[i]`` is the last word, or a pause of ``PAUSE_BEFORE_S`` follows it."""
    return i == len(words) - 1 or words[i + 1].start - words[i].end >= PAUSE_BEFORE_S


def has_letters(word: Word) -> bool:
    """A word with a letter or digit in our alphabet (not ". . ." or stray CJK from a loop),
    or a "%": Whisper writes "90 percent" as " 90" and "%", two words."""
    return bool(re.search(r"[A-Za-z0-9%]", word.word)) and not re.search(
        r"[^\x00-\x7f\u00c0-\u024f\u2018-\u201d\u2026$€£%]", word.word
    )


def supported_words(
    segments: list[Decoded], samples: np.ndarray, regions: list[tuple[float, float]]
) -> list[Word]:
    """The words of ``segments`` the audio supports, in order."""
    loudness = Loudness(samples, regions)
    believed = [s.words for s in segments if not doubted(s)]
    # A loop or an echo may start a segment of its own ("first." then "First."), so the
    # words are looked at across segments; a pile of words at one instant is within one.
    words = [w for each in believed for w in each]
    timed = [s.fillers_timed for s in segments if not doubted(s) for _ in s.words]
    piled, offset = looped(words) | reheard(words), 0
    for each in believed:
        piled |= {offset + i for i in stacked(each)}
        offset += len(each)
    return [
        w
        for i, w in enumerate(words)
        if i not in piled
        and has_letters(w)
        and loudness.sounded(w.start, w.end)
        and not (timed[i] and soundless_filler(w))
    ]


def soundless_filler(word: Word) -> bool:
    """A filler the decoder doubts, timed with no length (``SOUNDLESS_S``): not in the audio,
    when its model's timings give every filler some (``Decoded.fillers_timed``)."""
    return (
        word.end - word.start < SOUNDLESS_S
        and word.probability < UNSURE_BELOW
        and _plain(word.word) in SOUND_FILLERS
    )


def gaps(words: list[Word], regions: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Stretches of speech at least ``GAP_MIN_S`` long that no word overlaps."""
    found = []
    for start, end in regions:
        cursor = start
        inside = sorted((w.start, w.end) for w in words if w.end > start and w.start < end)
        for w_start, w_end in [*inside, (end, end)]:
            if w_start - cursor >= GAP_MIN_S + 2 * 0.3:  # the regions carry 0.3 s of padding
                found.append((cursor, w_start))
            cursor = max(cursor, w_end)
    return found


def fill_gaps(
    words: list[Word],
    samples: np.ndarray,
    regions: list[tuple[float, float]],
    decode: Callable[[np.ndarray, str], list[Decoded]],
) -> list[Word]:
    """Decode each stretch of speech no word covers on its own, and put its words in place.

    ``decode(samples, context)`` is the engine's decode of a clip, with ``context`` the words
    said before it.
    """
    for start, end in gaps(words, regions):
        first = max(0.0, start - GAP_PAD_S)
        clip = samples[int(first * SAMPLE_RATE) : int((end + GAP_PAD_S) * SAMPLE_RATE)]
        before = "".join(w.word for w in words if w.end <= start).strip()
        found = supported_words(decode(clip, before), clip, [(start - first, end - first)])
        moved = [Word(w.word, w.start + first, w.end + first, w.probability) for w in found]
        words = sorted(words + [w for w in moved if start - 0.3 <= w.start < end + 0.3],
                       key=lambda w: w.start)  # fmt: skip
    return words


def confirm_last_fragment(
    words: list[Word],
    samples: np.ndarray,
    decode: Callable[[np.ndarray, str], list[Decoded]],
) -> list[Word]:
    """Hear again a doubted scrap of a sentence that closes a clip, and keep only what that
    decode hears too.

    Where the speaker stops (a pause the clip was cut at, or the end), the decoder sometimes
    opens a sentence it has no audio for: "… into the new owners platform. Oh, I'm..." before
    a 2.5 s pause (a held-out voice: ``FRAGMENT_WORDS`` words or fewer after a sentence's end,
    "..." being none, one of them doubted). The end of the clip from the word that
    closed the sentence is decoded alone; a word of the scrap that this decode does not hear
    after that word goes. On the evaluation and held-out sets' whole path (4,645 words) only
    two clips closed on such a scrap, both of invented words.
    """
    ends = [i for i, w in enumerate(words) if re.search(r"(?<!\.\.)[.?!]$", w.word.strip())]
    if not ends or ends[-1] == len(words) - 1:
        return words
    closer, scrap = ends[-1], words[ends[-1] + 1 :]
    if len(scrap) > FRAGMENT_WORDS or min(w.probability for w in scrap) >= UNSURE_BELOW:
        return words
    first = max(0.0, words[closer].start - GAP_PAD_S)
    clip = samples[int(first * SAMPLE_RATE) : int((scrap[-1].end + GAP_PAD_S) * SAMPLE_RATE)]
    region = [(words[closer].start - first, scrap[-1].end - first)]
    heard = [_spelled(w.word) for w in supported_words(decode(clip, ""), clip, region)]
    closing = _spelled(words[closer].word)
    after = heard[heard.index(closing) + 1 :] if closing in heard else heard
    kept = [w for w in scrap if _spelled(w.word) in after]
    if len(kept) < len(scrap):
        log.info("a closing scrap not heard again alone: %r (heard %r)",
                 join_words(scrap), " ".join(heard))  # fmt: skip
    return words[: closer + 1] + kept


def _syllables(word: str) -> int:
    return max(1, len(re.findall(r"[aeiouy]+", _plain(word))))


def _overlong(word: Word, onset: float) -> bool:
    return word.end - onset - SYLLABLE_S * _syllables(word.word) > SWALLOWED_S


def sound_apart(levels_db: np.ndarray, start: float, end: float) -> float | None:
    """Where a sound of its own begins between ``start`` and ``end`` (seconds): silence, a
    sound of ``APART_MIN_S`` to ``APART_MAX_S``, a silence of ``APART_GAP_S`` or more, then
    the word with at least ``APART_REST_S`` of the time left; None when the time holds one
    stretch of sound (with its own short closures).
    ``levels_db`` are the recording's 20 ms frame levels in dB (``frame_rms``)."""
    first = max(0, int(start / FRAME_S))
    frames = levels_db[first : int(end / FRAME_S) + 1]
    if frames.size < 3:
        return None
    quiet = frames < frames.max() - APART_DROP_DB
    # Runs of quiet and sounded frames: (quiet, first frame, length).
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8))) + 1
    bounds = [0, *edges.tolist(), frames.size]
    runs = [(bool(quiet[a]), a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]
    gap, longest = round(APART_GAP_S / FRAME_S), round(APART_MAX_S / FRAME_S)
    shortest, rest = round(APART_MIN_S / FRAME_S), round(APART_REST_S / FRAME_S)
    # A sounded run with silence either side (the silence before may be cut by the start of
    # the word's time), then sound again holding the rest of the word's time.
    for k in range(1, len(runs) - 2):
        (_, _, before), (is_quiet, at, length) = runs[k - 1], runs[k]
        (_, _, pause), (_, then, _) = runs[k + 1], runs[k + 2]
        if is_quiet or not shortest <= length <= longest:
            continue
        if pause >= gap and (before >= gap or k == 1) and frames.size - then >= rest:
            return (first + at) * FRAME_S
    return None


def swallowing(words: list[Word], samples: np.ndarray) -> list[tuple[int, float, bool]]:
    """``(index, onset, apart)`` of each word that begins at a speech onset (fine voice
    activity) and lasts ``SWALLOWED_S`` longer than its syllables explain, or that the
    decoder doubts after a pause; or whose time holds a sound apart from it before a silence
    (``sound_apart``; ``apart`` True, ``onset`` that sound's start)."""
    levels_db = 20 * np.log10(frame_rms(samples) + 1e-9)
    apart = {i: at for i, w in enumerate(words)
             if _plain(w.word) not in SOUND_FILLERS
             and (at := sound_apart(levels_db, w.start, w.end)) is not None}  # fmt: skip
    if not any(_overlong(w, w.start - 0.15) or _may_open(words, i) for i, w in enumerate(words)):
        # The usual case, without a second voice-activity pass (a sound apart needs none).
        return [(i, at, True) for i, at in apart.items()]
    onsets = [start for start, _ in speech_regions(samples, FINE_PAUSES)]
    found = []
    for i, word in enumerate(words):
        if i in apart:
            found.append((i, apart[i], True))
            continue
        onset = next((t for t in onsets if word.start - 0.15 <= t < word.end), None)
        if onset is None or _plain(word.word) in SOUND_FILLERS:
            continue
        after_pause = onset - (words[i - 1].end if i else 0.0) >= PAUSE_BEFORE_S
        if _overlong(word, onset) or (word.probability < UNSURE_BELOW and after_pause):
            found.append((i, onset, False))
    return found


def _may_open(words: list[Word], i: int) -> bool:
    """Whether ``words[i]`` is doubted and may follow a pause of ``PAUSE_BEFORE_S``: its onset
    lies before its end, so a word ending within that of the last one cannot. Doubted words
    inside fluent speech (4 % of correct ones) then cost no second voice-activity pass."""
    before = words[i - 1].end if i else 0.0
    return words[i].probability < UNSURE_BELOW and words[i].end - before > PAUSE_BEFORE_S


def restore_fillers(
    words: list[Word],
    samples: np.ndarray,
    decode: Callable[[np.ndarray, str], list[Decoded]],
) -> list[Word]:
    """Put back a filler the decoder folded into the next word.

    Each suspect word (``swallowing``) is decoded again alone, from just before its onset to
    just after it ends. Only a filler followed by the same word is taken, or one heard at a
    sound apart from the word (``sound_apart``: sound, silence, then the word, all in the
    word's time), and only where the audio under it has sound: this adds "um"s, never other
    words.
    """
    words = heard_as_words(words, samples, decode)
    for i, onset, apart in reversed(swallowing(words, samples)):
        word = words[i]
        first = max(0.0, onset - GAP_PAD_S)
        found = _filler_before(word, samples, first, onset, decode, apart)
        if found is None:
            continue
        filler, after = found
        # Our word keeps its punctuation; its capital goes when the filler now opens the
        # sentence ("Um, my"), as the decode that heard both wrote it (or, when it heard
        # only the filler, unless the word is "I"). The filler has a capital only there.
        opens = i == 0 or words[i - 1].word.rstrip().endswith((".", "?", "!"))
        text = word.word
        lower = (
            after.word.strip()[:1].islower()
            if after
            else opens and _plain(text)[:2] not in {"i", "i'"}
        )
        if lower:
            text = text.replace(text.strip()[:1], text.strip()[:1].lower(), 1)
        said = filler.word.strip()
        said = " " + (said[:1].upper() if opens else said[:1].lower()) + said[1:]
        filler = Word(said, filler.start + first, filler.end + first, filler.probability)
        # The word's doubt came from the sound it swallowed: the decode that heard both
        # speaks for it now ("Probably" at 0.03 in "Uh, probably", heard at 0.95 alone).
        moved = (
            Word(text, max(filler.end, after.start + first), word.end, after.probability)
            if after is not None
            else Word(text, max(filler.end, word.start), word.end, word.probability)
        )
        words = [*words[:i], filler, moved, *words[i + 1 :]]
    return words


def _filler_before(
    word: Word,
    samples: np.ndarray,
    first: float,
    onset: float,
    decode: Callable[[np.ndarray, str], list[Decoded]],
    apart: bool = False,
) -> tuple[Word, Word | None] | None:
    """The filler and the word itself, as a decode of just that moment heard them, or None.

    The clip first ends with the word; a decoder cut off mid-word by its timing ("problem"
    for a "probably" that went on) is asked once more with a little of what follows. A piece
    of the next word can also mislead it ("My big." for "Um, my", "biggest" cut), so the
    tight clip goes first, and only a filler it heard first, before another word, is worth
    the second clip: a moment it heard with no filler at all ("My", or flite's "I asked" heard
    as "Hiya.") is asked once, not twice (a quarter to half a second each at Stop), unless
    the word's time holds a sound ``apart`` from it: then the wider clip is asked as well.
    """
    at_the_sound = None
    for pad in (WORD_END_PAD_S, GAP_PAD_S):
        clip = samples[int(first * SAMPLE_RATE) : int((word.end + pad) * SAMPLE_RATE)]
        heard = supported_words(decode(clip, ""), clip, [(onset - first, word.end - first)])
        filler_first = bool(heard) and _plain(heard[0].word) in SOUND_FILLERS
        if filler_first and len(heard) >= 2 and _plain(heard[1].word) == _plain(word.word):
            return heard[0], heard[1]
        there = filler_first and onset - first < heard[0].end < onset - first + APART_MAX_S
        if apart and there:
            # The sound apart is the filler this decode heard. What it made of the word in
            # so short a clip ("use it." for "used") does not matter, but a decode that
            # hears the word too speaks for its doubt: the wider clip, next.
            at_the_sound = at_the_sound or heard[0]
        if not apart and not filler_first:
            return None
    return (at_the_sound, None) if at_the_sound else None


def heard_as_words(
    words: list[Word],
    samples: np.ndarray,
    decode: Callable[[np.ndarray, str], list[Decoded]],
) -> list[Word]:
    """Put back a filler the decoder wrote as a word that sounds like one, and doubted.

    A doubted ``FILLER_ALIKE`` word is decoded again alone, with a little audio either side;
    when that decode opens with a filler and does not hear the word again, the filler takes
    the word's place and times. A decode that opens with neither (the accent's drawn "uh" of
    "Uh, probably" heard "Hello." alone, at 0.11, on a CPU without AVX-512) is asked once more
    with a little more after the word, as ``_filler_before`` asks a wider clip. A sure "up" is
    never touched, nor any other word.
    """
    for i, word in enumerate(words):
        if word.probability >= UNSURE_BELOW or _plain(word.word) not in FILLER_ALIKE:
            continue
        first = max(0.0, word.start - GAP_PAD_S)
        for pad in (GAP_PAD_S, 2 * GAP_PAD_S):
            clip = samples[int(first * SAMPLE_RATE) : int((word.end + pad) * SAMPLE_RATE)]
            heard = supported_words(
                decode(clip, ""), clip, [(word.start - first, word.end - first)]
            )
            plain = [_plain(w.word) for w in heard]
            if plain and (plain[0] in SOUND_FILLERS or plain[0] == _plain(word.word)):
                break
        if plain and plain[0] in SOUND_FILLERS and _plain(word.word) not in plain:
            # The word's own punctuation and case stay: "Up," becomes "Um,", "up," "um,".
            filler = plain[0] if word.word.strip()[:1].islower() else plain[0].capitalize()
            text = re.sub(r"[A-Za-z]+", filler, word.word, count=1)
            words = [*words[:i], Word(text, word.start, word.end, heard[0].probability),
                     *words[i + 1 :]]  # fmt: skip
    return words
