"""The ``rebound`` command: runs the commands of ``app.commands`` against ``create_app()``."""

from __future__ import annotations

from flask.cli import FlaskGroup

from app import create_app
from app.commands.transcribe import transcribe_command


class ReboundGroup(FlaskGroup):
    """``transcribe`` must work without loading the app (no database, no folders)."""

    def get_command(self, ctx, name):
        if name == "transcribe":
            return transcribe_command
        return super().get_command(ctx, name)


main = ReboundGroup(
    create_app=create_app,
    add_version_option=False,
    help="Rebound: practise difficult interview questions aloud.",
)
