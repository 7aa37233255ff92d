"""Accounts: sign up, log in and out, passwords, reset links, API tokens, the CLI."""

from __future__ import annotations

import re

import pytest

from app import create_app
from app.accounts.identity import create_api_token, find_user, reset_token
from app.extensions import db
from app.models import User
from tests.conftest import JSON, PASSWORD, make_user
from tests.databases import a_worker_commits


def test_anonymous_visitors_are_sent_to_log_in(anon):
    response = anon.get("/history")
    assert response.status_code == 302 and response.location.startswith("/login?next=/history")
    api = anon.get("/api/v1/attempts")
    assert api.status_code == 401 and "Bearer" in api.json["error"]
    assert anon.get("/login").status_code == 200 and anon.get("/signup").status_code == 200


@pytest.mark.asvs("2.4.1")
def test_signup_logs_in_and_stores_a_memory_hard_hash(anon, app):
    response = anon.post(
        "/signup",
        data={
            "email": " New@Example.com ",
            "password": "three little words here",
            "role": "candidate",
        },
    )
    assert response.status_code == 302
    assert anon.get("/").status_code == 200
    with app.app_context():
        user = find_user("new@example.com")
        assert user.role == "candidate" and user.password_hash.startswith("scrypt:")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 12 characters"),
        ("password1234", "most common"),
        ("aaaaaaaaaaaaaaa", "most common"),
        ("new@example.com", "email address"),
    ],
)
@pytest.mark.asvs("2.1.1", "2.1.7", "2.1.9")
def test_weak_passwords_are_refused(anon, password, message):
    response = anon.post("/signup", data={"email": "new@example.com", "password": password})
    assert response.status_code == 422 and message in response.get_data(as_text=True)


@pytest.mark.asvs("2.2.1", "11.1.4")
def test_signup_is_throttled_per_client_address_and_per_email(app):
    """Each sign-up costs a memory-hard hash (and may send a mail): 20 a minute from one
    address, 5 an hour for one email address from anywhere."""

    def sign_up(email: str, address: str) -> int:
        client = app.test_client()
        data = {"email": email, "password": "too short"}
        return client.post("/signup", data=data, environ_base={"REMOTE_ADDR": address}).status_code

    codes = [sign_up(f"n{i}@example.com", "198.51.100.7") for i in range(21)]
    assert codes[:20] == [422] * 20 and codes[20] == 429
    assert sign_up("n0@example.com", "198.51.100.8") == 422  # another client is not held back
    codes = [sign_up("b@example.com", f"203.0.113.{i}") for i in range(6)]
    assert codes[:5] == [422] * 5 and codes[5] == 429
    held = app.test_client().post("/signup", data={"email": "B@example.com", "password": "x"})
    assert held.status_code == 429 and "this email address" in held.get_data(as_text=True)


@pytest.mark.asvs("2.2.1")
def test_login_failure_is_generic(anon, app):
    make_user(app, "b@example.com")
    wrong = anon.post("/login", data={"email": "b@example.com", "password": "not the password!"})
    unknown = anon.post(
        "/login", data={"email": "nobody@example.com", "password": "whatever it is"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match an account" in wrong.get_data(as_text=True)

    # The pages differ only in the email typed and the CSRF token, which carries the time.
    def page(response):
        return re.sub(r"I[A-Za-z0-9._-]{40,}", "TOKEN", response.get_data(as_text=True))

    assert page(wrong) == page(unknown).replace("nobody@example.com", "b@example.com")


@pytest.mark.asvs("3.3.1")
def test_logout_really_ends_the_session(anon, app):
    make_user(app, "b@example.com")
    anon.post("/login", data={"email": "b@example.com", "password": PASSWORD})
    cookie = anon.get_cookie("session").value
    assert anon.get("/history").status_code == 200
    anon.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/history").status_code == 302  # the old cookie no longer works


@pytest.mark.asvs("3.3.3")
def test_password_change_logs_out_other_sessions(app):
    make_user(app, "b@example.com")
    laptop, phone = app.test_client(), app.test_client()
    for client in (laptop, phone):
        client.post("/login", data={"email": "b@example.com", "password": PASSWORD})
    response = laptop.post(
        "/password", data={"current": PASSWORD, "password": "a brand new passphrase"}
    )
    assert response.status_code == 302
    assert laptop.get("/history").status_code == 200
    assert phone.get("/history").status_code == 302


@pytest.mark.asvs("2.5.1")
def test_reset_link_works_once(anon, app):
    make_user(app, "b@example.com")
    with app.app_context():
        token = reset_token(find_user("b@example.com"))
    assert (
        anon.post(f"/password/reset/{token}", data={"password": "my reset passphrase"}).status_code
        == 302
    )
    again = anon.post(f"/password/reset/{token}", data={"password": "another passphrase!"})
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    assert (
        anon.post(
            "/login", data={"email": "b@example.com", "password": "my reset passphrase"}
        ).status_code
        == 302
    )
    assert anon.get("/password/reset/forged-token").status_code == 400


def test_forgot_password_does_not_reveal_accounts(anon, app, caplog):
    make_user(app, "b@example.com")
    known = anon.post("/password/forgot", data={"email": "b@example.com"}, follow_redirects=True)
    unknown = anon.post("/password/forgot", data={"email": "x@example.com"}, follow_redirects=True)
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert "/password/reset/" in caplog.text


@pytest.mark.asvs("2.2.1")
def test_login_is_throttled_per_account(anon, app):
    make_user(app, "b@example.com")
    codes = [
        anon.post(
            "/login", data={"email": "b@example.com", "password": "wrong wrong wrong"}
        ).status_code
        for _ in range(10)
    ]
    assert codes[:8] == [401] * 8 and codes[-1] == 429


@pytest.mark.asvs("5.1.5")
def test_next_parameter_cannot_leave_the_site(anon, app):
    make_user(app, "b@example.com")
    response = anon.post(
        "/login?next=//evil.example/x", data={"email": "b@example.com", "password": PASSWORD}
    )
    assert response.location == "/"


@pytest.mark.asvs("3.5.2")
def test_api_token_from_settings_works_until_revoked(client, app, anon):
    page = client.post("/settings/tokens", data={"name": "script"}).get_data(as_text=True)
    token = re.search(r'<pre class="token">(rbd_[^<]+)</pre>', page).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/v1/attempts", headers=headers).status_code == 200
    token_id = re.search(r"/settings/tokens/(\d+)/revoke", page).group(1)
    client.post(f"/settings/tokens/{token_id}/revoke")
    assert anon.get("/api/v1/attempts", headers=headers).status_code == 401
    assert (
        anon.get("/api/v1/attempts", headers={"Authorization": "Bearer rbd_made_up"}).status_code
        == 401
    )


def test_cli_creates_users_and_tokens(runner, app, anon):
    created = runner.invoke(
        args=["users", "create", "coach@example.com", "--role", "recruiter", "--password-stdin"],
        input="coaching passphrase\n",
    )
    assert created.exit_code == 0, created.output
    with app.app_context():
        assert find_user("coach@example.com").role == "recruiter"
    weak = runner.invoke(
        args=["users", "create", "x@example.com", "--password-stdin"], input="short\n"
    )
    assert (
        weak.exit_code != 0
        and "at least 12 characters" in weak.output
        and "Traceback" not in weak.output
    )
    tokens = runner.invoke(args=["tokens", "create", "coach@example.com"])
    token = tokens.output.strip().splitlines()[-1]
    assert token.startswith("rbd_")
    assert (
        anon.get("/api/v1/questions", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    link = runner.invoke(args=["users", "reset-link", "coach@example.com"]).output.strip()
    assert "/password/reset/" in link


@pytest.mark.asvs("3.4.1", "3.4.2", "3.4.3")
def test_cookies_are_secure_behind_https(monkeypatch, tmp_path):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "AUDIO_DIR": str(tmp_path / "a")}
    )
    assert (
        app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
    )
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_user_ids_are_not_session_ids(app):
    make_user(app, "b@example.com")
    with app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        assert user.get_id() != str(user.id) and len(user.get_id()) == 32


def test_an_api_call_that_writes_keeps_the_write_lock_after_noting_the_token(app, anon):
    # Noting the token's use commits halfway through the request; a worker that committed
    # right then left the rest of the request reading a stale snapshot, and its write got
    # "database is locked" at once (a 500 for an API client starting an interview).
    make_user(app, "script@example.com")
    with app.app_context():
        token = create_api_token(find_user("script@example.com"), "script")
    with a_worker_commits(
        app, after="UPDATE api_tokens", sql="UPDATE questions SET answer_seconds = 41"
    ) as worker:
        response = anon.post(
            "/api/v1/mock-interviews",
            json={"category": "Conflict", "count": 3},
            headers={"Authorization": f"Bearer {token}", **JSON},
        )
    assert response.status_code == 201, response.get_json()
    assert worker == ["waited"]


def test_cli_tokens_are_made_after_a_worker_commits_during_the_command(runner, app):
    # `rebound tokens create` read the user, then wrote the token: a server's worker that
    # committed in between made the command fail with "database is locked".
    make_user(app, "script@example.com")
    with a_worker_commits(
        app, after="BEGIN", at=r"SELECT users\.", sql="UPDATE questions SET answer_seconds = 41"
    ) as worker:
        made = runner.invoke(args=["tokens", "create", "script@example.com"])
    assert made.exit_code == 0, made.output
    assert made.output.strip().splitlines()[-1].startswith("rbd_")
    assert worker == ["waited"]


@pytest.mark.asvs("3.5.2", "2.2.1")
def test_an_api_token_opens_the_api_only(client, app, anon):
    """A leaked token must not reach the pages where a password is checked and changed or
    tokens are made: those need the account's own login (and its CSRF token)."""
    page = client.post("/settings/tokens", data={"name": "script"}).get_data(as_text=True)
    token = re.search(r'<pre class="token">(rbd_[^<]+)</pre>', page).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/v1/attempts", headers=headers).status_code == 200
    for method, path in [("get", "/settings"), ("get", "/history"), ("post", "/password"),
                         ("post", "/settings/tokens"), ("post", "/settings/delete")]:  # fmt: skip
        response = getattr(anon, method)(path, headers=headers, data={"name": "more"})
        assert response.status_code in (302, 400, 401), (path, response.status_code)
        assert response.status_code != 302 or response.location.startswith("/login")
    with app.app_context():
        from app.models import ApiToken

        assert db.session.execute(db.select(db.func.count(ApiToken.id))).scalar_one() == 1


@pytest.mark.asvs("2.2.1")
@pytest.mark.parametrize("path", ["/password", "/settings/delete"])
def test_password_guesses_on_a_logged_in_account_are_limited(client, app, path):
    """A session left open (or stolen) must not become a way to guess the password."""
    data = {"current": "not the password", "password": "a new long password 123"}
    if path == "/settings/delete":
        data = {"password": "not the password"}
    codes = [client.post(path, data=data).status_code for _ in range(10)]
    assert 429 not in codes[:8] and codes[-1] == 429
    held = client.post(path, data=data)
    assert held.status_code == 429 and "Too many password attempts" in held.get_data(as_text=True)
    assert client.get("/history").status_code == 200  # the account and its session stand


@pytest.mark.asvs("7.1.1")
def test_the_request_log_never_keeps_a_links_secret(anon, app, caplog):
    """Whoever reads the server's request log must not be able to use a reset, confirmation
    or invitation link before its owner does."""
    make_user(app, "b@example.com")
    with app.app_context():
        token = reset_token(find_user("b@example.com"))
    caplog.set_level("INFO", logger="rebound.requests")
    for path in (f"/password/reset/{token}", f"/email/confirm/{token}", f"/shares/accept/{token}"):
        anon.get(path)
        assert path.replace(token, "[secret]") in caplog.text, path
    assert token not in caplog.text
