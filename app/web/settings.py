"""Settings: calm mode (hide every number), the interviewer's voice, personal API tokens,
password."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_login import logout_user

from app.accounts.identity import authenticate, create_api_token
from app.extensions import db, limiter
from app.interviewer.voice import voice_missing
from app.models import ApiToken, utcnow
from app.privacy.deletion import delete_account
from app.web.auth import PASSWORD_CHECKS_HELD, PASSWORD_CHECKS_PER_USER, password_check_key
from app.web.params import int_arg
from app.web.rendering import render

bp = Blueprint("settings", __name__, url_prefix="/settings")
EXTRA_TIME_CHOICES = (0, 25, 50, 100)
RETENTION_CHOICES = (7, 30, 90, 365)


def _tokens() -> list[ApiToken]:
    return list(db.session.execute(
        db.select(ApiToken).where(ApiToken.user_id == g.user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    ).scalars())  # fmt: skip


@bp.route("", methods=["GET", "POST"])
def edit():
    """Show and change the user's settings."""
    if request.method == "POST":
        form = request.form
        g.user.calm_mode = form.get("calm_mode") == "on"
        g.user.interviewer_voice = form.get("interviewer_voice") == "on"
        extra = int_arg(form.get("extra_time_percent"), 0)
        g.user.extra_time_percent = extra if extra in EXTRA_TIME_CHOICES else 0
        days = int_arg(form.get("retention_days"))
        g.user.retention_days = days if days in RETENTION_CHOICES else None
        g.user.retention_drops_transcripts = form.get("retention_drops_transcripts") == "on"
        db.session.commit()
        flash(
            "Settings saved."
            + (" Calm mode is on: numbers are hidden." if g.user.calm_mode else "")
        )
        return redirect(url_for("settings.edit"))
    return _page()


def _page(new_token: str | None = None):
    """The settings page (with a just-created token shown once)."""
    return render(
        "settings/edit.html",
        tokens=_tokens(),
        new_token=new_token,
        extra_choices=EXTRA_TIME_CHOICES,
        retention_choices=RETENTION_CHOICES,
        voice_missing=voice_missing(),
    )


@bp.post("/delete")
@limiter.limit(PASSWORD_CHECKS_PER_USER, key_func=password_check_key,
               error_message=PASSWORD_CHECKS_HELD)  # fmt: skip
def delete_account_view():
    """Delete the account and every recording, after the password is confirmed."""

    if authenticate(g.user.email, request.form.get("password", "")) is None:
        flash("Your password was not right: nothing was deleted.")
        return redirect(url_for("settings.edit"))
    user = g.user
    logout_user()
    delete_account(user)
    flash("Your account, recordings and everything attached to them are deleted.")
    return redirect(url_for("auth.signup"))


@bp.post("/tokens")
def create_token():
    """Create a personal API token and show it, once."""
    return _page(new_token=create_api_token(g.user, request.form.get("name", "")))


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke one of the user's API tokens."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != g.user.id or row.revoked_at is not None:
        abort(404)
    row.revoked_at = utcnow()
    db.session.commit()
    flash(f"The token {row.prefix}… was revoked.")
    return redirect(url_for("settings.edit"))
