"""A practice set keeps its thread: Try again stays in the set, the last question offers
Finish and a summary, and the home page offers to resume a set left halfway."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Attempt, Practice
from tests.conftest import login, make_user
from tests.reports.test_feedback import STORY, make_attempt


@pytest.fixture
def two_question_set(client, app):
    started = client.post("/practice", data={"count": "2", "think_seconds": "30"})
    assert started.status_code == 302
    practice_id = int(re.search(r"/practice/(\d+)/1", started.location).group(1))
    with app.app_context():
        ids = db.session.get(Practice, practice_id).question_ids
    return practice_id, ids


def _answer(app, practice_id: int, question_id: int) -> int:
    attempt_id = make_attempt(app, STORY, question_id=question_id)
    with app.app_context():
        db.session.get(Attempt, attempt_id).practice_id = practice_id
        db.session.commit()
    return attempt_id


def test_try_again_and_next_stay_in_the_set(client, app, two_question_set):
    practice_id, (q1, q2) = two_question_set
    home = client.get("/").get_data(as_text=True)
    assert "Question 1 of 2" in home and f"/practice/{practice_id}/1" in home
    first = _answer(app, practice_id, q1)
    page = client.get(f"/attempts/{first}").get_data(as_text=True)
    assert re.search(rf'href="/practice/{practice_id}/1">Try again', page)
    assert f'href="/practice/{practice_id}/2">Next question' in page
    assert "Finish the set" not in page
    retry_page = client.get(f"/practice/{practice_id}/1").get_data(as_text=True)
    assert 'data-think-seconds="30"' in retry_page and "Question 1 of 2" in retry_page
    assert "Question 2 of 2" in client.get("/").get_data(as_text=True)


def test_the_last_question_finishes_with_a_summary(client, app, two_question_set):
    practice_id, (q1, q2) = two_question_set
    _answer(app, practice_id, q1)
    retry = _answer(app, practice_id, q1)
    last = _answer(app, practice_id, q2)
    assert "Finish the set" in client.get(f"/practice/{practice_id}/2").get_data(as_text=True)
    page = client.get(f"/attempts/{last}").get_data(as_text=True)
    assert "Finish the set" in page and "Next question" not in page
    home = client.get("/").get_data(as_text=True)
    assert "Finish and see the summary" in home
    finished = client.post(f"/practice/{practice_id}/finish")
    assert finished.status_code == 302 and finished.location.endswith(
        f"/practice/{practice_id}/summary"
    )
    summary = client.get(finished.location).get_data(as_text=True)
    assert "2 of 2 questions answered" in summary
    assert summary.count('href="/attempts/') == 3 and f'href="/attempts/{retry}">Try 2' in summary
    assert "Pace while speaking" in summary
    assert "Question 1 of 2" not in client.get("/").get_data(as_text=True)
    assert "Finish and see the summary" not in client.get("/").get_data(as_text=True)


def test_a_set_is_its_owners_only(client, app, two_question_set):
    practice_id, _ = two_question_set
    make_user(app, "b@example.com")
    other = app.test_client()
    login(other, app, "b@example.com")
    assert other.get(f"/practice/{practice_id}/summary").status_code == 404
    assert other.post(f"/practice/{practice_id}/finish").status_code == 404
    assert "Question 1 of 2" not in other.get("/").get_data(as_text=True)
