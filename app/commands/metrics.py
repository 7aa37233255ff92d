"""``rebound metrics refresh``: measure again the answers whose stored metrics are stale."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.commands.database import prepare_database
from app.reports.stored import refresh_metrics, stale_attempt_ids


@click.group("metrics")
def metrics_group() -> None:
    """The speech metrics stored with each answer."""


@metrics_group.command("refresh")
@click.option("--check", is_flag=True, help="Only count the stale answers; change nothing.")
@with_appcontext
def metrics_refresh(check: bool) -> None:
    """Measure again every answer whose stored metrics are missing or stale (the rules or
    its question changed); the worker does the same when it starts and every hour."""
    prepare_database(current_app._get_current_object())
    if check:
        click.echo(f"{len(stale_attempt_ids())} answer(s) with stale or missing metrics")
        return
    stored, _left = refresh_metrics()
    click.echo(f"stored the metrics of {stored} answer(s)")
