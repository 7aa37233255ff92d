"""Settings: calm mode (hide every number)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for

from .extensions import db
from .views import render

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("", methods=["GET", "POST"])
def edit():
    """Show and change the user's settings."""
    if request.method == "POST":
        g.user.calm_mode = request.form.get("calm_mode") == "on"
        db.session.commit()
        flash("Calm mode is on: numbers are hidden." if g.user.calm_mode else "Calm mode is off.")
        return redirect(url_for("settings.edit"))
    return render("settings/edit.html")
