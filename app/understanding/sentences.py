"""An answer's words cut into sentences, each with its time span and word positions.

Whisper's punctuation decides where a sentence ends; a run of words with no full stop is cut
every ``MAX_WORDS`` words so one long breathless sentence still reads as several ideas.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_WORDS = 30
ENDINGS = (".", "?", "!", "…")


@dataclass(frozen=True)
class Sentence:
    """Consecutive words of an answer: their text as said, what the encoder reads (fillers
    left out), when they start and end, and their positions in the answer's word list."""

    text: str
    reading: str
    start: float
    end: float
    indexes: tuple[int, ...]


def split_sentences(
    words: list[dict], skip: frozenset[int] | set[int] = frozenset()
) -> list[Sentence]:
    """Sentences of Whisper words (``{"word", "start", "end"}``); words whose position is in
    ``skip`` (fillers) stay in ``text`` but not in ``reading``."""
    sentences: list[Sentence] = []
    current: list[int] = []

    def close() -> None:
        if not current:
            return
        said = [words[i]["word"].strip() for i in current]
        read = [words[i]["word"].strip() for i in current if i not in skip]
        if any(any(c.isalnum() for c in w) for w in read):
            sentences.append(Sentence(
                text=" ".join(said), reading=" ".join(read).strip(" ,"),
                start=float(words[current[0]]["start"]), end=float(words[current[-1]]["end"]),
                indexes=tuple(current),
            ))  # fmt: skip
        current.clear()

    for index, word in enumerate(words):
        if not word["word"].strip():
            continue
        current.append(index)
        if word["word"].rstrip().endswith(ENDINGS) or len(current) >= MAX_WORDS:
            close()
    close()
    return sentences
