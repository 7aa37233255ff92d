"""The labelled answer sets behind bench/understanding.py: every label points at something real.

A wrong question id or point index would silently score the wrong thing; these checks never
run the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SETS = sorted((ROOT / "bench" / "understanding_set").glob("*.yaml"))
STAR = {"situation", "task", "action", "result"}


def _bank() -> dict[str, dict]:
    found = {}
    for path in sorted((ROOT / "question_banks").glob("*.yaml")):
        for question in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]:
            found[question["id"]] = question
    return found


@pytest.mark.parametrize("path", SETS, ids=[p.stem for p in SETS])
def test_labels_point_at_real_questions_and_points(path):
    bank = _bank()
    answers = yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]
    ids = [a["id"] for a in answers]
    assert len(ids) == len(set(ids)), "answer ids repeat"
    for answer in answers:
        question = bank[answer["q"]]  # a KeyError names the unknown question
        points = question.get("talking_points") or []
        assert set(answer.get("star") or []) <= STAR, answer["id"]
        assert all(0 <= i < len(points) for i in answer.get("points") or []), answer["id"]
        if answer.get("kind") == "off-topic":
            assert not answer.get("star") and not answer.get("points"), answer["id"]
        assert answer["text"].split(), answer["id"]


def test_every_set_is_scored_by_the_bench():
    bench = (ROOT / "bench" / "understanding.py").read_text(encoding="utf-8")
    for path in SETS:
        assert path.name in bench, f"{path.name} is not scored by bench/understanding.py"
