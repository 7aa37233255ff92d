"""Talking points covered only by words closer to them than to the question's other points."""

from __future__ import annotations

import numpy as np

from app.questions.paraphrases import paraphrases_of
from app.understanding.meaning import understand
from app.understanding.points import PARAPHRASE_MIN, cover_points

PASSED_OVER = "Tell me about a time you were passed over for a promotion or opportunity you wanted."
PASSED_OVER_POINTS = [
    "honest about disappointment",
    "asked for specific feedback",
    "acted on it professionally",
]


def words_of(text: str) -> list[dict]:
    return [{"word": " " + w, "start": round(i * 0.4, 2), "end": round(i * 0.4 + 0.3, 2)}
            for i, w in enumerate(text.split())]  # fmt: skip


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def _cover(windows: list[np.ndarray], paraphrases: list[np.ndarray]) -> list[dict]:
    points = [f"point {i}" for i in range(len(paraphrases))]
    vectors = np.vstack(windows)
    return cover_points(
        points, vectors, np.vstack(paraphrases), np.vstack(paraphrases),
        [p[None, :] for p in paraphrases], lambda index: {"window": index}, on_topic=True,
    )  # fmt: skip


def test_a_window_closer_to_a_sibling_point_covers_only_the_sibling():
    # The window is close enough to both points, closer to the second.
    found = _cover([_unit(0.5, 0.8, 0.3)], [_unit(1, 0, 0), _unit(0, 1, 0)])
    assert [p["covered"] for p in found] == [False, True]
    assert found[0]["similarity"] >= PARAPHRASE_MIN  # close enough alone, yet not covered


def test_each_point_takes_its_own_closest_window():
    found = _cover([_unit(0.9, 0.2, 0.1), _unit(0.2, 0.9, 0.1)], [_unit(1, 0, 0), _unit(0, 1, 0)])
    assert [(p["covered"], p["window"]) for p in found] == [(True, 0), (True, 1)]


def test_nothing_is_covered_off_topic_or_below_the_threshold():
    points, vector = ["point"], _unit(1, 0, 0)[None, :]
    span = lambda index: {}  # noqa: E731
    off = cover_points(points, vector, vector, vector, [vector], span, on_topic=False)
    far = cover_points(points, _unit(0, 1, 0)[None, :], vector, vector, [vector], span, True)
    assert not off[0]["covered"] and not far[0]["covered"]


def test_wanting_to_do_better_is_not_asking_for_feedback():
    # A seen answer (bench/understanding_set/blind.yaml, b29): the wish to understand is near
    # "asked for specific feedback" but closer to the disappointment it follows.
    answer = (
        "I was turned down for a place on the company's leadership programme last autumn, "
        "after two interviews. I was disappointed, and I wanted to understand how to do better "
        "next time. This year I was accepted, and my manager said my application was the "
        "strongest she had read."
    )
    found = understand(words_of(answer), PASSED_OVER, PASSED_OVER_POINTS,
                       paraphrases=paraphrases_of(PASSED_OVER_POINTS))["talking_points"]  # fmt: skip
    assert found[0]["covered"] and not found[1]["covered"]
    assert "disappointed" in found[0]["text"]
