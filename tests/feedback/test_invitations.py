"""Invitations: a share reaches the invited recruiter only, never whoever registers the address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Share, utcnow
from tests.conftest import PASSWORD, login, make_user
from tests.reports.test_feedback import STORY, make_attempt

COACH = "coach@example.org"


def share_with(client, email: str) -> str:
    """Share everything with ``email``; the path of its invitation link."""
    assert client.post("/shares", data={"email": email, "what": "everything"}).status_code == 302
    page = client.get("/shares").get_data(as_text=True)
    return re.findall(r"http://localhost(/shares/accept/[\w-]+)", page)[0]


def recruiter(app, email: str, verified: bool = False):
    """A client logged in as a recruiter; by default made as sign-up makes one (unproven)."""
    make_user(app, email, "recruiter", verified=verified)
    client = app.test_client()
    login(client, app, email)
    return client


@pytest.mark.asvs("4.1.2", "4.2.1")
def test_registering_an_invited_address_gives_nothing_without_the_link(client, app, runner):
    attempt_id = make_attempt(app, STORY)
    # An account with the address made before the share is not linked by it either.
    early = recruiter(app, "early@example.org")
    share_with(client, "early@example.org")
    assert early.get(f"/attempts/{attempt_id}").status_code == 404

    link = share_with(client, COACH)
    registrant = app.test_client()
    signup = {"email": COACH, "password": "a registrant's passphrase", "role": "recruiter"}
    assert registrant.post("/signup", data=signup).status_code == 302
    assert registrant.get(f"/attempts/{attempt_id}").status_code == 404
    assert registrant.get(f"/attempts/{attempt_id}/audio").status_code == 404
    registrant.post("/logout")
    login_again = {"email": COACH, "password": "a registrant's passphrase"}
    assert registrant.post("/login", data=login_again).status_code == 302
    assert registrant.get(f"/attempts/{attempt_id}").status_code == 404
    assert "waiting for them to open the invitation link" in client.get("/shares").get_data(
        as_text=True
    )
    # The invitation link is what the candidate sent to the coach.
    assert registrant.post(link).status_code == 302
    assert registrant.get(f"/attempts/{attempt_id}").status_code == 200

    # An account an admin creates counts as proven: it has the share at once.
    share_with(client, "made@example.org")
    made = runner.invoke(
        args=["users", "create", "made@example.org", "--role", "recruiter", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert made.exit_code == 0, made.output
    admin_made = app.test_client()
    login(admin_made, app, "made@example.org")
    assert admin_made.get(f"/attempts/{attempt_id}").status_code == 200


@pytest.mark.asvs("4.1.2", "4.2.1")
def test_an_invitation_link_works_once_for_its_address_until_it_expires(client, app):
    attempt_id = make_attempt(app, STORY)
    link = share_with(client, COACH)
    stranger = recruiter(app, "stranger@example.org", verified=True)
    for method in ("GET", "POST"):
        wrong = stranger.open(link, method=method)
        text = wrong.get_data(as_text=True)
        assert wrong.status_code == 403 and f"This invitation is for {COACH}" in text, text
    assert stranger.get(f"/attempts/{attempt_id}").status_code == 404

    coach = recruiter(app, COACH)
    assert coach.get(link).status_code == 200
    assert coach.post(link).status_code == 302
    assert coach.get(f"/attempts/{attempt_id}").status_code == 200
    assert "You accepted this invitation already" in coach.get(link).get_data(as_text=True)
    used = stranger.get(link)
    assert used.status_code == 410 and "already used" in used.get_data(as_text=True)

    late = share_with(client, "late@example.org")
    with app.app_context():
        share = db.session.execute(db.select(Share).filter_by(recruiter_email="late@example.org"))
        share.unique().scalar_one().invite_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    late_coach = recruiter(app, "late@example.org")
    expired = late_coach.post(late)
    assert expired.status_code == 410 and "This invitation expired on" in expired.get_data(
        as_text=True
    )
    assert late_coach.get(f"/attempts/{attempt_id}").status_code == 404
    assert "the invitation expired" in client.get("/shares").get_data(as_text=True)

    withdrawn = share_with(client, "gone@example.org")
    with app.app_context():
        share_id = db.session.execute(
            db.select(Share.id).filter_by(recruiter_email="gone@example.org")
        ).scalar_one()
    client.post(f"/shares/{share_id}/revoke")
    gone = recruiter(app, "gone@example.org").get(withdrawn)
    assert gone.status_code == 410 and "withdrew this invitation" in gone.get_data(as_text=True)

    unknown = coach.get("/shares/accept/not-a-real-token")
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)


def test_the_candidate_sees_what_each_share_waits_for(mail_app):
    make_user(mail_app, "a@example.com")
    candidate = mail_app.test_client()
    login(candidate, mail_app, "a@example.com")
    make_attempt(mail_app, STORY)
    make_user(mail_app, "unproven@example.org", "recruiter", verified=False)
    make_user(mail_app, "proven@example.org", "recruiter")
    for email in ("nobody@example.org", "unproven@example.org", "proven@example.org"):
        share_with(candidate, email)
    page = candidate.get("/shares").get_data(as_text=True)
    rows = {
        email: row for email, row in re.findall(r"<strong>([^<]+)</strong>(.*?)</p>", page, re.S)
    }
    assert "waiting for them to open the invitation link" in rows["nobody@example.org"]
    assert "waiting for them to confirm their email address" in rows["unproven@example.org"]
    assert "· accepted" in rows["proven@example.org"]
    # Links are shown only for invitations that can still be accepted.
    assert page.count("/shares/accept/") == 2
