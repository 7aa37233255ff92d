"""Proving an email address with a mailed link, through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.accounts import verification
from app.extensions import db
from app.models import Share
from tests.conftest import login, make_user
from tests.reports.test_feedback import STORY, make_attempt

COACH = "coach@example.org"
COACH_PASSWORD = "the coach's own passphrase"


@pytest.fixture
def candidate(mail_app):
    """Candidate A, logged in, with one answer (and its audio) shared with COACH."""
    make_user(mail_app, "a@example.com")
    client = mail_app.test_client()
    login(client, mail_app, "a@example.com")
    attempt_id = make_attempt(mail_app, STORY)
    (Path(mail_app.config["AUDIO_DIR"]) / "ab").mkdir(parents=True, exist_ok=True)
    (Path(mail_app.config["AUDIO_DIR"]) / "ab" / "x.webm").write_bytes(b"audio")
    assert client.post("/shares", data={"email": COACH, "what": "everything"}).status_code == 302
    return client, attempt_id


@pytest.mark.asvs("4.1.2", "4.2.1", "2.7.3")
def test_a_share_reaches_a_new_coach_only_once_they_prove_the_address(mail_app, mailbox, candidate):
    owner, attempt_id = candidate
    coach = mail_app.test_client()
    signup = coach.post(
        "/signup", data={"email": COACH, "password": COACH_PASSWORD, "role": "recruiter"}
    )
    assert signup.status_code == 200 and "Check your email" in signup.get_data(as_text=True)
    assert "confirm their email address" in owner.get("/shares").get_data(as_text=True)
    # Knowing the password is not enough: login waits for the address and mails a new link.
    refused = coach.post("/login", data={"email": COACH, "password": COACH_PASSWORD})
    assert refused.status_code == 401 and "Confirm your email address first" in refused.get_data(
        as_text=True
    )
    assert len(mailbox.to(COACH)) == 2
    assert coach.get(f"/attempts/{attempt_id}").status_code == 302  # not logged in
    with mail_app.app_context():
        assert db.session.execute(db.select(Share.recruiter_id)).scalar_one() is None

    link = mailbox.link(COACH, "/email/confirm/")
    assert coach.get(link).status_code == 200  # opening it (a mail scanner) changes nothing
    wrong = coach.post(link, data={"password": "not the coach's password"})
    assert wrong.status_code == 422 and "not the password of this account" in wrong.get_data(
        as_text=True
    )
    assert coach.post(link, data={"password": COACH_PASSWORD}).status_code == 302

    assert coach.get(f"/attempts/{attempt_id}").status_code == 200
    with coach.get(f"/attempts/{attempt_id}/audio") as audio:
        assert audio.status_code == 200 and audio.data == b"audio"
    shares_page = owner.get("/shares").get_data(as_text=True)
    assert "· accepted" in shares_page and "waiting for" not in shares_page
    used = coach.get(link)
    assert used.status_code == 400 and "already used" in used.get_data(as_text=True)
    assert coach.get("/email/confirm/made-up").status_code == 400


def test_a_confirmation_link_expires(mail_app, mailbox, monkeypatch):
    mail_app.test_client().post("/signup", data={"email": COACH, "password": COACH_PASSWORD})
    link = mailbox.link(COACH, "/email/confirm/")
    monkeypatch.setattr(verification, "VERIFY_MAX_AGE_S", -1)
    expired = mail_app.test_client().post(link, data={"password": COACH_PASSWORD})
    assert expired.status_code == 400 and "has expired" in expired.get_data(as_text=True)


def test_a_mailed_reset_link_proves_the_address(mail_app, mailbox, candidate):
    """Someone registered the coach's address first; the coach takes it over by a reset."""
    owner, attempt_id = candidate
    mail_app.test_client().post(
        "/signup", data={"email": COACH, "password": "a squatter's passphrase", "role": "recruiter"}
    )
    coach = mail_app.test_client()
    coach.post("/password/forgot", data={"email": COACH})
    reset = mailbox.link(COACH, "/password/reset/")
    assert coach.post(reset, data={"password": COACH_PASSWORD}).status_code == 302
    assert (
        coach.post("/login", data={"email": COACH, "password": COACH_PASSWORD}).status_code == 302
    )
    assert coach.get(f"/attempts/{attempt_id}").status_code == 200
