"""Feedback that reads the answer by meaning, as the worker stores it: the API contract, the
answer page (STAR spans over the transcript, covering sentences that play, off topic first)."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Attempt, Question, utcnow
from app.reports.attempts import MEANING_WAIT, transcript_values
from app.reports.stored import measure_attempt
from tests.conftest import HTMX
from tests.reports.test_stored_metrics import measured_attempt, user  # noqa: F401
from tests.understanding.test_meaning import (
    MANAGER,
    PASSED_OVER,
    PASSED_OVER_POINTS,
    SALARY_ANSWER,
    STORY,
)


def bank_question(app, text: str) -> int:
    with app.app_context():
        return db.session.execute(db.select(Question.id).where(Question.text == text)).scalar_one()


@pytest.fixture
def passed_over(app, user):  # noqa: F811
    """The bank question the story answers, with its talking points."""
    question_id = bank_question(app, PASSED_OVER)
    with app.app_context():
        assert db.session.get(Question, question_id).talking_points == PASSED_OVER_POINTS
    return question_id


def test_the_api_reports_relevance_star_spans_and_covering_words(client, app, passed_over):
    attempt_id = measured_attempt(app, STORY, question_id=passed_over)
    metrics = client.get(f"/api/v1/attempts/{attempt_id}").json["metrics"]
    assert metrics["relevance"]["on_topic"] is True
    assert isinstance(metrics["relevance"]["similarity"], float)
    assert metrics["star"] == {"situation": True, "task": True, "action": True, "result": True}
    assert {s["part"] for s in metrics["star_spans"]} == {"situation", "task", "action", "result"}
    for span in metrics["star_spans"]:
        assert set(span) >= {"part", "start", "end", "text"} and span["start"] < span["end"]
    points = {p["point"]: p for p in metrics["talking_points"]}
    assert list(points) == PASSED_OVER_POINTS
    asked = points["asked for specific feedback"]
    assert asked["covered"] is True and "hiring manager" in asked["text"]
    with app.app_context():
        words = db.session.get(Attempt, attempt_id).words
    # The covering words are the transcript's own, at their own times.
    first = asked["indexes"][0]
    assert asked["start"] == words[first]["start"] and asked["text"].startswith(
        words[first]["word"].strip()
    )


def test_an_off_topic_answer_says_so_first_and_earns_no_star_ticks(client, app, user):  # noqa: F811
    attempt_id = measured_attempt(app, SALARY_ANSWER, question_id=bank_question(app, MANAGER))
    metrics = client.get(f"/api/v1/attempts/{attempt_id}").json["metrics"]
    assert metrics["relevance"]["on_topic"] is False
    assert not any(metrics["star"].values()) and metrics["star_spans"] == []
    assert not any(p["covered"] for p in metrics["talking_points"])
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    section = html[html.index("How you sounded") :]
    notice = section.index("does not seem to address the question")
    assert notice < section.index("Pace") and notice < section.index("Structure (STAR)")
    assert "✓ Situation" not in html and "No situation" not in html
    assert "address the question" in client.get(f"/attempts/{attempt_id}/report.md").get_data(
        as_text=True
    )


def test_the_page_shows_star_parts_over_the_transcript_and_plays_the_covering_sentence(
    client, app, passed_over
):
    attempt_id = measured_attempt(app, STORY, question_id=passed_over)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    # Each word of the transcript carries the part its sentence tells.
    assert re.search(r'id="w-0" class="word[^"]*star-situation', html)
    assert re.search(r'class="word[^"]*star-result', html)
    # Each part links to its sentences, which play from their first word when clicked.
    spans = re.findall(r'<a class="jump star-span" href="#w-(\d+)" data-start="([\d.]+)"', html)
    assert spans and spans[0] == ("0", "0.5")  # words_from starts at 0.5 s
    # A covered point links to the sentence that covers it, highlighted in the transcript.
    point = re.search(r'<a class="jump point-span" href="#w-(\d+)" data-start="([\d.]+)"', html)
    assert point and re.search(rf'id="w-{point.group(1)}" class="word[^"]*point', html)
    assert "hiring manager" in html[point.start() : point.start() + 400]
    assert 'style="' not in html[html.index("How you sounded") :]


def test_the_page_asks_again_until_the_worker_has_read_the_answer(client, app, passed_over):
    attempt_id = measured_attempt(app, STORY, question_id=passed_over)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        # As the worker leaves it the moment the transcript is saved.
        for column, value in transcript_values(
            attempt.transcript_text, attempt.words, attempt.duration_s, attempt.question,
            by_meaning=False,
        ).items():  # fmt: skip
            setattr(attempt, column, value)
        attempt.finished_at = utcnow()
        db.session.commit()
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    marker = re.search(r'<p id="meaning-pending"[^>]*>', page)
    assert marker and f'hx-get="/attempts/{attempt_id}"' in marker.group(0)
    assert 'hx-target="this"' in marker.group(0)
    assert "star-span" not in page  # keyword figures meanwhile
    asking = HTMX | {"HX-Trigger": "meaning-pending"}
    # Meanwhile only the asking line comes back: the player and the transcript stay as they
    # are (a word in focus, an answer playing).
    waiting = client.get(f"/attempts/{attempt_id}", headers=asking)
    html = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and html.strip().startswith('<p id="meaning-pending"')
    assert "transcript" not in html and "player" not in html
    with app.app_context():
        assert measure_attempt(attempt_id)
    fragment = client.get(f"/attempts/{attempt_id}", headers=asking)
    assert fragment.status_code == 286  # done: htmx swaps it in and asks no more
    assert fragment.headers["HX-Retarget"] == "#attempt-status"  # the whole block, once
    html = fragment.get_data(as_text=True)
    assert 'id="meaning-pending"' not in html and "star-span" in html
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.metrics_version, attempt.finished_at = None, utcnow() - MEANING_WAIT
        db.session.commit()
    # A reading that never came (a failed worker) is left to the hourly refresh.
    assert 'id="meaning-pending"' not in client.get(f"/attempts/{attempt_id}").get_data(
        as_text=True
    )
