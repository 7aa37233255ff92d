"""Headers, CSRF on forms and htmx requests, and escaping of user text."""

from __future__ import annotations

import re

import pytest

from app import create_app
from app.extensions import db
from app.models import Question
from tests.conftest import HTMX, JSON


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


@pytest.fixture
def csrf_client(csrf_app):
    from tests.conftest import login, make_user

    make_user(csrf_app, "c@example.com")
    client = csrf_app.test_client()
    login(client, csrf_app, "c@example.com")
    return client


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_inline_scripts_in_pages(client):
    for path in ("/", "/questions", "/history", "/questions/1", "/questions/1/answer"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " onclick=" not in html and "javascript:" not in html


def test_form_post_without_token_is_refused(csrf_client):
    client = csrf_client
    response = client.post("/practice", data={"count": "2"})
    assert response.status_code == 400
    assert "Reload the page and try again" in response.get_data(as_text=True)


def test_htmx_request_needs_the_header_token(csrf_client):
    client = csrf_client
    page = client.get("/history").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    no_token = client.post("/questions/new", data={"text": "x"}, headers=HTMX)
    assert no_token.status_code == 400
    with_token = client.post(
        "/questions/new",
        data={"text": "A question sent by htmx?", "difficulty": "2", "answer_seconds": "60"},
        headers=HTMX | {"X-CSRFToken": token},
    )
    assert with_token.status_code == 302


def test_question_text_is_escaped(client, app):
    client.get("/")  # creates the local user (id 1)
    with app.app_context():
        question = Question(
            scope="user:1",
            key="x1",
            owner_id=1,
            text="<script>alert(1)</script>?",
            category="<b>Cat</b>",
            testing="t",
            tips=["a", "b"],
        )
        db.session.add(question)
        db.session.commit()
        question_id = question.id
    html = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert "<b>Cat</b>" not in html


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/nothing/here")
    assert response.status_code == 404 and "There is nothing here" in response.get_data(
        as_text=True
    )
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_bad_setting_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("MAX_UPLOAD_MB", "lots")
    with pytest.raises(SystemExit, match="MAX_UPLOAD_MB='lots' is not a valid int"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_api_posts_with_a_session_cookie_need_the_csrf_token(csrf_client, csrf_app):
    from app.identity import create_api_token, find_user

    refused = csrf_client.post("/api/v1/shares", json={"recruiter_email": "r@example.com"})
    assert refused.status_code == 400
    with csrf_app.app_context():
        token = create_api_token(find_user("c@example.com"))
    bearer = csrf_app.test_client().post(
        "/api/v1/shares",
        json={"recruiter_email": "r@example.com"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bearer.status_code == 201


@pytest.mark.asvs("5.1.3")
def test_ids_too_large_for_the_database_are_a_404(client):
    """An id past 64 bits used to reach SQLite and fail there with a 500 (found by fuzzing)."""
    huge = str(2**64)
    assert client.get(f"/attempts/{huge}").status_code == 404
    assert client.get(f"/questions/{huge}/answer").status_code == 404
    response = client.post("/attempts", data={"question_id": huge}, headers=JSON)
    assert response.status_code == 404 and response.json["error"]
