"""Signing up and asking for a reset link: one answer whether or not the address has an account."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, make_user


def page(response) -> str:
    """The page without its CSRF tokens, which carry the time."""
    return re.sub(r"I[A-Za-z0-9._-]{40,}", "TOKEN", response.get_data(as_text=True))


@pytest.mark.asvs("2.2.1")
def test_signup_for_a_taken_address_answers_like_a_failed_login(app):
    make_user(app, "b@example.com")
    taken = app.test_client().post(
        "/signup", data={"email": "b@example.com", "password": "somebody else's guess"}
    )
    failed_login = app.test_client().post(
        "/login", data={"email": "b@example.com", "password": "somebody else's guess"}
    )
    assert taken.status_code == failed_login.status_code == 401
    assert "already exists" not in taken.get_data(as_text=True)
    assert page(taken) == page(failed_login)
    # The owner's own password is a login, as it would be on the login form.
    owner = app.test_client()
    assert (
        owner.post("/signup", data={"email": "b@example.com", "password": PASSWORD}).status_code
        == 302
    )
    assert owner.get("/history").status_code == 200


@pytest.mark.asvs("2.2.1", "2.2.3")
def test_with_mail_signup_answers_the_same_and_the_owner_is_told(mail_app, mailbox):
    make_user(mail_app, "b@example.com")
    answers = {}
    for email in ("new@example.com", "b@example.com"):
        client = mail_app.test_client()
        # A forged Host must not reach the links in the mails (PUBLIC_URL builds them).
        answers[email] = client.post(
            "/signup",
            data={"email": email, "password": "an attacker's passphrase", "role": "recruiter"},
            base_url="http://evil.example",
        )
        assert answers[email].status_code == 200 and "Check your email" in page(answers[email])
        assert client.get("/history").status_code == 302  # nobody is logged in by it
    assert page(answers["new@example.com"]) == page(answers["b@example.com"])

    assert [m["Subject"] for m in mailbox.to("new@example.com")] == [
        "Confirm your email address for Rebound"
    ]
    notice = mailbox.to("b@example.com")
    assert [m["Subject"] for m in notice] == [
        "Someone tried to sign up to Rebound with your address"
    ]
    assert "Nothing was changed" in notice[0].get_content()
    assert not any("evil.example" in m.get_content() for m in mailbox.messages)
    # The owner's password still works; the reset link in the notice works once.
    owner = mail_app.test_client()
    assert (
        owner.post("/login", data={"email": "b@example.com", "password": PASSWORD}).status_code
        == 302
    )
    reset = mailbox.link("b@example.com", "/password/reset/")
    assert owner.post(reset, data={"password": "a fresh passphrase now"}).status_code == 302
    assert owner.post(reset, data={"password": "another passphrase!"}).status_code == 400


def test_forgot_password_mails_every_address_alike(mail_app, mailbox):
    make_user(mail_app, "b@example.com")
    client = mail_app.test_client()
    known = client.post("/password/forgot", data={"email": "b@example.com"}, follow_redirects=True)
    unknown = client.post(
        "/password/forgot", data={"email": "x@example.com"}, follow_redirects=True
    )
    assert page(known) == page(unknown) and "We sent a message" in page(known)
    assert mailbox.to("x@example.com")[0]["Subject"] == "Resetting a Rebound password"
    reset = mailbox.link("b@example.com", "/password/reset/")
    assert client.post(reset, data={"password": "a fresh passphrase now"}).status_code == 302
