"""Each feedback rule lives in one domain function that pages and the API share: the same
refusal in the same words, and an audit entry exactly when something was saved."""

from __future__ import annotations

import pytest

from app.accounts.identity import create_api_token, find_user
from app.extensions import db
from app.feedback.comments import OWNER_ONLY_REPLIES
from app.models import AuditEvent, Comment
from tests.conftest import HTMX, login, make_user
from tests.reports.test_feedback import STORY, make_attempt


@pytest.fixture
def shared(client, app):
    """Candidate A's answer, shared with recruiter R; both hold API tokens."""
    make_user(app, "r@example.com", "recruiter")
    attempt_id = make_attempt(app, STORY)
    assert (
        client.post("/shares", data={"email": "r@example.com", "what": "everything"}).status_code
        == 302
    )
    with app.app_context():
        tokens = {
            "candidate": create_api_token(find_user("a@example.com")),
            "recruiter": create_api_token(find_user("r@example.com")),
        }
    return attempt_id, {who: {"Authorization": f"Bearer {t}"} for who, t in tokens.items()}


def events(app, action: str) -> int:
    with app.app_context():
        return len(db.session.execute(db.select(AuditEvent).filter_by(action=action)).all())


def comments(app) -> int:
    with app.app_context():
        return len(db.session.execute(db.select(Comment)).all())


def test_the_owner_may_only_reply_in_the_same_words_on_the_page_and_in_the_api(
    client, app, anon, shared
):
    attempt_id, bearer = shared
    page = client.post(
        f"/attempts/{attempt_id}/comments", data={"body": "Note to self"}, headers=HTMX
    )
    assert page.status_code == 422
    assert OWNER_ONLY_REPLIES.replace("'", "&#39;") in page.get_data(as_text=True)
    api = anon.post(
        f"/api/v1/attempts/{attempt_id}/comments",
        json={"body": "Note to self"},
        headers=bearer["candidate"],
    )
    assert api.status_code == 403 and api.json["error"] == OWNER_ONLY_REPLIES
    assert comments(app) == 0 and events(app, "commented") == 0


@pytest.mark.asvs("8.3.5")
def test_a_recruiter_commenting_through_the_api_leaves_an_audit_entry(app, anon, shared):
    attempt_id, bearer = shared
    created = anon.post(
        f"/api/v1/attempts/{attempt_id}/comments",
        json={"body": "Lead with the result."},
        headers=bearer["recruiter"],
    )
    assert created.status_code == 201
    assert events(app, "commented") == 1


@pytest.mark.asvs("8.3.5")
def test_a_refused_comment_leaves_no_audit_entry_on_either_path(app, anon, shared):
    attempt_id, bearer = shared
    recruiter = app.test_client()
    login(recruiter, app, "r@example.com")
    page = recruiter.post(f"/attempts/{attempt_id}/comments", data={"body": "  "}, headers=HTMX)
    api = anon.post(
        f"/api/v1/attempts/{attempt_id}/comments",
        json={"body": "x", "start_s": -4},
        headers=bearer["recruiter"],
    )
    assert page.status_code == 422 and api.status_code == 422
    assert comments(app) == 0 and events(app, "commented") == 0


def test_a_rating_is_audited_once_saved_and_not_when_refused(app, shared):
    attempt_id, _bearer = shared
    recruiter = app.test_client()
    login(recruiter, app, "r@example.com")
    page = recruiter.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    rubric_id = page.split('name="rubric_id" value="', 1)[1].split('"', 1)[0]
    refused = recruiter.post(
        f"/attempts/{attempt_id}/review", data={"rubric_id": rubric_id}, headers=HTMX
    )
    assert refused.status_code == 422 and events(app, "rated") == 0
    saved = recruiter.post(
        f"/attempts/{attempt_id}/review",
        data={"rubric_id": rubric_id, "score-structure": "4"},
        headers=HTMX,
    )
    assert saved.status_code == 200 and events(app, "rated") == 1
