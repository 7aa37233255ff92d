"""The coaching loop under selective sharing: an answer to the coach's own assignment, a
retry of a shared answer's question (when the candidate chose to share later answers), a
reply, and the Share button on an answer all reach the coach, through one rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Attempt, Question, Share
from tests.conftest import login, make_user
from tests.reports.test_feedback import STORY, make_attempt


def _two_questions(app) -> tuple[int, int]:
    with app.app_context():
        ids = db.session.execute(
            db.select(Question.id).where(Question.scope == "bank").order_by(Question.id).limit(2)
        ).scalars().all()  # fmt: skip
        return ids[0], ids[1]


def _later(app, attempt_id: int, minutes: int = 1) -> None:
    """Move an attempt a little into the future (clocks in a test are too close to order)."""
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.created_at += timedelta(minutes=minutes)
        db.session.commit()


@pytest.fixture
def coach(client, app):
    """Candidate 1 shares one chosen answer with coach R; returns (R's client, first, q1, q2)."""
    client.get("/")
    q1, q2 = _two_questions(app)
    first = make_attempt(app, STORY, question_id=q1, days_ago=1)
    make_user(app, "r@example.com", "recruiter")
    recruiter = app.test_client()
    login(recruiter, app, "r@example.com")
    return recruiter, first, q1, q2


def _share_chosen(client, attempt_id: int, later: bool = False) -> None:
    data = {"email": "r@example.com", "what": "chosen", "attempt": str(attempt_id)}
    if later:
        data["later"] = "1"
    assert client.post("/shares", data=data).status_code == 302


@pytest.mark.asvs("4.1.3")
def test_an_answer_to_the_coachs_assignment_reaches_the_coach(client, app, coach):
    recruiter, first, q1, q2 = coach
    _share_chosen(client, first)
    assert (
        recruiter.post("/review/candidates/1/assign", data={"question_id": str(q2)}).status_code
        == 302
    )
    home = recruiter.get("/review").get_data(as_text=True)
    assert "not started" in home
    answer = make_attempt(app, STORY, question_id=q2)
    _later(app, answer)
    assert recruiter.get(f"/attempts/{answer}").status_code == 200
    home = recruiter.get("/review").get_data(as_text=True)
    assert f"/attempts/{answer}" in home and "answer to your assignment" in home
    assert "answered" in home
    recruiter.post(f"/attempts/{answer}/comments", data={"body": "Good start."})
    home = recruiter.get("/review").get_data(as_text=True)
    assert "reviewed" in home
    assert f'href="/attempts/{answer}"' not in home.split("Your assignments")[0]
    # The candidate's own page says who saw it.
    assert "r@example.com" in client.get(f"/attempts/{answer}").get_data(as_text=True)


@pytest.mark.asvs("4.1.3")
def test_a_retry_is_shared_only_when_the_candidate_chose_later_answers(client, app, coach):
    recruiter, first, q1, _ = coach
    older = make_attempt(app, STORY, question_id=q1, days_ago=3)
    _share_chosen(client, first)
    retry = make_attempt(app, STORY, question_id=q1)
    assert recruiter.get(f"/attempts/{retry}").status_code == 404
    # The Share button on the answer, with "share this question's later answers" ticked.
    with app.app_context():
        share_id = db.session.execute(db.select(Share.id)).scalar_one()
    page = client.get(f"/attempts/{first}").get_data(as_text=True)
    assert "Share this answer" in page and "later answers" in page
    done = client.post(f"/attempts/{first}/share", data={"share": str(share_id), "later": "1"})
    assert done.status_code == 302
    assert recruiter.get(f"/attempts/{retry}").status_code == 200
    assert recruiter.get(f"/attempts/{older}").status_code == 404  # never the history
    home = recruiter.get("/review").get_data(as_text=True)
    assert f"/attempts/{retry}" in home and "retry" in home


def test_choosing_later_answers_when_sharing_covers_retries(client, app, coach):
    recruiter, first, q1, _ = coach
    _share_chosen(client, first, later=True)
    retry = make_attempt(app, STORY, question_id=q1)
    _later(app, retry)
    assert recruiter.get(f"/attempts/{retry}").status_code == 200
    assert client.get("/shares").get_data(as_text=True).count("later answers") >= 1


def test_a_reply_brings_the_answer_back_to_the_queue(client, app, coach):
    recruiter, first, _, _ = coach
    _share_chosen(client, first)
    assert f"/attempts/{first}" in recruiter.get("/review").get_data(as_text=True)
    recruiter.post(f"/attempts/{first}/comments", data={"body": "Say the result."})
    queue = recruiter.get("/review").get_data(as_text=True).split("Your candidates")[0]
    assert f"/attempts/{first}" not in queue
    with app.app_context():
        from app.models import Comment

        parent = db.session.execute(db.select(Comment.id)).scalar_one()
    client.post(
        f"/attempts/{first}/comments", data={"body": "Like this?", "parent_id": str(parent)}
    )
    queue = recruiter.get("/review").get_data(as_text=True).split("Your candidates")[0]
    assert f"/attempts/{first}" in queue and "replied" in queue
    recruiter.post(f"/attempts/{first}/comments", data={"body": "Yes.", "parent_id": str(parent)})
    queue = recruiter.get("/review").get_data(as_text=True).split("Your candidates")[0]
    assert f"/attempts/{first}" not in queue


def test_the_share_button_only_offers_the_candidates_own_shares(client, app, coach):
    recruiter, first, _, _ = coach
    _share_chosen(client, first)
    other = make_attempt(app, STORY)
    assert recruiter.get(f"/attempts/{other}").status_code == 404
    with app.app_context():
        share_id = db.session.execute(db.select(Share.id)).scalar_one()
    # The coach cannot share someone else's answer with themselves.
    assert (
        recruiter.post(f"/attempts/{other}/share", data={"share": str(share_id)}).status_code == 404
    )
    page = client.get(f"/attempts/{other}").get_data(as_text=True)
    assert f'name="share" value="{share_id}"' in page
    client.post(f"/attempts/{other}/share", data={"share": str(share_id)})
    assert recruiter.get(f"/attempts/{other}").status_code == 200
    # Nothing ticked: a clear message, nothing changes.
    third = make_attempt(app, STORY)
    response = client.post(f"/attempts/{third}/share", data={}, follow_redirects=True)
    assert "Choose who to share it with" in response.get_data(as_text=True)
    assert recruiter.get(f"/attempts/{third}").status_code == 404


def test_the_api_reads_through_the_same_rule(client, app, coach):
    recruiter, first, q1, q2 = coach
    _share_chosen(client, first)
    recruiter.post("/review/candidates/1/assign", data={"question_id": str(q2)})
    answer = make_attempt(app, STORY, question_id=q2)
    _later(app, answer)
    retry = make_attempt(app, STORY, question_id=q1)
    assert recruiter.get(f"/api/v1/attempts/{answer}").status_code == 200
    assert recruiter.get(f"/api/v1/attempts/{retry}").status_code == 404
    # Sharing through the API takes the same path as the Share button.
    with app.app_context():
        share_id = db.session.execute(db.select(Share.id)).scalar_one()
    for bad in ({}, {"share_ids": []}, {"share_ids": [True]}, {"share_ids": ["1"]}):
        assert client.post(f"/api/v1/attempts/{first}/share", json=bad).status_code == 400
    assert (
        client.post(f"/api/v1/attempts/{first}/share", json={"share_ids": [999]}).status_code == 422
    )
    assert (
        recruiter.post(
            f"/api/v1/attempts/{first}/share", json={"share_ids": [share_id]}
        ).status_code
        == 404
    )
    shared = client.post(
        f"/api/v1/attempts/{first}/share", json={"share_ids": [share_id], "later": True}
    )
    assert shared.status_code == 200 and shared.json == {"share_ids": [share_id]}
    _later(app, retry)
    assert recruiter.get(f"/api/v1/attempts/{retry}").status_code == 200


def test_the_reviewers_page_speaks_to_the_coach(client, app, coach):
    recruiter, first, _, _ = coach
    _share_chosen(client, first)
    page = recruiter.get(f"/attempts/{first}").get_data(as_text=True)
    assert "What they said" in page and "How they sounded" in page
    assert "What you said" not in page and "How you sounded" not in page
    # The comment box sits right under the transcript, before the numbers.
    transcript, form, numbers = (page.index(s) for s in
                                 ('class="transcript"', 'id="comment-form"', "How they sounded"))  # fmt: skip
    assert transcript < form < numbers
    assert 'placeholder="Try:' not in page
    own = client.get(f"/attempts/{first}").get_data(as_text=True)
    assert "What you said" in own and "How you sounded" in own


@pytest.mark.parametrize("typed", ["Try: I led the fix.", "try:I led the fix.", "I led the fix."])
def test_a_suggestion_is_stored_without_a_try_prefix(client, app, coach, typed):
    recruiter, first, _, _ = coach
    _share_chosen(client, first)
    recruiter.post(f"/attempts/{first}/comments", data={"body": "Name it.", "suggestion": typed})
    page = recruiter.get(f"/attempts/{first}").get_data(as_text=True)
    assert "Try:</strong> I led the fix." in page and "Try: Try:" not in page


def test_assigning_searches_the_question_list(client, app, coach):
    recruiter, first, _, _ = coach
    _share_chosen(client, first)
    blank = recruiter.get("/review/candidates/1").get_data(as_text=True)
    assert 'name="question_id"' not in blank and "Find a question" in blank
    found = recruiter.get("/review/candidates/1?q=conflict").get_data(as_text=True)
    with app.app_context():
        texts = db.session.execute(db.select(Question.text).where(
            Question.scope == "bank", Question.text.ilike("%conflict%")
            | Question.category.ilike("%conflict%"))).scalars().all()  # fmt: skip
    assert texts and found.count('name="question_id"') == min(len(texts), 25)
    fragment = recruiter.get("/review/candidates/1?q=zzzz-no-such", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "No question matches" in body
    assert recruiter.get("/review/candidates/1?q=%25_%5C").status_code == 200


@pytest.mark.asvs("4.1.3")
def test_an_old_assignment_opens_nothing_answered_while_nothing_was_shared(client, app, coach):
    """A coach assigned a question under a share the candidate then ended. Answers given while
    nothing was shared stay private when a later, narrower share begins; answers given under
    the new share still reach the coach who asked for them."""
    recruiter, first, q1, q2 = coach
    assert (
        client.post("/shares", data={"email": "r@example.com", "what": "everything"}).status_code
        == 302
    )
    recruiter.post("/review/candidates/1/assign", data={"question_id": str(q2)})
    with app.app_context():
        ended = db.session.execute(db.select(Share.id)).scalar_one()
    client.post(f"/shares/{ended}/revoke")
    private = make_attempt(app, "A PRIVATE answer given while sharing nothing.", question_id=q2)
    _later(app, private, minutes=1)
    _share_chosen(client, first)
    with app.app_context():
        new = db.session.execute(db.select(Share).where(Share.id != ended)).scalar_one()
        assert not new.everything and new.attempt_ids == [first]
        new.accepted_at = new.created_at = new.accepted_at + timedelta(minutes=2)
        db.session.commit()
    assert recruiter.get(f"/attempts/{private}").status_code == 404
    assert recruiter.get(f"/api/v1/attempts/{private}").status_code == 404
    assert "PRIVATE" not in recruiter.get("/review").get_data(as_text=True)
    answered_since = make_attempt(app, STORY, question_id=q2)
    _later(app, answered_since, minutes=3)
    assert recruiter.get(f"/attempts/{answered_since}").status_code == 200


@pytest.mark.asvs("4.1.3")
@pytest.mark.parametrize("gone", ["deleted answer", "unanswered question", "not a number"])
def test_a_chosen_share_that_names_nothing_of_yours_is_refused_not_widened(
    client, app, coach, gone
):
    """Ticked ids that are no longer there (deleted in another tab) or were never the
    candidate's must not turn "only these" into "everything"."""
    recruiter, first, q1, q2 = coach
    secret = make_attempt(app, "My salary story, never chosen.", question_id=q1)
    data = {"email": "r@example.com", "what": "chosen"}
    if gone == "deleted answer":
        doomed = make_attempt(app, STORY, question_id=q2)
        assert client.post(f"/attempts/{doomed}/delete").status_code == 302
        data["attempt"] = str(doomed)
    elif gone == "unanswered question":
        with app.app_context():
            data["question"] = str(
                db.session.execute(
                    db.select(Question.id).where(Question.id.not_in([q1, q2])).limit(1)
                ).scalar_one()
            )
    else:
        data["attempt"] = "²"
    refused = client.post("/shares", data=data)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "reload the page" in page or "Tick the answers" in page
    with app.app_context():
        assert db.session.execute(db.select(Share)).scalars().all() == []
    assert recruiter.get(f"/attempts/{secret}").status_code == 404
    assert recruiter.get(f"/attempts/{first}").status_code == 404


def test_sharing_says_what_to_choose_when_the_form_names_neither(client, app, coach):
    refused = client.post("/shares", data={"email": "r@example.com"})
    assert refused.status_code == 422
    assert "Choose what to share" in refused.get_data(as_text=True)
