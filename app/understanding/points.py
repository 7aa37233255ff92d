"""Which talking points an answer covers, by meaning, and the words that cover each.

A point is covered by a window of the answer (a sentence, or two in a row) that is close
enough to it *and at least as close to it as to any other point of the same question*. The
second condition is the fifth pass's (bench/UNDERSTANDING.md, section 2d): the false points
on the labelled sets were mostly sentences near the question's theme, and such a sentence is
about as close to every point of its question; the sentence that says a point is closer to
that point than to its siblings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

POINT_MIN = 0.26  # a point without paraphrases: cosine with the point read with its question
POINT_ALONE_MIN = 0.15  # ... and the point read alone must be at least this close somewhere
# A point the bank says in other words (``also:``): cosine with the closest of those
# sentences. Was 0.35 alone; with the sibling rule below 0.30 measured better on the four
# seen sets (bench/UNDERSTANDING.md, section 2d).
PARAPHRASE_MIN = 0.30
# How much closer the covering window must be to this point than to the question's closest
# other point; 0 means "no other point is closer". Chosen on the seen sets: 0.02 and above
# lose more recall than they win precision.
SIBLING_MARGIN = 0.0


def point_closeness(
    window_vectors: np.ndarray,
    in_context: np.ndarray,
    said_otherwise: Sequence[np.ndarray | None],
) -> np.ndarray:
    """Each window's closeness to each point (windows × points): to the closest paraphrase
    where the point has some, else to the point read with its question."""
    columns = [
        (window_vectors @ texts.T).max(1) if texts is not None and len(texts) else
        window_vectors @ vector
        for vector, texts in zip(in_context, said_otherwise, strict=True)
    ]  # fmt: skip
    return np.stack(columns, 1) if columns else np.zeros((len(window_vectors), 0))


def cover_points(
    points: Sequence[str],
    window_vectors: np.ndarray,
    in_context: np.ndarray,
    alone: np.ndarray,
    said_otherwise: Sequence[np.ndarray | None],
    span_of: Callable[[int], dict],
    on_topic: bool,
) -> list[dict]:
    """``[{"point", "covered", "similarity"}]`` in the points' order, with the covering
    window's span (``span_of(window index)``) for each covered point."""
    closeness = point_closeness(window_vectors, in_context, said_otherwise)
    found = []
    for index, point in enumerate(points):
        mine = closeness[:, index]
        paraphrased = said_otherwise[index] is not None and len(said_otherwise[index])
        bare = window_vectors @ alone[index]
        enough = mine >= (PARAPHRASE_MIN if paraphrased else POINT_MIN)
        if paraphrased and closeness.shape[1] > 1:
            # Only for a point the bank says in other words: read with its question, a plain
            # point sits about as close to every sentence of an on-topic answer, so the
            # comparison removed true covers as often as false ones (blind4, section 2d).
            siblings = np.delete(closeness, index, axis=1).max(1)
            enough &= mine - siblings >= SIBLING_MARGIN
        if not paraphrased:
            # Read with its question, any point sits close to an answer on that question: the
            # point alone must be near the words too, or "a recipe for bread" would be covered.
            enough &= bool(bare.max() >= POINT_ALONE_MIN)
        hit = on_topic and bool(enough.any())
        item = {"point": point, "covered": hit, "similarity": round(float(mine.max()), 3)}
        if hit:
            # Where: the closest qualifying window; without paraphrases, by the point read both
            # ways (read with the question alone, the sentence that sets the scene tends to win).
            rank = mine if paraphrased else mine + bare
            item |= span_of(int(np.where(enough, rank, -np.inf).argmax()))
        found.append(item)
    return found
