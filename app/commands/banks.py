"""``rebound banks``: check question-bank files, and import them as a user's own questions."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.accounts.identity import find_user
from app.commands.database import prepare_database
from app.extensions import db
from app.models import User
from app.questions.banks import BankError, bank_files, load_bank_file, store_questions, user_scope


@click.group("banks")
def banks_group() -> None:
    """Question banks: check and import YAML or CSV files."""


@banks_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--user",
    "email",
    default=None,
    help="Whose questions these become (email); optional when there is one account.",
)
@with_appcontext
def banks_import(path: str, email: str | None) -> None:
    """Import a bank file as a user's own questions (running it twice adds nothing twice)."""
    prepare_database(current_app._get_current_object())
    if email:
        user = find_user(email)
        if user is None:
            raise click.ClickException(
                f"no account for {email}: create it with `rebound users create`"
            )
    else:
        users = db.session.execute(db.select(User).limit(2)).scalars().all()
        if len(users) != 1:
            raise click.ClickException("say whose questions these are: --user EMAIL")
        user = users[0]
    try:
        specs = load_bank_file(Path(path))
    except BankError as err:
        raise click.ClickException(str(err)) from err
    result = store_questions(
        specs, user_scope(user.id), user.id, f"imported from {Path(path).name}"
    )
    click.echo(
        f"{Path(path).name}: {result.added} added, {result.updated} updated, "
        f"{len(specs) - result.added - result.updated} unchanged"
    )


@banks_group.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def banks_check(paths: tuple[str, ...]) -> None:
    """Validate bank files (or folders of them) without touching the database."""
    failed = False
    for name in paths:
        path = Path(name)
        for file in bank_files(path) if path.is_dir() else [path]:
            try:
                click.echo(f"{file.name}: {len(load_bank_file(file))} questions")
            except BankError as err:
                click.echo(f"error: {err}", err=True)
                failed = True
    if failed:
        sys.exit(1)
