"""Access control over the whole URL map: every route, every kind of visitor.

Candidate A owns the objects. Candidate B, recruiter R (before a share, and after it is
revoked) and an admin must get 404 from every route that names one of A's objects; an
anonymous visitor is sent to log in. A route added without an entry in ROUTES fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.accounts.identity import create_api_token, find_user
from app.extensions import db
from app.models import (
    ApiToken,
    Comment,
    Interview,
    InterviewTurn,
    MockInterview,
    Practice,
    Question,
    Share,
)
from tests.conftest import login, make_user
from tests.reports.test_feedback import STORY, make_attempt

pytestmark = pytest.mark.asvs("4.1.1", "4.1.3", "4.2.1")

PUBLIC = {
    "static", "auth.login", "auth.signup", "auth.forgot", "auth.reset", "auth.verify",
    "ops.healthz", "ops.readyz", "ops.metrics",
}  # fmt: skip
# Routes without an object of A's in the URL: any logged-in user may call them.
SELF = {
    "practice.index", "practice.start", "practice.start_assigned", "questions.index", "questions.new",
    "questions.import_bank", "attempts.create", "attempts.history", "progress.dashboard",
    "progress.export_all", "settings.edit", "settings.create_token", "shares.index",
    "auth.logout", "auth.change_password", "api.questions", "api.attempts", "api.create_attempt",
    "api.openapi", "api.create_share", "debriefs.index", "debriefs.new",
    "settings.delete_account_view", "practice.home", "interviews.index", "interviews.create",
    "interview_api.create",
}  # fmt: skip
RECRUITER_ONLY = {"review.index", "review.rubrics"}
# Routes that name one of A's objects: what each needs, and who besides A may use it.
OBJECT_ROUTES = {
    "attempts.show": ("attempt", "shared"),
    "attempts.audio": ("attempt", "shared"),
    "attempts.report": ("attempt", "shared"),
    "attempts.report_markdown": ("attempt", "shared"),
    "attempts.comment": ("attempt", "shared"),
    "attempts.review": ("attempt", "reviewer"),
    "api.attempt": ("attempt", "shared"),
    "api.attempt_events": ("attempt", "shared"),
    "api.comment": ("attempt", "shared"),
    "attempts.retry_failed": ("attempt", "owner"),
    "api.put_chunk": ("attempt", "owner"),
    "api.finish_attempt": ("attempt", "owner"),
    "attempts.rate": ("attempt", "owner"),
    "attempts.share": ("attempt", "owner"),
    "api.share_answer": ("attempt", "owner"),
    "attempts.delete": ("attempt", "owner"),
    "attempts.addressed": ("comment", "owner"),
    "practice.step": ("practice", "owner"),
    "practice.finish": ("practice", "owner"),
    "practice.summary": ("practice", "owner"),
    "questions.show": ("question", "owner"),
    "questions.answer": ("question", "owner"),
    "questions.compare": ("question", "owner"),
    "questions.delete_history_view": ("question", "owner"),
    "shares.revoke_share": ("share", "owner"),
    "api.delete_share": ("share", "owner"),
    "settings.revoke_token": ("token", "owner"),
    "review.candidate": ("candidate", "reviewer"),
    "review.assign": ("candidate", "reviewer"),
    "shares.accept_invitation": ("invite", "anyone"),
    "debriefs.show": ("interview", "shared"),
    "debriefs.questions": ("interview", "owner"),
    "debriefs.outcome": ("interview", "owner"),
    "debriefs.feedback": ("interview", "owner"),
    "debriefs.plan": ("interview", "owner"),
    "debriefs.share": ("interview", "owner"),
    "debriefs.add_to_plan": ("interview", "reviewer"),
    "interviews.show": ("mock", "shared"),
    "interviews.finish": ("mock", "owner"),
    "interviews.share": ("mock", "owner"),
    "interview_api.show": ("mock", "shared"),
    "interview_api.answer": ("mock", "owner"),
    "interview_api.turn_speech": ("mock", "shared"),
    "interview_api.spoken_part": ("mock", "shared"),
    "api.question_speech": ("question", "owner"),
}


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    unknown = endpoints - PUBLIC - SELF - RECRUITER_ONLY - set(OBJECT_ROUTES)
    assert not unknown, f"add these routes to the access matrix: {sorted(unknown)}"


@pytest.fixture
def world(app, client):
    """A's objects, and logged-in clients for B, R (not yet shared with) and an admin."""
    attempt_id = make_attempt(app, STORY)
    second = make_attempt(app, STORY)
    (Path(app.config["AUDIO_DIR"]) / "ab").mkdir(parents=True, exist_ok=True)
    (Path(app.config["AUDIO_DIR"]) / "ab" / "x.webm").write_bytes(b"audio")
    visitors = {}
    for email, role in (("b@example.com", "candidate"), ("r@example.com", "recruiter"),
                        ("admin@example.com", "admin")):  # fmt: skip
        make_user(app, email, role)
        visitors[role] = app.test_client()
        login(visitors[role], app, email)
    with app.app_context():
        a = find_user("a@example.com")
        own = Question(scope=f"user:{a.id}", key="own", owner_id=a.id, text="Mine?", category="Mine",
                       testing="t", tips=["a", "b"])  # fmt: skip
        db.session.add(own)
        practice = Practice(owner_id=a.id, question_ids=[1])
        db.session.add(practice)
        share = Share(candidate_id=a.id, recruiter_email="someone@example.com")
        db.session.add(share)
        db.session.commit()
        create_api_token(a)
        # A comment by A's reviewer-to-be would need a share; a self-reply stands in for it.
        comment = Comment(attempt_id=attempt_id, author_id=a.id, body="note")
        db.session.add(comment)
        interview = Interview(owner_id=a.id, company="Acme", plan_question_ids=[1])
        db.session.add(interview)
        mock = MockInterview(owner_id=a.id, question_ids=[1, 2, 3], status="asking")
        db.session.add(mock)
        db.session.flush()
        turn = InterviewTurn(mock_interview_id=mock.id, position=1, question_id=1, text="Q?")
        db.session.add(turn)
        db.session.commit()
        token_id = db.session.execute(db.select(ApiToken.id)).scalar_one()
        ids = {"attempt": attempt_id, "second": second, "question": own.id, "practice": practice.id,
               "share": share.id, "token": token_id, "comment": comment.id, "candidate": a.id,
               "invite": share.invite_token, "interview": interview.id, "mock": mock.id,
               "turn": turn.id}  # fmt: skip
    return ids, visitors


def url_for_route(app, endpoint: str, ids: dict) -> tuple[str, list[str]]:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {}
    for arg in rule.arguments:
        values[arg] = {
            "attempt_id": ids["attempt"], "question_id": ids["question"], "practice_id": ids["practice"],
            "share_id": ids["share"], "token_id": ids["token"], "comment_id": ids["comment"],
            "candidate_id": ids["candidate"], "token": ids["invite"], "step": 1,
            "interview_id": ids["interview"], "seq": 0, "mock_interview_id": ids["mock"],
            "turn_id": ids["turn"], "part": "greeting",
        }[arg]  # fmt: skip
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **values)
    methods = sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))
    return url, methods


def call(client, method: str, url: str):
    response = client.open(url, method=method, data={} if method != "GET" else None)
    response.close()
    return response.status_code


@pytest.mark.parametrize("endpoint", sorted(OBJECT_ROUTES))
def test_others_get_404_on_objects_of_a(app, world, endpoint):
    ids, visitors = world
    url, methods = url_for_route(app, endpoint, ids)
    _, allowed = OBJECT_ROUTES[endpoint]
    if allowed == "anyone":
        return  # an invitation link is the secret; accepting it is tested in test_review
    for role, client in visitors.items():
        for method in methods:
            assert call(client, method, url) == 404, (role, method, url)


@pytest.mark.parametrize("endpoint", sorted(set(OBJECT_ROUTES) | SELF | RECRUITER_ONLY))
def test_anonymous_visitors_must_log_in(app, world, endpoint):
    ids, _ = world
    url, methods = url_for_route(app, endpoint, ids)
    anon = app.test_client()
    for method in methods:
        if (endpoint, method) == ("practice.index", "GET"):
            # The home page shows a visitor what Rebound is (tests/web/test_display.py).
            page = anon.get(url)
            assert page.status_code == 200 and 'href="/signup"' in page.get_data(as_text=True)
            continue
        status = call(anon, method, url)
        expected = 401 if url.startswith("/api/") else 302
        assert status == expected, (method, url, status)


def test_recruiter_sees_exactly_what_is_shared_and_only_while_shared(app, client, world):
    ids, visitors = world
    recruiter = visitors["recruiter"]
    client.post(
        "/shares", data={"email": "r@example.com", "what": "chosen", "attempt": str(ids["attempt"])}
    )
    readable = [
        e for e, (kind, who) in OBJECT_ROUTES.items() if kind == "attempt" and who in ("shared",)
    ]
    for endpoint in readable:
        url, methods = url_for_route(app, endpoint, ids)
        if "GET" in methods:
            assert call(recruiter, "GET", url) == 200, url
    # The attempt not chosen stays hidden, and owner-only actions stay closed.
    assert call(recruiter, "GET", f"/attempts/{ids['second']}") == 404
    for endpoint in ("attempts.delete", "attempts.rate", "attempts.retry_failed"):
        url, _ = url_for_route(app, endpoint, ids)
        assert call(recruiter, "POST", url) == 404
    with app.app_context():
        share_id = db.session.execute(
            db.select(Share.id).where(Share.recruiter_email == "r@example.com")
        ).scalar_one()
    client.post(f"/shares/{share_id}/revoke")
    for endpoint in readable:
        url, methods = url_for_route(app, endpoint, ids)
        for method in methods:
            assert call(recruiter, method, url) == 404, (method, url)


def test_candidates_cannot_use_recruiter_pages(world):
    _, visitors = world
    for path in ("/review", "/review/rubrics"):
        assert call(visitors["candidate"], "GET", path) == 404
        assert call(visitors["recruiter"], "GET", path) == 200


def test_owner_can_use_every_read_route(app, client, world):
    ids, _ = world
    for endpoint, (kind, _) in OBJECT_ROUTES.items():
        url, methods = url_for_route(app, endpoint, ids)
        if "GET" in methods and kind != "candidate":
            status = call(client, "GET", url)
            assert status in (200, 302), (url, status)  # compare redirects with a single attempt


def test_lists_never_show_another_candidates_answers(app, world):
    _, visitors = world
    for path in ("/", "/history", "/progress", "/questions", "/api/v1/attempts", "/export.zip"):
        with visitors["candidate"].get(path) as response:
            assert STORY.encode() not in response.data, path
            assert b"Mine?" not in response.data, path
