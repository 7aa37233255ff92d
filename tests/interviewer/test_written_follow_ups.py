"""Follow-ups people write: a recruiter's on the assign form (stored on the assignment, found
for the interview while they still share), and a candidate's on their own question; bad ones
are refused beside the field with what was typed kept."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.interviewer.follow_ups import follow_up_for, follow_ups_for, possible_wordings
from app.models import Assignment, Question, Share
from tests.conftest import HTMX, login, make_user
from tests.reports.test_takeaway import changed

MINE = (
    "star.result: Did the manager change the target in the end?\nstar.action: What did you write?"
)


@pytest.fixture
def recruiter(client, app):
    """Recruiter R, logged in, with whom candidate A (``client``, user 1) shares everything."""
    make_user(app, "r@example.com", "recruiter")
    coach = app.test_client()
    login(coach, app, "r@example.com")
    response = client.post("/shares", data={"email": "r@example.com", "what": "everything"})
    assert response.status_code == 302
    return coach


def a_question_id(recruiter) -> str:
    page = recruiter.get("/review/candidates/1?q=disagreed with your manager").get_data(
        as_text=True
    )
    return re.search(r'name="question_id" value="(\d+)"', page).group(1)


def test_the_assign_form_offers_follow_ups_with_their_triggers(recruiter):
    page = recruiter.get("/review/candidates/1?q=manager", headers=HTMX).get_data(as_text=True)
    assert '<label for="follow-ups">' in page and 'name="follow_ups"' in page
    assert "<code>star.result</code>" in page and 'aria-describedby="follow-ups-hint"' in page


def test_a_recruiters_follow_ups_are_stored_and_asked(recruiter, app):
    question_id = a_question_id(recruiter)
    response = recruiter.post("/review/candidates/1/assign",
                              data={"question_id": question_id, "follow_ups": MINE})  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        assignment = db.session.execute(db.select(Assignment)).scalar_one()
        assert assignment.follow_ups == {
            "star.result": "Did the manager change the target in the end?",
            "star.action": "What did you write?",
        }
        question = db.session.get(Question, int(question_id))
        overrides = follow_ups_for(question, 1)
        assert overrides == assignment.follow_ups
        asked = follow_up_for(question, [changed(star={"result": False})], [], overrides)
        assert asked.text == "Did the manager change the target in the end?"
        assert "What did you write?" in possible_wordings(question, overrides)
        # Another candidate, or none written: the bank's wording stands.
        assert follow_ups_for(question, 2) == {}


def test_the_latest_assignment_with_follow_ups_counts_while_the_share_lasts(recruiter, app):
    question_id = a_question_id(recruiter)
    for text in (MINE, "star.result: Second thoughts?", ""):
        recruiter.post("/review/candidates/1/assign",
                       data={"question_id": question_id, "follow_ups": text})  # fmt: skip
    with app.app_context():
        question = db.session.get(Question, int(question_id))
        assert follow_ups_for(question, 1) == {"star.result": "Second thoughts?"}
        db.session.execute(db.update(Share).values(revoked_at=db.func.now()))
        db.session.commit()
        assert follow_ups_for(question, 1) == {}


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("star.outcome: How did it end?", "“star.outcome” is not a follow-up trigger"),
        ("How did it end?", "names no trigger"),
        ("star.result: Tell me about {point}", "uses {point}, which only talking_point"),
        ("length.long: " + "x" * 400, "is 400 characters; keep it under 300"),
    ],
)
def test_bad_follow_ups_are_refused_beside_the_field(recruiter, app, typed, message):
    question_id = a_question_id(recruiter)
    response = recruiter.post(
        "/review/candidates/1/assign",
        data={"question_id": question_id, "follow_ups": typed, "note": "Before Friday"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    errors = re.search(
        r'<ul class="error" id="follow-ups-errors" role="alert">(.*?)</ul>', page, re.S
    )
    assert errors and message in errors.group(1)
    assert 'aria-invalid="true"' in page and 'value="Before Friday"' in page
    assert f'value="{question_id}" required checked' in page
    assert typed[:40] in page
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Assignment.id))).scalar() == 0


def test_assigning_for_someone_who_does_not_share_is_404(app, recruiter):
    other = make_user(app, "b@example.com")
    assert recruiter.post(f"/review/candidates/{other}/assign",
                          data={"question_id": "1", "follow_ups": MINE}).status_code == 404  # fmt: skip


def test_the_assign_form_needs_its_csrf_token(app, recruiter):
    app.config["WTF_CSRF_ENABLED"] = True
    response = recruiter.post("/review/candidates/1/assign",
                              data={"question_id": "1", "follow_ups": MINE})  # fmt: skip
    assert response.status_code == 400


def test_your_own_question_keeps_its_follow_ups(client, app):
    form = {"text": "Tell me about the bug you are proudest of fixing.", "difficulty": "2",
            "answer_seconds": "90", "tags": "behavioural",
            "follow_ups": "star.result: And was it ever seen again?"}  # fmt: skip
    page = client.get("/questions/new").get_data(as_text=True)
    assert 'name="follow_ups"' in page and "<code>length.long</code>" in page
    assert client.post("/questions/new", data=form).status_code == 302
    with app.app_context():
        question = db.session.execute(
            db.select(Question).where(Question.text == form["text"])
        ).scalar_one()
        assert question.follow_ups == {"star.result": "And was it ever seen again?"}
    bad = client.post("/questions/new", data=form | {"text": "Another one?",
                                                     "follow_ups": "ending: Well?"})  # fmt: skip
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "“ending” is not a follow-up trigger" in html and "ending: Well?</textarea>" in html
    with app.app_context():
        assert not db.session.execute(
            db.select(Question).where(Question.text == "Another one?")
        ).scalar_one_or_none()


def test_another_recruiter_cannot_open_the_assign_form(app, recruiter):
    make_user(app, "r2@example.com", "recruiter")
    other = app.test_client()
    login(other, app, "r2@example.com")
    assert other.get("/review/candidates/1?q=manager").status_code == 404
