"""Sharing: a candidate invites a recruiter or coach, chooses what to share, revokes it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from app.accounts.identity import AccountError
from app.extensions import db
from app.feedback.invitations import (
    InvitationRefused,
    accept,
    find_invitation,
    invite,
    refusal,
    revoke,
    share_state,
)  # fmt: skip
from app.models import Attempt, Share
from app.web.params import form_ids
from app.web.rendering import render

bp = Blueprint("shares", __name__, url_prefix="/shares")


def _own_shares() -> list[Share]:
    return list(db.session.execute(
        db.select(Share).where(Share.candidate_id == g.user.id).order_by(Share.created_at.desc())
    ).unique().scalars())  # fmt: skip


@bp.route("", methods=["GET", "POST"])
def index():
    """The candidate's shares, and a form to share with someone new."""
    error = None
    if request.method == "POST":
        chosen = form_ids(request.form.getlist("attempt"))
        questions = form_ids(request.form.getlist("question"))
        what = request.form.get("what")
        picking = what == "chosen"
        if what not in ("chosen", "everything"):
            error = "Choose what to share: everything, or only the answers you tick."
        elif picking and not chosen and not questions:
            error = "Tick the answers or questions to share, or choose “everything”."
        else:
            try:
                share = invite(
                    g.user,
                    request.form.get("email", ""),
                    attempt_ids=chosen if picking else [],
                    question_ids=questions if picking else [],
                    later=picking and request.form.get("later") == "1",
                    everything=not picking,
                )
            except AccountError as err:
                error = str(err)
            else:
                flash(f"Shared with {share.recruiter_email}. Send them the invitation link below.")
                return redirect(url_for("shares.index"))
    attempts = db.session.execute(
        db.select(Attempt).where(Attempt.owner_id == g.user.id).order_by(Attempt.created_at.desc())
    ).scalars().all()  # fmt: skip
    answered = {a.question_id: a.question for a in attempts}
    shares = _own_shares()
    context = {"shares": shares, "states": {s.id: share_state(s) for s in shares},
               "attempts": attempts, "questions": list(answered.values())}  # fmt: skip
    return render("shares/index.html", error=error, **context), 422 if error else 200


@bp.post("/<int:share_id>/revoke")
def revoke_share(share_id: int):
    """Stop sharing now."""
    share = db.session.get(Share, share_id)
    if share is None or share.candidate_id != g.user.id:
        abort(404)
    revoke(share)
    flash(f"{share.recruiter_email} can no longer see your answers.")
    return redirect(url_for("shares.index"))


@bp.route("/accept/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """A recruiter opens an invitation link and accepts it, or reads why they cannot."""
    share = find_invitation(token)
    if share is None:
        error = ("This invitation link is not valid. Check that you opened the whole link, "
                 "or ask the candidate to send it again.")  # fmt: skip
        return render("shares/accept.html", share=None, error=error), 404
    if request.method == "POST":
        try:
            accept(share, g.user)
        except InvitationRefused as err:
            return render("shares/accept.html", share=share, error=str(err)), err.status
        flash(f"You can now see what {share.candidate.name} shared with you.")
        return redirect(url_for("review.index"))
    if share.candidate_id == g.user.id:
        return render("shares/accept.html", share=share, error=None)  # their own link, to check
    refused = refusal(share, g.user)
    if refused is not None:
        return render("shares/accept.html", share=share, error=str(refused)), refused.status
    return render("shares/accept.html", share=share, error=None)
