"""An account with a long history: a storage quota, pages of answers, bounded progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from app.extensions import db
from app.feedback.reviews import default_rubric
from app.models import Attempt, Comment, Rating
from tests.conftest import JSON, make_user, upload
from tests.reports.test_feedback import STORY, make_attempt


@pytest.fixture
def user(client):
    client.get("/")
    return 1


def _many(app, count: int) -> list[int]:
    ids = [make_attempt(app, STORY, key=f"ab/{n:032x}.webm") for n in range(count)]
    with app.app_context():  # one per minute, the newest last
        for n, attempt_id in enumerate(ids):
            db.session.get(Attempt, attempt_id).created_at -= timedelta(minutes=count - n)
        db.session.commit()
    return ids


def _nearly_full(app) -> None:
    """A 1 MB quota with one answer taking all but 10 bytes of it."""
    app.config["MAX_STORAGE_MB"] = 1
    with app.app_context():
        db.session.get(Attempt, make_attempt(app, STORY)).size_bytes = 1024 * 1024 - 10
        db.session.commit()


@pytest.mark.asvs("12.1.3")
def test_an_upload_past_the_storage_quota_is_refused_with_the_figures(
    client, app, audio_fixtures, user
):
    _nearly_full(app)
    response = upload(client, audio_fixtures / "short.wav")
    assert response.status_code == 413
    message = response.json["error"]
    assert "of the 1 MB each account may keep" in message and "Delete answers" in message
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Attempt.id))).scalar() == 1
    app.config["MAX_STORAGE_MB"] = 0  # no limit
    assert upload(client, audio_fixtures / "short.wav").status_code == 201


@pytest.mark.asvs("12.1.3")
def test_a_streamed_answer_past_the_quota_is_refused_piece_by_piece(
    client, app, audio_fixtures, user
):
    _nearly_full(app)
    started = client.post("/api/v1/attempts", json={"question_id": 1, "streaming": True})
    assert started.status_code == 201
    piece = client.put(
        f"/api/v1/attempts/{started.json['id']}/chunks/0", data=b"x" * 100,
        headers={"Content-Type": "application/octet-stream"},
    )  # fmt: skip
    assert piece.status_code == 413 and "MB each account may keep" in piece.json["error"]


def test_history_and_the_api_come_a_page_at_a_time(client, app, user):
    ids = _many(app, 120)
    first = client.get("/history").get_data(as_text=True)
    assert "120 answers, newest first (50 on this page)" in first
    assert f'href="/attempts/{ids[-1]}"' in first and f'href="/attempts/{ids[-51]}"' not in first
    seen, url = [], "/api/v1/attempts?limit=50"
    while url:
        page = client.get(url, headers=JSON).json
        seen += [a["id"] for a in page["attempts"]]
        url = page["next"]
    assert seen == list(reversed(ids))  # every answer once, newest first
    older = client.get(f"/history?before={ids[-50]}").get_data(as_text=True)
    assert f'href="/attempts/{ids[-51]}"' in older and f'href="/attempts/{ids[-50]}"' not in older


def test_progress_charts_the_latest_answers_and_counts_them_all(client, app, user):
    _many(app, 205)
    page = client.get("/progress").get_data(as_text=True)
    assert "You have recorded 205 answers" in page
    assert "The charts show your latest 200 transcribed answers of 205" in page


def _statements(app, fetch) -> int:
    """How many SQL statements ``fetch`` made the app run."""
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        fetch()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def _reviewed(app, count: int) -> list[int]:
    """``count`` answers, each with a reviewer's comment, the owner's reply and a rating."""
    ids = _many(app, count)
    reviewer = make_user(app, "coach@example.com", role="recruiter")
    with app.app_context():
        rubric = default_rubric()
        for attempt_id in ids:
            comment = Comment(attempt_id=attempt_id, author_id=reviewer, body="Slow down.")
            db.session.add(comment)
            db.session.flush()
            db.session.add(Comment(attempt_id=attempt_id, author_id=1, body="Will do.",
                                   parent_id=comment.id))  # fmt: skip
            db.session.add(Rating(attempt_id=attempt_id, reviewer_id=reviewer,
                                  rubric_id=rubric.id, scores={"structure": 4}))  # fmt: skip
        db.session.commit()
    return ids


def test_the_api_list_reads_comments_and_ratings_in_a_fixed_number_of_queries(client, app, user):
    _reviewed(app, 6)
    few = _statements(app, lambda: client.get("/api/v1/attempts?limit=2", headers=JSON))
    many = _statements(app, lambda: client.get("/api/v1/attempts?limit=6", headers=JSON))
    assert many == few  # not one query more per answer
    listing = client.get("/api/v1/attempts?limit=6", headers=JSON).json["attempts"]
    for record in listing:
        assert [c["body"] for c in record["comments"]] == ["Slow down."]
        assert [r["body"] for r in record["comments"][0]["replies"]] == ["Will do."]
        assert record["ratings"][0]["scores"] == {"structure": 4}
        assert record["ratings"][0]["reviewer"] == "coach"
