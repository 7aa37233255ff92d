"""Metrics stored with each answer: read back while current, measured again when stale."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Attempt, Question
from app.reports.attempts import attempt_metrics, has_current_metrics, transcript_values
from app.reports.definitions import tracked_values
from app.reports.speech import compute, metrics_fingerprint
from app.reports.stored import refresh_metrics, stale_attempt_ids
from tests.conftest import JSON
from tests.reports.test_feedback import STORY, make_attempt


@pytest.fixture
def user(client):
    client.get("/")  # creates the local user, id 1
    return 1


def measured_attempt(app, text: str = STORY, **kwargs) -> int:
    """A transcribed attempt stored as the worker stores one: with its metrics."""
    attempt_id = make_attempt(app, text, **kwargs)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        for column, value in transcript_values(
            attempt.transcript_text, attempt.words, attempt.duration_s, attempt.question
        ).items():
            setattr(attempt, column, value)
        db.session.commit()
    return attempt_id


def no_measuring(monkeypatch) -> None:
    def measure(*args, **kwargs):
        raise AssertionError("current stored metrics must be read, not measured again")

    monkeypatch.setattr("app.reports.attempts.compute", measure)


def counting(monkeypatch) -> list:
    calls = []

    def measure(*args, **kwargs):
        calls.append(args)
        return compute(*args, **kwargs)

    monkeypatch.setattr("app.reports.attempts.compute", measure)
    return calls


def test_transcript_values_hold_the_metrics_of_the_words(app, user):
    attempt_id = make_attempt(app, STORY)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        values = transcript_values(STORY, attempt.words, attempt.duration_s, attempt.question)
        expected = compute(attempt.words, attempt.duration_s, attempt.question)
        assert values["transcript_text"] == STORY and values["words"] == attempt.words
        assert values["metrics"] == expected
        assert values["metrics_version"] == metrics_fingerprint(attempt.question)
        assert values["tracked_values"] == tracked_values(expected)
        silent = transcript_values("", [], 3.0, attempt.question)
        assert silent["metrics"]["words"] == 0 and silent["tracked_values"] is None


def test_pages_read_current_stored_metrics_without_measuring(client, app, user, monkeypatch):
    attempt_id = measured_attempt(app)
    measured_attempt(app)
    with app.app_context():
        question_id = db.session.get(Attempt, attempt_id).question_id
    no_measuring(monkeypatch)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    # A filler may also carry the class of the STAR part its sentence tells.
    assert "How you sounded" in page and 'class="word filler' in page
    assert "<svg" in client.get("/progress").get_data(as_text=True)
    assert "2 transcribed attempts" in client.get(f"/questions/{question_id}").get_data(
        as_text=True
    )
    listing = client.get("/api/v1/attempts", headers=JSON).json["attempts"]
    assert [a["metrics"]["words"] for a in listing] == [len(STORY.split())] * 2
    assert client.get(f"/attempts/{attempt_id}/report.md").status_code == 200


def test_a_stale_fingerprint_is_measured_on_the_page_and_nothing_is_written(
    client, app, user, monkeypatch
):
    attempt_id = measured_attempt(app)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.metrics_version = "0:measured-under-old-rules"
        attempt.metrics = {**attempt.metrics, "wpm_speaking": -1.0}
        db.session.commit()
    calls = counting(monkeypatch)
    body = client.get(f"/api/v1/attempts/{attempt_id}", headers=JSON).json
    assert calls and body["metrics"]["wpm_speaking"] > 0  # measured, not the stale value
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.metrics_version == "0:measured-under-old-rules"  # a GET wrote nothing
        assert not has_current_metrics(attempt)


def test_answers_without_stored_metrics_are_measured_as_before(client, app, user):
    attempt_id = make_attempt(app, STORY)  # as before this release: no metrics stored
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.metrics is None and not has_current_metrics(attempt)
        # A page measures with the keyword rules: the web process never loads the model.
        assert attempt_metrics(attempt) == compute(
            attempt.words, attempt.duration_s, attempt.question, by_meaning=False
        )
    assert "<svg" in client.get("/progress").get_data(as_text=True)


def test_changing_what_the_rules_read_of_a_question_makes_its_answers_stale(app, user):
    attempt_id = measured_attempt(app)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert has_current_metrics(attempt) and stale_attempt_ids() == []
        attempt.question.talking_points = ["the release plan", "the client"]
        db.session.commit()
        assert not has_current_metrics(attempt)
        assert stale_attempt_ids() == [attempt_id]


def test_a_new_metrics_version_makes_every_answer_stale(app, user, monkeypatch):
    ids = [measured_attempt(app), measured_attempt(app)]
    monkeypatch.setattr("app.reports.speech.METRICS_VERSION", "a-later-version")
    with app.app_context():
        assert stale_attempt_ids() == ids
        assert refresh_metrics() == (2, None)
        for attempt_id in ids:
            attempt = db.session.get(Attempt, attempt_id)
            assert attempt.metrics_version.startswith("a-later-version:")


def test_refresh_stores_the_missing_and_stale_and_leaves_current_ones(app, user, monkeypatch):
    missing = make_attempt(app, STORY)
    current = measured_attempt(app)
    stale = measured_attempt(app)
    with app.app_context():
        db.session.get(Attempt, stale).metrics_version = "0:old"
        question = db.session.get(Attempt, stale).question
        db.session.commit()
        assert stale_attempt_ids() == [missing, stale]
        calls = counting(monkeypatch)
        assert refresh_metrics() == (2, None)
        assert len(calls) == 2  # the current one was not measured again
        db.session.expire_all()
        for attempt_id in (missing, current, stale):
            attempt = db.session.get(Attempt, attempt_id)
            assert has_current_metrics(attempt)
            assert attempt.metrics == compute(attempt.words, attempt.duration_s, question)
            assert attempt.tracked_values == tracked_values(attempt.metrics)
        assert refresh_metrics() == (0, None)


def test_refresh_goes_a_share_at_a_time_and_picks_up_where_it_stopped(app, user):
    ids = [make_attempt(app, STORY) for _ in range(3)]
    with app.app_context():
        assert refresh_metrics(limit=2) == (2, ids[1])
        assert stale_attempt_ids() == [ids[2]]
        assert refresh_metrics(after=ids[1], limit=2) == (1, None)
        assert stale_attempt_ids() == []


def test_refresh_does_not_overwrite_a_transcript_that_changed_meanwhile(app, user, monkeypatch):
    attempt_id = make_attempt(app, STORY)
    real = compute

    def retention_drops_it_meanwhile(words, duration_s, question=None, **options):
        measured = real(words, duration_s, question, **options)
        if words:  # the refresh measuring the old words; now retention drops them
            with db.engine.begin() as conn:
                conn.execute(
                    db.update(Attempt).where(Attempt.id == attempt_id)
                    .values(transcript_values("", [], duration_s, question))
                )  # fmt: skip
        return measured

    monkeypatch.setattr("app.reports.attempts.compute", retention_drops_it_meanwhile)
    with app.app_context():
        assert refresh_metrics() == (0, None)
        db.session.expire_all()
        attempt = db.session.get(Attempt, attempt_id)
        assert (
            attempt.words == [] and attempt.metrics["words"] == 0 and not attempt.metrics["fillers"]
        )


def test_an_answer_that_cannot_be_measured_keeps_its_transcript(app, user, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ValueError("a rule tripped over this answer")

    monkeypatch.setattr("app.reports.attempts.compute", broken)
    with app.app_context():
        question = db.session.execute(db.select(Question)).scalars().first()
        values = transcript_values("hello", [{"word": " hello", "start": 0, "end": 1}], 1, question)
    assert values["transcript_text"] == "hello" and values["words"]
    assert values["metrics"] is None and values["metrics_version"] is None
    assert "could not be measured" in caplog.text
