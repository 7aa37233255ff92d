"""Two answers side by side: what changed in the words."""

from __future__ import annotations

import difflib


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Word-level diff of two transcripts as (kind, text) pieces: same, removed, added."""
    a, b = before.split(), after.split()
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", " ".join(a[i1:i2])))
        else:
            if i2 > i1:
                pieces.append(("removed", " ".join(a[i1:i2])))
            if j2 > j1:
                pieces.append(("added", " ".join(b[j1:j2])))
    return pieces
