"""Migrations: they match the models, and upgrade a database that already holds data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.extensions import db
from app.feedback.access import shares_with
from app.models import Share, User, utcnow


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_upgrade_keeps_existing_rows(app, tmp_path):
    directory = app.extensions["migrate"].directory
    with app.app_context():
        downgrade(directory=directory, revision="base")
        upgrade(directory=directory, revision="cb7a0d0b7890")  # the first schema
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, display_name, created_at) "
                    "VALUES (1, 'a@b.c', '', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO questions (id, scope, key, text, category, difficulty, testing, tips, "
                    "answer_seconds, tags, talking_points, source, created_at) VALUES "
                    "(1, 'bank', 'k', 'Q?', 'C', 1, 't', '[]', 60, '[]', '[]', 's', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO attempts (owner_id, question_id, status, error, audio_key, audio_format, "
                    "audio_mime, size_bytes, duration_s, transcript_text, words, engine, model, tries, "
                    "created_at) VALUES (1, 1, 'done', '', 'ab/x.webm', '', '', 0, 1.0, 'hi', '[]', '', "
                    "'', 0, '2026-01-01')"
                )
            )
        upgrade(directory=directory)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT calm_mode FROM users")).scalar() in (0, False)
            assert conn.execute(text("SELECT count(*) FROM attempts")).scalar() == 1
            if conn.dialect.name == "sqlite":
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []


@pytest.mark.asvs("4.1.2", "4.2.1")
def test_upgrade_unlinks_shares_an_unproven_address_claimed(app):
    """Before 3c51e0b7a2d4 whoever registered an invited address got the share: the upgrade
    takes those back (their links work again, for two weeks) and keeps links accepted through
    an invitation link and an admin's."""
    directory = app.extensions["migrate"].directory
    with app.app_context():
        downgrade(directory=directory, revision="1a8552164434")
        with db.engine.begin() as conn:
            for uid, email, role in ((91, "cand@x.org", "candidate"), (92, "coach@x.org", "recruiter"),
                                     (93, "other@x.org", "recruiter"), (94, "boss@x.org", "admin")):  # fmt: skip
                conn.execute(
                    text(
                        "INSERT INTO users (id, email, display_name, role, created_at) "
                        "VALUES (:id, :email, '', :role, '2026-01-01')"
                    ),
                    {"id": uid, "email": email, "role": role},
                )
            # (id, invited address, linked account): by email, by its link, an admin's, pending.
            for sid, email, linked in ((1, "coach@x.org", 92), (2, "invited@x.org", 93),
                                       (3, "boss@x.org", 94), (4, "later@x.org", None)):  # fmt: skip
                conn.execute(
                    text(
                        "INSERT INTO shares (id, candidate_id, recruiter_email, recruiter_id, "
                        "invite_token, everything, attempt_ids, question_ids, interview_ids, "
                        "created_at) VALUES (:id, 91, :email, :linked, :token, TRUE, '[]', '[]', "
                        "'[]', '2026-01-02')"
                    ),
                    {"id": sid, "email": email, "linked": linked, "token": f"token-{sid}"},
                )
        upgrade(directory=directory)
        shares = {s.id: s for s in db.session.execute(db.select(Share)).unique().scalars()}
        assert shares[1].recruiter_id is None and shares[1].accepted_at is None
        assert shares[2].recruiter_id == 93 and shares[2].accepted_at is not None
        assert shares[3].recruiter_id == 94 and shares[3].accepted_at is not None
        assert shares[4].recruiter_id is None
        for share in shares.values():
            assert share.invite_expires_at > utcnow() + timedelta(days=13)
        assert shares_with(db.session.get(User, 92)) == []
        assert db.session.get(User, 92).email_verified_at is None
        assert db.session.get(User, 94).email_verified_at is not None
