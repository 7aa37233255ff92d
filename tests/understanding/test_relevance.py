"""Relevance weighed against the shipped questions, on the real sentence model.

The bench (``bench/understanding.py``) scores the rule on every labelled answer; these pin
the decisions that motivated it and the promises about cost (rivals read once per process)."""

from __future__ import annotations

import pytest

from app.questions.paraphrases import paraphrases_of
from app.questions.rivals import shipped_rivals
from app.understanding import relevance
from app.understanding.encoder import sentence_encoder
from app.understanding.meaning import STAR_PARTS, understand
from app.understanding.relevance import QuestionReading, topic_margin

COWORKER = "Tell me about a time you had to work closely with someone you found difficult."
MANAGER = "Tell me about a time you disagreed with your manager. How did you handle it?"
# Answers about work that answer another question: the realistic off-topic answer.
START_DATE = (
    "I could start three weeks after an offer, since my notice period is three weeks. I have a "
    "wedding to go to in early June but I could work around it. A Monday start would suit me."
)
CAREER = (
    "After my degree I joined a logistics firm as a graduate planner, then moved into "
    "purchasing, and two years ago I became a buyer for their food division. I enjoy "
    "negotiating and I like roles where I deal with suppliers every day."
)
COWORKER_STORY = (
    "At a garden centre I shared the weekend shifts with a supervisor who changed the rota "
    "without telling anyone. I had to make sure the tills were covered. I asked him over a "
    "coffee why he did it, and he said he was covering for people who asked him at the last "
    "minute. We agreed that every change went on the board in the staff room. After that "
    "nobody turned up to find their shift had gone."
)


def words_of(text: str) -> list[dict]:
    return [{"word": " " + w, "start": round(i * 0.4, 2), "end": round(i * 0.4 + 0.3, 2)}
            for i, w in enumerate(text.split())]  # fmt: skip


def shipped(text: str) -> QuestionReading:
    return next(r for r in shipped_rivals() if r.text == text)


def read(answer: str, question: str, rivals=None) -> dict:
    known = shipped(question)
    return understand(
        words_of(answer), question, list(known.points), tips=known.tips,
        paraphrases=paraphrases_of(list(known.points)),
        rivals=shipped_rivals() if rivals is None else rivals,
    )  # fmt: skip


@pytest.mark.parametrize(("answer", "question"), [(START_DATE, COWORKER), (CAREER, MANAGER)])
def test_an_answer_about_work_to_another_question_is_off_topic_and_earns_nothing(answer, question):
    signals = read(answer, question)
    assert signals["relevance"]["on_topic"] is False
    assert signals["star"] == dict.fromkeys(STAR_PARTS, False)
    assert not any(point["covered"] for point in signals["talking_points"])


def test_a_story_that_answers_its_question_stays_on_topic():
    signals = read(COWORKER_STORY, COWORKER)
    assert signals["relevance"]["on_topic"] is True
    assert signals["star"]["action"] and signals["star"]["result"]


def test_a_question_known_only_by_its_text_falls_back_to_the_cosine_rule():
    encoder = sentence_encoder()
    gist = encoder.embed([START_DATE])[0]
    generic = encoder.embed(["So I set up a meeting with everyone involved."])
    bare = QuestionReading(COWORKER)
    assert topic_margin(gist, bare, shipped_rivals(), generic, encoder) is None
    assert topic_margin(gist, shipped(COWORKER), (), generic, encoder) is None
    # Without rivals the cosine rule decides; it takes this answer about work for an answer to
    # the question (the miss the rivals fix), and the similarity reported is the same.
    alone, weighed = read(START_DATE, COWORKER, rivals=()), read(START_DATE, COWORKER)
    assert alone["relevance"]["on_topic"] is True and weighed["relevance"]["on_topic"] is False
    assert alone["relevance"]["similarity"] == weighed["relevance"]["similarity"]


def test_the_question_is_never_its_own_rival():
    encoder = sentence_encoder()
    gist = encoder.embed([COWORKER_STORY])[0]
    generic = encoder.embed(["So I set up a meeting with everyone involved."])
    own = shipped(COWORKER)
    copy = QuestionReading(COWORKER.replace("Tell me about", "Describe"), own.tips, own.points)
    assert topic_margin(gist, own, (own,), generic, encoder) is None
    assert topic_margin(gist, own, (copy,), generic, encoder) is None


def test_rivals_are_read_once_per_process(monkeypatch):
    encoder = sentence_encoder()
    read(CAREER, MANAGER)  # the shipped rivals are now read
    asked: list[int] = []
    embed = encoder.embed
    monkeypatch.setattr(encoder, "embed", lambda texts: asked.append(len(texts)) or embed(texts))
    read(COWORKER_STORY, COWORKER)
    rival_texts = sum(len(r.texts()) for r in shipped_rivals())
    assert asked and max(asked) < rival_texts


def test_the_shipped_rivals_are_every_bank_question_with_its_tips():
    rivals = shipped_rivals()
    assert len(rivals) >= 100
    assert all(r.text and r.tips and not r.said_otherwise for r in rivals)
    assert len({r.text for r in rivals}) == len(rivals)
    assert relevance.MARGIN_MIN > relevance.PLAIN_MARGIN_MIN


def test_a_worker_warms_the_reading_up_before_the_first_answer(app):
    from app.reports.stored import warm_up
    from app.understanding.encoder import sentence_encoder

    with app.app_context():
        warm_up()
    assert sentence_encoder.cache_info().currsize == 1
