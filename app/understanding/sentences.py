"""An answer's words cut into sentences, each with its time span and word positions.

Whisper's punctuation decides where a sentence ends. Spoken answers run clauses together
("I talked to the client, we cut the scope, and we delivered"), so a sentence longer than
``LONG_WORDS`` is also cut at a comma once its piece has ``MIN_CLAUSE_WORDS``, and a run with
no punctuation at all every ``MAX_WORDS`` words: each piece then reads as one idea.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_WORDS = 30
LONG_WORDS = 16
MIN_CLAUSE_WORDS = 6
ENDINGS = (".", "?", "!", "…")
PAUSES = (",", ";", ":", "—", "-")


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

    # Where each sentence (up to its full stop) ends, to know whether it is long.
    ends, length = {}, 0
    for index, word in enumerate(words):
        length += bool(word["word"].strip())
        if word["word"].rstrip().endswith(ENDINGS) or index == len(words) - 1:
            for back in range(index, index - length, -1):
                ends[back] = length
            length = 0
    for index, word in enumerate(words):
        text = word["word"].rstrip()
        if not text.strip():
            continue
        current.append(index)
        clause_ends = (
            text.endswith(PAUSES)
            and ends.get(index, 0) > LONG_WORDS
            and len(current) >= MIN_CLAUSE_WORDS
        )
        if text.endswith(ENDINGS) or clause_ends or len(current) >= MAX_WORDS:
            close()
    close()
    return sentences
