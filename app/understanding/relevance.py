"""Whether an answer addresses its question, weighed against the other questions we know.

An answer's closeness to its own question means little alone: a story about teamwork is close
to every behavioural question, and an answer about work that answers another question (a
salary figure to a question about a colleague, a whole story about an outage to a question
about a manager) is close to many. So the answer's gist is compared with a *reading* of its
question (the text, the tips, the talking points and the sentences that say them) and with
the same reading of each *rival*, every question the banks ship: the answer is off topic when
some rival is clearly closer than its own question.

Readings are not equally close to answers: one with tips and paraphrases written as a
candidate speaks sits closer to every story than a bare question. Each reading's closeness is
therefore taken relative to its mean closeness to the STAR prototype sentences (what any
answer sounds like). Thresholds chosen on bench/understanding_set (bench/UNDERSTANDING.md,
fourth pass).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.understanding.encoder import SentenceEncoder

# Off topic when the closest rival beats the question by more than this (relative closeness).
# Was -0.18 while only 21 questions had paraphrases; with every shipped point said in other
# words one on-topic answer on the seen sets fell to -0.194 and none off topic lies between
# -0.20 and -0.21 (bench/UNDERSTANDING.md, section 2e).
MARGIN_MIN = -0.20
# A question without paraphrases has a thinner reading, nearer the rivals': a wider margin.
PLAIN_MARGIN_MIN = -0.22
# A rival whose text is this close to the question's is the question itself (a copy, a variant).
SAME_QUESTION = 0.9
_RIVALS_KEPT = 4  # rival readings cached per process (one per bank set in practice)


@dataclass(frozen=True)
class QuestionReading:
    """What we know of a question: its text, tips, talking points and the points said in
    other words (``said_otherwise``, only for the question being answered)."""

    text: str
    tips: tuple[str, ...] = ()
    points: tuple[str, ...] = ()
    said_otherwise: tuple[str, ...] = ()

    def texts(self) -> list[str]:
        """Every text of the reading, the question first."""
        return [self.text, *self.tips, *self.points, *self.said_otherwise]


_cached: dict[tuple[int, tuple[QuestionReading, ...]], tuple[np.ndarray, np.ndarray]] = {}


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=-1, keepdims=True)


def _readings(
    encoder: SentenceEncoder, readings: list[QuestionReading]
) -> tuple[np.ndarray, np.ndarray]:
    """Each reading's question vector and its reading vector (the mean of its texts)."""
    texts = [reading.texts() for reading in readings]
    vectors = encoder.embed([t for group in texts for t in group])
    bounds = np.cumsum([0] + [len(group) for group in texts])
    means = np.vstack([vectors[a:b].mean(0) for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    return vectors[bounds[:-1]], _unit_rows(means)


def _rival_vectors(
    encoder: SentenceEncoder, rivals: tuple[QuestionReading, ...]
) -> tuple[np.ndarray, np.ndarray]:
    # The banks' hundred-odd questions are read once per process, not once per answer.
    key = (id(encoder), rivals)
    if key not in _cached:
        if len(_cached) >= _RIVALS_KEPT:
            _cached.clear()
        _cached[key] = _readings(encoder, list(rivals))
    return _cached[key]


def topic_margin(
    gist: np.ndarray,
    question: QuestionReading,
    rivals: tuple[QuestionReading, ...],
    generic: np.ndarray,
    encoder: SentenceEncoder,
) -> float | None:
    """How much closer the answer's ``gist`` (a unit vector) is to its question's reading than
    to the closest rival's, each relative to its closeness to ``generic`` sentences (rows of
    unit vectors). None when there is nothing to weigh: no rivals, or a question known only by
    its text (the caller then falls back to the cosine rule)."""
    if not rivals or not (question.tips or question.points):
        return None
    own_text, own = _readings(encoder, [question])
    texts, readings = _rival_vectors(encoder, rivals)
    others = (texts @ own_text[0]) < SAME_QUESTION
    if not others.any():
        return None
    own_closeness = float(own[0] @ gist - (generic @ own[0]).mean())
    rival_closeness = readings[others] @ gist - (generic @ readings[others].T).mean(0)
    return own_closeness - float(rival_closeness.max())


def addresses(margin: float, question: QuestionReading) -> bool:
    """Whether a ``topic_margin`` says the answer addresses its question."""
    return margin >= (MARGIN_MIN if question.said_otherwise else PLAIN_MARGIN_MIN)
