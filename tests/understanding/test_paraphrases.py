"""Talking points the banks say in other words: matched against those words, on the real
sentence model."""

from __future__ import annotations

from app.questions.paraphrases import paraphrases_of, shipped_paraphrases
from app.understanding.meaning import understand
from app.understanding.points import PARAPHRASE_MIN

DEADLINE = "Tell me about a time you missed an important deadline."
TOLD = "who they told and how"
SAID_OTHERWISE = {
    TOLD: (
        "I told my manager and the client straight away that we would be late.",
        "I called the customer to explain the delay and give a new date.",
    )
}


def words_of(text: str) -> list[dict]:
    return [{"word": " " + w, "start": round(i * 0.4, 2), "end": round(i * 0.4 + 0.3, 2)}
            for i, w in enumerate(text.split())]  # fmt: skip


def test_a_sentence_that_says_the_point_in_other_words_covers_it():
    answer = (
        "Last year I was writing the annual report for our board and the repair figures came "
        "in late. I rang the chair that morning and explained it would arrive four days late."
    )
    point = understand(words_of(answer), DEADLINE, [TOLD], paraphrases=SAID_OTHERWISE)
    found = point["talking_points"][0]
    assert found["covered"] and found["similarity"] >= PARAPHRASE_MIN
    assert "rang the chair" in found["text"]


def test_a_sentence_that_only_sets_the_scene_does_not_cover_the_point():
    answer = (
        "Last year I was writing the annual report for our board. The repair figures from our "
        "contractors were messy and took a long time to check."
    )
    found = understand(words_of(answer), DEADLINE, [TOLD], paraphrases=SAID_OTHERWISE)
    assert not found["talking_points"][0]["covered"]
    # The point read with its question alone took the scene for the point (the error fixed).
    assert understand(words_of(answer), DEADLINE, [TOLD])["talking_points"][0]["covered"]


def test_the_shipped_banks_give_paraphrases_by_the_points_text():
    assert paraphrases_of(["who they told and how", "a point nobody wrote"]).keys() == {TOLD}
    assert all(2 <= len(said) <= 6 for said in shipped_paraphrases().values())


def _shipped_questions() -> list[dict]:
    from app.questions.banks import bank_files, parse_yaml
    from app.questions.paraphrases import shipped_folder

    return [
        question
        for path in bank_files(shipped_folder())
        if path.suffix.lower() != ".csv"
        for question in parse_yaml(path.read_text(encoding="utf-8"), path.name)
    ]


def test_every_shipped_talking_point_is_said_in_other_words():
    # Section 2e of bench/UNDERSTANDING.md: a point read with its question sits near every
    # sentence of an on-topic answer; its paraphrases are what tells "said" from "near".
    for question in _shipped_questions():
        items = question.get("talking_points") or []
        assert all(isinstance(item, dict) and item.get("also") for item in items), question["id"]
        points = [item["point"] for item in items]
        assert paraphrases_of(points, question["text"]).keys() == set(points)


def test_a_point_two_questions_share_reads_each_questions_own_paraphrases():
    owners = [q for q in _shipped_questions()
              if any(i["point"] == "honest about the outcome" for i in q.get("talking_points") or [])]  # fmt: skip
    assert len(owners) == 2
    said = [paraphrases_of(["honest about the outcome"], q["text"]) for q in owners]
    assert said[0] != said[1]
    for question, found in zip(owners, said, strict=True):
        (item,) = [
            i for i in question["talking_points"] if i["point"] == "honest about the outcome"
        ]
        assert found["honest about the outcome"] == tuple(item["also"])
