"""Migrations: they match the models, and upgrade a database that already holds data."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.extensions import db


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
