"""Answers read by meaning, on the real sentence model: relevance, STAR parts, talking points.

The sentences are short versions of answers in ``bench/understanding_set``; the bench scores
the rules on all of them, these pin a few decisions that must not drift.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.understanding.encoder import (
    TOKEN_BUDGET,
    SentenceEncoder,
    _gelu,
    read_safetensors,
    sentence_encoder,
)
from app.understanding.meaning import understand
from app.understanding.sentences import split_sentences

MANAGER = "Tell me about a time you disagreed with your manager. How did you handle it?"
MANAGER_POINTS = [
    "disagreement about substance, not personality",
    "raised privately with evidence",
    "committed to the final decision",
]
PASSED_OVER = "Tell me about a time you were passed over for a promotion or opportunity you wanted."
PASSED_OVER_POINTS = [
    "honest about disappointment",
    "asked for specific feedback",
    "acted on it professionally",
]
STORY = (
    "Two years ago a team lead position opened in my department and I applied. I had hoped "
    "to get it and I was honestly disappointed when a colleague was chosen. My goal then was "
    "to understand what I was missing. I asked the hiring manager for a meeting and asked "
    "what exactly would have made the difference. Over the next six months I volunteered to "
    "present our team's results every quarter. When the next lead role opened a year later, "
    "I got it."
)
SALARY_ANSWER = (
    "My salary expectation is somewhere between fifty and fifty five thousand. I looked at "
    "what similar roles pay in this city and that is the range I found. I am flexible if the "
    "benefits are good, for example extra holidays or training."
)


def words_of(text: str) -> list[dict]:
    return [{"word": " " + w, "start": round(i * 0.4, 2), "end": round(i * 0.4 + 0.3, 2)}
            for i, w in enumerate(text.split())]  # fmt: skip


def test_the_encoder_gives_unit_vectors_that_put_paraphrases_together():
    encoder = sentence_encoder()
    vectors = encoder.embed([
        "I learned she was covering two roles.",
        "She was doing two jobs at the same time.",
        "The weather is lovely at the seaside.",
    ])  # fmt: skip
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert vectors[0] @ vectors[1] > 0.5 > 0.1 > vectors[0] @ vectors[2]


def test_embeddings_are_cached_per_text_and_batches_do_not_change_them():
    encoder = sentence_encoder()
    alone = encoder.embed(["I rewrote the plan with the client."])
    assert "I rewrote the plan with the client." in encoder._cache  # noqa: SLF001
    mixed = encoder.embed(["A much longer sentence that pads the batch around it, word after word.",
                           "I rewrote the plan with the client."])  # fmt: skip
    assert np.allclose(alone[0], mixed[1], atol=1e-6)


def test_packed_batches_give_each_text_the_vector_it_gets_alone():
    # Many texts of many lengths: several batches, each packed without padding for the dense
    # layers and padded for attention; a slip in the scatter or gather mixes sentences up.
    encoder = SentenceEncoder()
    texts = [" ".join(["word"] * (i % 23 + 1)) + f" number {i} about the client" for i in range(60)]
    texts.append("a long one " * (TOKEN_BUDGET // 2))  # more tokens than a batch holds
    together = encoder.embed(texts)
    for index in (0, 7, 33, 59, 60):
        encoder._cache.clear()  # noqa: SLF001
        assert np.allclose(encoder.embed([texts[index]])[0], together[index], atol=1e-5)


def test_gelu_stays_within_a_thousandth_of_the_exact_one():
    x = np.linspace(-8, 8, 4001, dtype=np.float32)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.tolist()])
    assert np.abs(_gelu(x.copy()) - exact).max() < 1e-3


def test_the_model_comes_from_the_installed_package_once_per_process():
    assert sentence_encoder() is sentence_encoder()
    assert isinstance(sentence_encoder(), SentenceEncoder)


def test_safetensors_are_read_as_views_without_copies():
    header = b'{"x": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}'
    blob = bytearray(
        len(header).to_bytes(8, "little") + header + np.arange(4, dtype="<f4").tobytes()
    )
    arrays = read_safetensors(blob)
    assert arrays["x"].tolist() == [[0, 1], [2, 3]] and arrays["x"].base is not None


def test_sentences_keep_their_times_and_leave_fillers_out_of_what_is_read():
    words = words_of("Um, so last year I led a team. We shipped it")
    sentences = split_sentences(words, skip={0})
    assert [s.text for s in sentences] == ["Um, so last year I led a team.", "We shipped it"]
    assert sentences[0].reading == "so last year I led a team."
    assert sentences[0].start == 0.0 and sentences[1].indexes == (8, 9, 10)


def test_an_answer_to_another_question_is_off_topic_and_earns_no_star_parts():
    signals = understand(words_of(SALARY_ANSWER), MANAGER, MANAGER_POINTS)
    assert signals["relevance"]["on_topic"] is False
    assert -1 <= signals["relevance"]["similarity"] < 0.2
    assert not any(signals["star"].values()) and signals["star_spans"] == []
    assert not any(p["covered"] for p in signals["talking_points"])


def test_a_story_that_answers_its_question_has_its_parts_and_points():
    signals = understand(words_of(STORY), PASSED_OVER, PASSED_OVER_POINTS)
    assert signals["relevance"]["on_topic"] is True
    assert signals["relevance"]["similarity"] > 0.4
    assert signals["star"] == {"situation": True, "task": True, "action": True, "result": True}
    parts = [span["part"] for span in signals["star_spans"]]
    assert parts[0] == "situation" and "result" in parts
    for span in signals["star_spans"]:
        assert span["text"] and span["start"] < span["end"]
    asked = next(
        p for p in signals["talking_points"] if p["point"] == "asked for specific feedback"
    )
    assert asked["covered"] and "hiring manager" in asked["text"]
    assert asked["start"] < asked["end"] and asked["indexes"]


def test_no_result_is_said_only_when_no_sentence_reads_as_one():
    told = (
        "Last year I was working in customer support for a phone company. My job was to set "
        "up the queue rules. I wrote my manager a short note with examples of reopened "
        "tickets and asked to talk it through."
    )
    assert understand(words_of(told), MANAGER)["star"]["result"] is False
    ended = told + " In the end she dropped the target and reopened tickets fell by half."
    assert understand(words_of(ended), MANAGER)["star"]["result"] is True


def test_an_answer_about_work_that_answers_another_question_is_off_topic():
    # Close to the question as a whole (a cosine above 0.2: it is about work), but closer
    # still to "Tell me about yourself" and a dozen other reference questions.
    about_me = (
        "I studied chemistry and then worked in a laboratory for four years. Now I run quality "
        "checks for a food company. I like roles with lots of variety and I am looking for a "
        "larger company where I can grow."
    )
    signals = understand(words_of(about_me), MANAGER, MANAGER_POINTS)
    assert signals["relevance"]["similarity"] > 0.2
    assert signals["relevance"]["on_topic"] is False


def test_a_sentence_that_sets_the_scene_is_not_taken_for_the_task():
    told = (
        "At a logistics firm where I scheduled drivers, my boss wanted every shift to start at "
        "five. My worry was about the cost of overtime. I booked a one to one and brought a "
        "spreadsheet of last quarter's hours. Six weeks later overtime was down and nobody had "
        "quit."
    )
    assert understand(words_of(told), MANAGER)["star"]["task"] is False
    tasked = told.replace("My worry was about", "My job was to cut")
    assert understand(words_of(tasked), MANAGER)["star"]["task"] is True


@pytest.mark.parametrize("question", [None, ""])
def test_without_a_question_the_answer_counts_as_on_topic(question):
    signals = understand(words_of(STORY), question)
    assert signals["relevance"] == {"on_topic": True, "similarity": None}
    assert signals["star"]["action"] is True


def test_no_words_gives_empty_signals_without_loading_anything():
    signals = understand([], MANAGER, MANAGER_POINTS)
    assert signals["star_spans"] == [] and signals["sentences"] == []
    assert [p["covered"] for p in signals["talking_points"]] == [False, False, False]
