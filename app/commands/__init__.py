"""The ``rebound`` commands (also ``flask --app app ...``): serve, worker, transcribe, banks,
users, tokens, metrics, init-db. ``app.cli`` is the entry point that runs them."""

from __future__ import annotations

from flask import Flask

from app.commands.accounts import tokens_group, users_group
from app.commands.banks import banks_group
from app.commands.database import init_db_command
from app.commands.metrics import metrics_group
from app.commands.serve import serve_command
from app.commands.transcribe import transcribe_command
from app.commands.worker import worker_command

APP_COMMANDS = (
    serve_command,
    worker_command,
    banks_group,
    users_group,
    tokens_group,
    metrics_group,
    init_db_command,
)


def init_app(app: Flask) -> None:
    """Add the commands to ``flask --app app``."""
    for command in (*APP_COMMANDS, transcribe_command):
        app.cli.add_command(command)
