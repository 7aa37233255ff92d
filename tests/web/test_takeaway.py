"""One takeaway per answer on the page, the report and the API; its goal carried to the next
try of the question and checked there."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Attempt, Comment
from app.reports.attempts import transcript_values
from app.reports.definitions import tracked_values
from app.reports.speech import OFF_TOPIC, compute, metrics_fingerprint
from tests.conftest import JSON, make_user, upload
from tests.reports.test_feedback import make_attempt
from tests.reports.test_metrics import words_from

# A behavioural story with no result; the same story with one.
NO_RESULT = (
    "Last year at my previous job the release of our billing project was late by two weeks. "
    "My role was to fix the release plan with the client. So I talked to the client, then I "
    "rewrote the plan with the team and I set up a daily check with the developers."
)
WITH_RESULT = NO_RESULT + " As a result we delivered on time and the client renewed the contract."


@pytest.fixture
def user(client):
    client.get("/")
    return 1


def question_of(app, attempt_id: int) -> int:
    with app.app_context():
        return db.session.get(Attempt, attempt_id).question_id


def finish(app, attempt_id: int, text: str) -> None:
    """What the worker stores once the new try is transcribed."""
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        words = words_from(text)
        attempt.duration_s = words[-1]["end"] + 0.5
        attempt.status = "done"
        # The keyword figures (the worker's reading by meaning has its own tests).
        for column, value in transcript_values(text, words, attempt.duration_s,
                                               attempt.question, by_meaning=False).items():  # fmt: skip
            setattr(attempt, column, value)
        db.session.commit()


def test_the_takeaway_comes_before_every_figure(client, app, user):
    attempt_id = make_attempt(app, NO_RESULT)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Fix this first: Say what came of it" in html
    assert "Goal for your next try:</strong> Say the result, with a number if you can." in html
    first = html.index("Fix this first")
    assert first < html.index('id="w-0"') < html.index("How you sounded")
    assert first < html.index('class="player"')


def test_a_two_second_i_dont_know_gets_no_pace_advice(client, app, user):
    attempt_id = make_attempt(app, "I don't know.")
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Fix this first: Give an answer, even a rough one" in html
    assert "breathe" not in html and "words/min while speaking" not in html
    assert "Too short to measure a pace" in html
    assert "Very short: 0:02 and 3 words is not an answer yet." in html
    assert "Quite short" not in html
    markdown = client.get(f"/attempts/{attempt_id}/report.md").get_data(as_text=True)
    assert "Pace: not measured (fewer than 30 words)" in markdown
    assert markdown.index("## Fix this first") < markdown.index("## Transcript")
    assert "**Give an answer, even a rough one**" in markdown
    printable = client.get(f"/attempts/{attempt_id}/report").get_data(as_text=True)
    assert "Fix this first: Give an answer" in printable and "Pace: too short" in printable


def test_the_api_gives_the_takeaway(client, app, user):
    attempt_id = make_attempt(app, NO_RESULT)
    body = client.get(f"/api/v1/attempts/{attempt_id}").json
    assert body["takeaway"] == {
        "key": "star_result",
        "headline": "Say what came of it",
        "why": "No result was heard: interviewers remember how the story ended.",
        "goal": "Say the result, with a number if you can.",
    }
    assert body["goal"] is None  # the first try carried none
    listed = client.get("/api/v1/attempts").json["attempts"][0]
    assert listed["takeaway"]["key"] == "star_result"


@pytest.mark.parametrize(("said", "verdict"), [(WITH_RESULT, "done"), (NO_RESULT, "not yet")])
def test_the_goal_is_carried_to_the_next_try_and_checked(
    client, app, user, audio_fixtures, monkeypatch, said, verdict
):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    first = make_attempt(app, NO_RESULT)
    question_id = question_of(app, first)
    page = client.get(f"/questions/{question_id}/answer").get_data(as_text=True)
    assert "Your goal for this try:</strong> Say the result, with a number if you can." in page
    assert page.index("Your goal for this try") < page.index('class="record primary"')
    second = upload(client, audio_fixtures / "short.wav", question_id=question_id).json["id"]
    with app.app_context():
        stored = db.session.get(Attempt, second).goal
    assert stored["key"] == "star_result" and stored["from_attempt_id"] == first
    finish(app, second, said)
    html = client.get(f"/attempts/{second}").get_data(as_text=True)
    assert f"<strong>Goal:</strong> say the result, with a number if you can — {verdict}" in html
    assert html.index("<strong>Goal:</strong>") < html.index('id="w-0"')
    goal = client.get(f"/api/v1/attempts/{second}").json["goal"]
    assert goal["met"] is (verdict == "done") and goal["from_attempt_id"] == first


def test_a_streamed_try_through_the_api_carries_the_goal_too(client, app, user):
    first = make_attempt(app, NO_RESULT)
    question_id = question_of(app, first)
    response = client.post("/api/v1/attempts", json={"question_id": question_id,
                                                     "streaming": True}, headers=JSON)  # fmt: skip
    assert response.status_code == 201
    with app.app_context():
        assert db.session.get(Attempt, response.json["id"]).goal["key"] == "star_result"


def test_a_coachs_suggestion_becomes_the_takeaway(client, app, user):
    attempt_id = make_attempt(app, NO_RESULT)
    coach = make_user(app, "coach@example.com", role="recruiter")
    with app.app_context():
        db.session.add(Comment(attempt_id=attempt_id, author_id=coach, body="End on the outcome.",
                               suggestion="We shipped two days early."))  # fmt: skip
        db.session.commit()
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Fix this first: Try coach&#39;s wording" in html
    assert "Say it your way, close to “We shipped two days early.”" in html
    assert client.get(f"/api/v1/attempts/{attempt_id}").json["takeaway"]["key"] == (
        "coach_suggestion"
    )


def test_calm_mode_keeps_the_takeaway_in_words(client, app, user):
    attempt_id = make_attempt(app, "Um, so, um, I think, um, we did it, um, like, basically, um.")
    assert client.post("/settings", data={"calm_mode": "on"}).status_code == 302
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Fix this first: Give an answer, even a rough one" in html
    assert "Talk for at least" not in html and "words in" not in html


def test_an_answer_read_as_off_topic_is_told_so_first(client, app, user):
    attempt_id = make_attempt(app, WITH_RESULT)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        metrics = compute(attempt.words, attempt.duration_s, attempt.question, by_meaning=False)
        # As the worker stores an answer the sentence model read as about something else.
        metrics |= {"relevance": {"on_topic": False, "similarity": 0.08},
                    "off_topic_note": OFF_TOPIC, "read_by": "meaning"}  # fmt: skip
        attempt.metrics, attempt.tracked_values = metrics, tracked_values(metrics)
        attempt.metrics_version = metrics_fingerprint(attempt.question)
        db.session.commit()
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Fix this first: Answer the question that was asked" in html
    assert "(closeness to the question 0.08)" in html
    assert html.index("Fix this first") < html.index("Off topic.")
    body = client.get(f"/api/v1/attempts/{attempt_id}").json
    assert body["takeaway"]["key"] == "off_topic"
