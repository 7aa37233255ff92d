"""The recruiter loop: sharing, comments pinned to words and moments, rubrics, assignments."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Comment, Share
from tests.conftest import HTMX, login, make_user
from tests.reports.test_feedback import STORY, make_attempt


@pytest.fixture
def recruiter(app):
    make_user(app, "r@example.com", "recruiter")
    client = app.test_client()
    login(client, app, "r@example.com")
    return client


@pytest.fixture
def shared(client, app, recruiter):
    """Candidate A (logged in as ``client``) shares everything with recruiter R."""
    attempt_id = make_attempt(app, STORY)
    response = client.post("/shares", data={"email": "r@example.com", "what": "everything"})
    assert response.status_code == 302
    return attempt_id


@pytest.mark.asvs("4.2.1")
def test_recruiter_sees_shared_attempts_only_while_shared(client, app, recruiter):
    attempt_id = make_attempt(app, STORY)
    assert recruiter.get(f"/attempts/{attempt_id}").status_code == 404
    client.post("/shares", data={"email": "r@example.com", "what": "everything"})
    assert recruiter.get(f"/attempts/{attempt_id}").status_code == 200
    audio_dir = __import__("pathlib").Path(app.config["AUDIO_DIR"])
    (audio_dir / "ab").mkdir(parents=True, exist_ok=True)
    (audio_dir / "ab" / "x.webm").write_bytes(b"fake")
    with recruiter.get(f"/attempts/{attempt_id}/audio") as audio:
        assert audio.status_code == 200 and audio.data == b"fake"
    queue = recruiter.get("/review").get_data(as_text=True)
    assert f"/attempts/{attempt_id}" in queue and "Waiting for your feedback" in queue
    with app.app_context():
        share_id = db.session.execute(db.select(Share.id)).scalar_one()
    client.post(f"/shares/{share_id}/revoke")
    assert recruiter.get(f"/attempts/{attempt_id}").status_code == 404
    assert f"/attempts/{attempt_id}" not in recruiter.get("/review").get_data(as_text=True)


def test_sharing_chosen_attempts_only(client, app, recruiter):
    first = make_attempt(app, STORY)
    second = make_attempt(app, STORY)
    client.post(
        "/shares", data={"email": "r@example.com", "what": "chosen", "attempt": str(second)}
    )
    assert recruiter.get(f"/attempts/{first}").status_code == 404
    assert recruiter.get(f"/attempts/{second}").status_code == 200


def test_invitation_link_for_someone_without_an_account(client, app):
    attempt_id = make_attempt(app, STORY)
    client.post("/shares", data={"email": "later@example.com", "what": "everything"})
    page = client.get("/shares").get_data(as_text=True)
    link = re.search(r"http://localhost(/shares/accept/[\w-]+)", page).group(1)
    # They sign up later with the invited address (unconfirmed: no mail server here).
    make_user(app, "later@example.com", "recruiter", verified=False)
    coach = app.test_client()
    login(coach, app, "later@example.com")
    assert coach.get(f"/attempts/{attempt_id}").status_code == 404
    assert coach.post(link).status_code == 302
    assert coach.get(f"/attempts/{attempt_id}").status_code == 200
    # A claimed link cannot be reused by someone else.
    make_user(app, "other@example.com", "recruiter")
    other = app.test_client()
    login(other, app, "other@example.com")
    response = other.post(link)
    assert response.status_code == 410 and "already used" in response.get_data(as_text=True)


def test_candidates_cannot_accept_invitations_or_open_review(client, app):
    make_attempt(app, STORY)
    client.post("/shares", data={"email": "b@example.com", "what": "everything"})
    make_user(app, "b@example.com")
    other = app.test_client()
    login(other, app, "b@example.com")
    assert other.get("/review").status_code == 404
    with app.app_context():
        token = db.session.execute(db.select(Share.invite_token)).scalar_one()
    assert "Only a recruiter" in other.post(f"/shares/accept/{token}").get_data(as_text=True)


def test_comment_pinned_to_words_shows_inline_and_flags_the_candidate(
    client, app, recruiter, shared
):
    response = recruiter.post(
        f"/attempts/{shared}/comments",
        data={
            "body": "Name the customer here.",
            "word_start": "3",
            "word_end": "5",
            "suggestion": "our largest retail client",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="comments"')
    assert (
        "Name the customer here." in fragment
        and "Try:</strong> our largest retail client" in fragment
    )
    home = client.get("/").get_data(as_text=True)
    assert "New feedback" in home and "Name the customer here." in home
    page = client.get(f"/attempts/{shared}").get_data(as_text=True)
    assert 'id="w-3" class="word commented"' in page
    assert re.search(r'id="w-5"[^>]*>[^<]*</span><a class="comment-marker" href="#c-\d+"', page)
    assert "<q> my previous job</q>" in page
    assert "New feedback" not in client.get("/").get_data(as_text=True)  # seen now


def test_comment_at_a_moment_general_and_bad_input(client, app, recruiter, shared):
    assert (
        recruiter.post(
            f"/attempts/{shared}/comments", data={"body": "Slow down here.", "start_s": "4.5"}
        ).status_code
        == 302
    )
    assert (
        recruiter.post(
            f"/attempts/{shared}/comments", data={"body": "Good story overall."}
        ).status_code
        == 302
    )
    for data, message in [
        ({"body": ""}, "Write a comment first"),
        ({"body": "x", "start_s": "9999"}, "outside the recording"),
        ({"body": "x", "word_start": "500"}, "not in this transcript"),
        ({"body": "x", "start_s": "soon"}, "not a time in seconds"),
    ]:
        response = recruiter.post(f"/attempts/{shared}/comments", data=data, headers=HTMX)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    body = client.get(f"/api/v1/attempts/{shared}").json
    assert [c["body"] for c in body["comments"]] == ["Slow down here.", "Good story overall."]
    assert body["comments"][0]["start_s"] == 4.5


def test_candidate_replies_and_marks_addressed(client, app, recruiter, shared):
    recruiter.post(f"/attempts/{shared}/comments", data={"body": "Say the number."})
    with app.app_context():
        comment_id = db.session.execute(db.select(Comment.id)).scalar_one()
    assert (
        client.post(
            f"/attempts/{shared}/comments", data={"body": "Top-level from me"}, headers=HTMX
        ).status_code
        == 422
    )
    client.post(
        f"/attempts/{shared}/comments", data={"body": "Will do!", "parent_id": str(comment_id)}
    )
    client.post(f"/attempts/{shared}/comments/{comment_id}/addressed")
    page = recruiter.get(f"/attempts/{shared}").get_data(as_text=True)
    assert "Will do!" in page and "addressed</span>" in page
    assert recruiter.post(f"/attempts/{shared}/comments/{comment_id}/addressed").status_code == 404


def test_rubric_rating_and_own_rubric(client, app, recruiter, shared):
    page = recruiter.get(f"/attempts/{shared}").get_data(as_text=True)
    rubric_id = re.search(r'name="rubric_id" value="(\d+)"', page).group(1)
    response = recruiter.post(
        f"/attempts/{shared}/review",
        headers=HTMX,
        data={
            "rubric_id": rubric_id,
            "score-structure": "4",
            "score-delivery": "2",
            "note": "Clear story.",
        },
    )
    assert response.status_code == 200 and "4 / 5" in response.get_data(as_text=True)
    bad = recruiter.post(
        f"/attempts/{shared}/review",
        headers=HTMX,
        data={"rubric_id": rubric_id, "score-structure": "9"},
    )
    assert bad.status_code == 422 and "choose a score from 1 to 5" in bad.get_data(as_text=True)
    ratings = client.get(f"/api/v1/attempts/{shared}").json["ratings"]
    assert (
        ratings[0]["scores"] == {"structure": 4, "delivery": 2}
        and ratings[0]["note"] == "Clear story."
    )
    assert (
        client.post(f"/attempts/{shared}/review", data={"rubric_id": rubric_id}).status_code == 404
    )
    own = recruiter.post(
        "/review/rubrics",
        data={"name": "Sales", "criteria": "Closing: weak | thin | ok | good | great\nRapport"},
    )
    assert own.status_code == 302
    assert "Sales" in recruiter.get(f"/attempts/{shared}").get_data(as_text=True)
    bad_rubric = recruiter.post(
        "/review/rubrics", data={"name": "x", "criteria": "Only: one | two"}
    )
    assert bad_rubric.status_code == 422


def test_assignments_become_a_practice_set(client, app, recruiter, shared):
    questions = recruiter.get("/review/candidates/1?q=conflict").get_data(as_text=True)
    question_id = re.search(r'name="question_id" value="(\d+)"', questions).group(1)
    recruiter.post(
        "/review/candidates/1/assign",
        data={
            "question_id": question_id,
            "due_on": "2026-12-24",
            "note": "Practise this before Friday",
        },
    )
    home = client.get("/").get_data(as_text=True)
    assert (
        "Assigned to you" in home and "due 24 Dec" in home and "Practise this before Friday" in home
    )
    start = client.post("/practice/assigned")
    assert start.status_code == 302 and "/practice/" in start.location
    assert (
        recruiter.post(
            "/review/candidates/99/assign", data={"question_id": question_id}
        ).status_code
        == 404
    )


def test_try_again_shows_the_feedback_beside_the_recorder(client, app, recruiter, shared):
    recruiter.post(f"/attempts/{shared}/comments", data={"body": "Lead with the result."})
    with app.app_context():
        from app.models import Attempt

        question_id = db.session.get(Attempt, shared).question_id
    page = client.get(f"/questions/{question_id}/answer?after={shared}").get_data(as_text=True)
    assert "Feedback on your last answer" in page and "Lead with the result." in page


def test_compare_two_attempts_side_by_side(client, app, recruiter, shared):
    with app.app_context():
        from app.models import Attempt

        question_id = db.session.get(Attempt, shared).question_id
    later = make_attempt(app, STORY.replace("the plan", "the whole plan"), question_id=question_id)
    html = client.get(f"/questions/{question_id}/compare").get_data(as_text=True)
    assert 'id="player-1"' in html and 'id="player-2"' in html
    assert '<span class="added">whole</span>' in html
    assert f"/attempts/{later}" in html
    reviewer_view = recruiter.get(f"/questions/{question_id}/compare?candidate=1")
    assert reviewer_view.status_code == 200 and 'id="player-2"' in reviewer_view.get_data(
        as_text=True
    )


def test_api_comments_and_shares_with_bearer_tokens(client, app, anon):
    from app.accounts.identity import create_api_token, find_user

    make_user(app, "r@example.com", "recruiter")
    attempt_id = make_attempt(app, STORY)
    with app.app_context():
        candidate_token = create_api_token(find_user("a@example.com"))
        recruiter_token = create_api_token(find_user("r@example.com"))
    as_candidate = {"Authorization": f"Bearer {candidate_token}"}
    as_recruiter = {"Authorization": f"Bearer {recruiter_token}"}
    assert (
        anon.post(
            f"/api/v1/attempts/{attempt_id}/comments", json={"body": "hi"}, headers=as_recruiter
        ).status_code
        == 404
    )
    share = anon.post(
        "/api/v1/shares", json={"recruiter_email": "r@example.com"}, headers=as_candidate
    )
    assert share.status_code == 201
    created = anon.post(
        f"/api/v1/attempts/{attempt_id}/comments",
        json={"body": "Nice.", "start_s": 2},
        headers=as_recruiter,
    )
    assert created.status_code == 201 and created.json["start_s"] == 2
    assert (
        anon.post(
            f"/api/v1/attempts/{attempt_id}/comments", data="x", headers=as_recruiter
        ).status_code
        == 400
    )
    assert (
        anon.delete(f"/api/v1/shares/{share.json['id']}", headers=as_candidate).status_code == 204
    )
    assert anon.get(f"/api/v1/attempts/{attempt_id}", headers=as_recruiter).status_code == 404
    spec = anon.get("/api/v1/openapi.json", headers=as_candidate).json
    assert "/api/v1/attempts/{id}/comments" in spec["paths"]


def test_sharing_a_question_shares_every_answer_to_it_even_later_ones(client, app, recruiter):
    first = make_attempt(app, STORY)
    with app.app_context():
        from app.models import Attempt

        question_id = db.session.get(Attempt, first).question_id
    other_question = make_attempt(app, STORY, question_id=question_id + 1)
    client.post(
        "/shares", data={"email": "r@example.com", "what": "chosen", "question": str(question_id)}
    )
    later = make_attempt(app, STORY, question_id=question_id)
    assert recruiter.get(f"/attempts/{first}").status_code == 200
    assert recruiter.get(f"/attempts/{later}").status_code == 200
    assert recruiter.get(f"/attempts/{other_question}").status_code == 404


def test_dashboard_charts_rubric_scores(client, app, recruiter, shared):
    page = recruiter.get(f"/attempts/{shared}").get_data(as_text=True)
    rubric_id = re.search(r'name="rubric_id" value="(\d+)"', page).group(1)
    recruiter.post(
        f"/attempts/{shared}/review",
        data={"rubric_id": rubric_id, "score-structure": "4", "score-clarity": "3"},
    )
    html = client.get("/progress").get_data(as_text=True)
    assert "Rubric score from reviewers" in html and "<td>3.5</td>" in html
