"""What the timed words alone tell about delivery: sentences, filler bursts, restarts.

Words come as Whisper gives them: ``{"word": " we,", "start": 1.2, "end": 1.4}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.transcription.base import SOUND_FILLERS

BURST_FILLERS = 3  # listeners notice several fillers close together more than a total
BURST_WINDOW_S = 30.0
# Words people repeat on purpose ("very, very good", "no, no", "bye bye") and repeats that
# are grammar ("I know that that works", "we had had"): never counted as restarts.
DELIBERATE = {
    "very", "really", "so", "much", "many", "more", "far", "long", "no", "yes", "yeah",
    "bye", "again", "over", "and", "on", "that", "had", "is", "ha", "blah", "now", "go",
    "well", "okay", "ok", "right", "please", "hear", "step", "slowly", "little", "bit",
}  # fmt: skip
RESTART_GAP = 4  # a phrase started again within this many words of its first start

_EDGE = re.compile(r"^[^\w']+|[^\w'-]+$")


@dataclass(frozen=True)
class Sentence:
    """Consecutive words up to a full stop, question mark or exclamation mark."""

    start: float
    end: float
    text: str
    stop: str  # ".", "?", "!" or "" for words left without an ending
    words: tuple[dict, ...]


def plain(word: str) -> str:
    """A word as compared: lower case, without surrounding punctuation or a cut-off dash."""
    return _EDGE.sub("", word.strip().lower()).rstrip("-")


def sentences_of(words: list[dict]) -> list[Sentence]:
    """The transcript's sentences in order, each with its time span."""
    found: list[Sentence] = []
    current: list[dict] = []
    for word in words:
        current.append(word)
        ending = word["word"].strip().rstrip("\"')]")
        if ending[-1:] in ".?!" and not ending.endswith("..."):
            found.append(_sentence(current, ending[-1]))
            current = []
    if current:
        found.append(_sentence(current, ""))
    return found


def _sentence(words: list[dict], stop: str) -> Sentence:
    text = " ".join(w["word"].strip() for w in words)
    return Sentence(words[0]["start"], words[-1]["end"], text, stop, tuple(words))


def filler_bursts(words: list[dict]) -> list[dict]:
    """Spans holding at least three sound fillers (um, uh, hmm) within 30 seconds."""
    fillers = [w for w in words if plain(w["word"]) in SOUND_FILLERS]
    spans: list[list[int]] = []
    for first in range(len(fillers)):
        last = first
        while (
            last + 1 < len(fillers)
            and fillers[last + 1]["start"] - fillers[first]["start"] <= BURST_WINDOW_S
        ):
            last += 1
        if last - first + 1 < BURST_FILLERS:
            continue
        if spans and first <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    return [
        {
            "start": round(fillers[a]["start"], 2),
            "end": round(fillers[b]["end"], 2),
            "count": b - a + 1,
        }
        for a, b in spans
    ]


def repetitions(words: list[dict]) -> list[dict]:
    """A word or two said twice in a row ("I, I think", "what we, what we"), a word cut
    off and said again ("we- we went"), or a phrase of two words abandoned and started again
    a few words later ("we built the, we built a"); never deliberate repeats ("very, very")."""
    said = [(i, plain(w["word"])) for i, w in enumerate(words)]
    said = [(i, p) for i, p in said if p and p not in SOUND_FILLERS]  # "I, um, I" is a restart
    text = [p for _i, p in said]
    found: list[tuple[int, int]] = []
    n = 0
    while n < len(said):
        span = _repeat_at(said, text, n, words)
        if span is None:
            n += 1
            continue
        found.append((said[n][0], said[span][0]))
        n = span + 1
    return [
        {
            "start": round(words[a]["start"], 2),
            "end": round(words[b]["end"], 2),
            "text": " ".join(w["word"].strip() for w in words[a : b + 1]),
        }
        for a, b in found
    ]


def _repeat_at(
    said: list[tuple[int, str]], text: list[str], n: int, words: list[dict]
) -> int | None:
    """The position in ``said`` where a repeat starting at ``n`` ends, or None."""
    for size in (2, 1):
        here, again = text[n : n + size], text[n + size : n + 2 * size]
        if len(again) == size and here == again and not set(here) <= DELIBERATE:
            return n + 2 * size - 1
    cut = words[said[n][0]]["word"].strip()
    if cut.endswith("-") and n + 1 < len(said):
        return n + 1
    # A two-word start, dropped after a comma and said again: "we built the, we built a".
    for later in range(n + 3, min(n + 2 + RESTART_GAP, len(text) - 1)):
        before = words[said[later - 1][0]]["word"].strip()
        if (
            text[later : later + 2] == text[n : n + 2]
            and before.endswith((",", "-", "—"))
            and not set(text[n : n + 2]) <= DELIBERATE
            and not any(words[i]["word"].strip()[-1:] in ".?!" for i, _p in said[n:later])
        ):
            return later + 1
    return None
