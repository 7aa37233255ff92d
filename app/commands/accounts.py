"""``rebound users`` and ``rebound tokens``: accounts, reset links and API tokens."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from app.accounts.identity import (
    AccountError,
    create_api_token,
    create_user,
    find_user,
    reset_token,
)
from app.commands.database import prepare_database
from app.extensions import begin_write
from app.feedback.invitations import claim_email_invitations


@click.group("users")
def users_group() -> None:
    """Accounts: create users, print password-reset links."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_group.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["candidate", "recruiter", "admin"]),
    default="candidate",
    show_default=True,
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--name", default="", help="Display name.")
@with_appcontext
def users_create(email: str, role: str, password_stdin: bool, name: str) -> None:
    """Create an account (the password is asked at a prompt)."""
    prepare_database(current_app._get_current_object())
    try:
        # An admin made it: the address counts as proven, as if its owner had confirmed it.
        user = create_user(email, _read_password(password_stdin), role, name, verified=True)
    except AccountError as err:
        raise click.ClickException(str(err)) from err
    # Shares sent to this address before it had an account: read, then linked, with the
    # lock taken first (the server's worker may commit meanwhile; web requests do the same).
    begin_write()
    claim_email_invitations(user)
    click.echo(f"created {user.role} {user.email}")


@users_group.command("reset-link")
@click.argument("email")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@with_appcontext
def users_reset_link(email: str, base_url: str) -> None:
    """Print a one-time, one-hour password reset link for a user."""
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    click.echo(f"{base_url.rstrip('/')}/password/reset/{reset_token(user)}")


@click.group("tokens")
def tokens_group() -> None:
    """Personal API tokens."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default="created from the command line")
@with_appcontext
def tokens_create(email: str, name: str) -> None:
    """Create an API token for a user; the token alone is printed on the last line."""
    prepare_database(current_app._get_current_object())
    begin_write()  # the user is read, then the token written: no other writer in between
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {email}: create it with `rebound users create`")
    token = create_api_token(user, name)
    click.echo(f"API token for {user.email} (shown once, store it now):")
    click.echo(token)
