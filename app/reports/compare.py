"""Two answers side by side: what changed in the words."""

from __future__ import annotations

import difflib
import re

_NOT_WORD = re.compile(r"[^\w']+")


def _key(word: str) -> str:
    """A word as the diff compares it: "Sure," and "sure." are the same word."""
    return _NOT_WORD.sub("", word.lower()).strip("'") or word


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Word-level diff of two transcripts as (kind, text) pieces: same, removed, added.

    Words are compared without case and punctuation, so "Sure, last" against "Sure. Last"
    is no change; the words the later answer used are shown.
    """
    a, b = before.split(), after.split()
    keys_a, keys_b = [_key(w) for w in a], [_key(w) for w in b]
    matcher = difflib.SequenceMatcher(a=keys_a, b=keys_b, autojunk=False)
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(("same", " ".join(b[j1:j2])))
        else:
            if i2 > i1:
                pieces.append(("removed", " ".join(a[i1:i2])))
            if j2 > j1:
                pieces.append(("added", " ".join(b[j1:j2])))
    return pieces
