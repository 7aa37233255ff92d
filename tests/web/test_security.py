"""Headers, CSRF on forms and htmx requests, escaping of user text, and docs/security.md kept
in step with the tests that carry ASVS ids."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from app.models import Question
from tests.conftest import HTMX, JSON

TESTS = Path(__file__).resolve().parents[1]
SECURITY_DOC = TESTS.parent / "docs" / "security.md"


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


@pytest.mark.asvs("14.4.3", "14.4.4", "14.4.6", "14.4.7")
def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.asvs("14.4.3")
def test_no_inline_scripts_in_pages(client):
    for path in ("/", "/questions", "/history", "/questions/1", "/questions/1/answer"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " onclick=" not in html and "javascript:" not in html


@pytest.mark.asvs("4.2.2")
def test_form_post_without_token_is_refused(csrf_client):
    client = csrf_client
    response = client.post("/practice", data={"count": "2"})
    assert response.status_code == 400
    assert "Reload the page and try again" in response.get_data(as_text=True)


@pytest.mark.asvs("4.2.2")
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


@pytest.mark.asvs("5.3.3")
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


@pytest.mark.asvs("7.4.1")
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


@pytest.mark.asvs("4.2.2")
def test_api_posts_with_a_session_cookie_need_the_csrf_token(csrf_client, csrf_app):
    from app.accounts.identity import create_api_token, find_user

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
@pytest.mark.parametrize("huge", [2**31, 2**64])
def test_ids_too_large_for_the_database_are_a_404(client, huge):
    """Ids past 64 bits failed in SQLite, and past 31 bits in PostgreSQL, with a 500 (both
    found by fuzzing, the second on the PostgreSQL pass)."""
    assert client.get(f"/attempts/{huge}").status_code == 404
    assert client.get(f"/questions/{huge}/answer").status_code == 404
    response = client.post("/attempts", data={"question_id": str(huge)}, headers=JSON)
    assert response.status_code == 404 and response.json["error"]


def asvs_marks() -> list[tuple[str, str | None, list[str]]]:
    """(file, test or None for the whole module, ASVS ids) for every ``asvs`` mark."""
    found = []

    def ids_of(node) -> list[str] | None:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "asvs"):  # fmt: skip
            return [arg.value for arg in node.args]
        return None

    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            target = node.targets[0] if isinstance(node, ast.Assign) else None
            if isinstance(target, ast.Name) and target.id == "pytestmark":
                marks = node.value.elts if isinstance(node.value, ast.List) else [node.value]
                for mark in marks:
                    if (ids := ids_of(mark)) is not None:
                        found.append((path.relative_to(TESTS).as_posix(), None, ids))
            elif isinstance(node, ast.FunctionDef):
                for decorator in node.decorator_list:
                    if (ids := ids_of(decorator)) is not None:
                        found.append((path.relative_to(TESTS).as_posix(), node.name, ids))
    return found


def test_docs_security_table_names_every_asvs_test():
    """Each test marked with ASVS ids has a row in docs/security.md naming it and those ids,
    and every test the table names exists."""
    marks = asvs_marks()
    assert len(marks) > 30
    rows = [line for line in SECURITY_DOC.read_text().splitlines() if line.startswith("| ")]
    for file, test, ids in marks:
        assert ids and all(re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{1,2}", i) for i in ids), (test, ids)
        named = [r for r in rows if (f"::{test}`" in r if test else f"`{file}`" in r)]
        assert any(all(i in r for i in ids) for r in named), (
            f"docs/security.md needs a row naming {file}::{test or '(whole file)'} with {ids}"
        )
    for row in rows:
        for file, test in re.findall(r"`((?:\w+/)*test_\w+\.py)::(test_\w+)`", row):
            assert f"def {test}(" in (TESTS / file).read_text(), f"{file}::{test} does not exist"


@pytest.mark.asvs("5.1.3")
def test_nul_characters_are_refused_everywhere(client, audio_fixtures):
    """PostgreSQL cannot store NUL in text: the fuzzing's PostgreSQL pass found a 500 here."""
    form = client.post("/attempts", data={"question_id": "1", "upload_id": "a\x00b"}, headers=JSON)
    query = client.get("/history?category=a%00b")
    api = client.post("/api/v1/shares", json={"email": "x\x00@example.com"})
    for response in (form, query, api):
        assert response.status_code == 400, response.data
    assert "NUL character" in form.json["error"] and "NUL character" in api.json["error"]
    assert "NUL character" in query.get_data(as_text=True)


@pytest.mark.asvs("5.1.3")
def test_a_lone_surrogate_or_json_nested_too_deep_is_a_400_that_says_so(client, app):
    """A lone surrogate ("\\ud800" in JSON) cannot be encoded, and failed the insert with a
    500; JSON nested past the parser's recursion limit raised out of get_json(silent=True)."""
    raw = '{"body": "\\ud800 hello", "recruiter_email": "r\\udfff@example.com"}'
    for path in ("/api/v1/shares", "/api/v1/attempts/1/comments"):
        response = client.post(path, data=raw, content_type="application/json")
        assert response.status_code == 400, (path, response.data)
        assert "surrogate" in response.json["error"]
    deep = "[" * 50_000 + "]" * 50_000
    for path in ("/api/v1/shares", "/login"):
        response = client.post(path, data=deep, content_type="application/json")
        assert response.status_code == 400, (path, response.status_code)
    assert (
        "nested too deeply"
        in client.post("/api/v1/shares", data=deep, content_type="application/json").json["error"]
    )
    parsable = "[" * 900 + "]" * 900  # deep, but within the parser: read without recursion
    assert (
        client.post("/api/v1/shares", data=parsable, content_type="application/json").status_code
        == 400
    )
    assert client.get("/history").status_code == 200  # the session still works


@pytest.mark.asvs("8.2.1")
def test_pages_and_api_answers_are_never_cached(client, app):
    page = client.get("/settings")
    api = client.get("/api/v1/attempts")
    fragment = client.get("/history", headers={"HX-Request": "true"})
    for response in (page, api, fragment):
        assert response.headers["Cache-Control"] == "no-store", response.headers
    with client.get("/static/rebound.css") as static:
        assert static.status_code == 200
        assert "no-store" not in static.headers.get("Cache-Control", "")
