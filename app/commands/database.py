"""``rebound init-db``, and the schema and shipped banks every command that needs a database
brings up to date first."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from app.questions.banks import sync_banks


def prepare_database(app: Flask) -> None:
    """Bring the schema up to date and load the shipped question banks."""
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        sync_banks(Path(app.config["QUESTION_BANKS_DIR"]))


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database and load the shipped question banks."""
    prepare_database(current_app._get_current_object())
    click.echo("database ready")
