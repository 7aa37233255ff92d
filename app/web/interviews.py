"""Mock interview pages: choose one, sit it with the interviewer, read its debrief."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from app.accounts.identity import AccountError
from app.extensions import db
from app.feedback.access import viewable_mock_interview
from app.feedback.invitations import share_mock_interview
from app.interviewer.choice import questions_for
from app.interviewer.interviews import (
    DEFAULT_QUESTIONS,
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    SILENCE_CHOICES,
    InterviewError,
    answered_turns,
    finish_interview,
    start_interview,
)
from app.interviewer.records import interview_record
from app.models import Interview, MockInterview, Share, User
from app.questions.assignments import open_assignments
from app.questions.selection import categories
from app.reports.attempts import attempt_metrics
from app.reports.takeaway import takeaway_for
from app.web.params import int_arg
from app.web.rendering import render

bp = Blueprint("interviews", __name__, url_prefix="/mock-interviews")


def _choices(**extra) -> dict:
    return {
        "categories": categories(g.user.id),
        "assignments": open_assignments(g.user),
        "debriefs": [
            i
            for i in db.session.execute(
                db.select(Interview)
                .where(Interview.owner_id == g.user.id)
                .order_by(Interview.created_at.desc())
            ).scalars()
            if i.plan_question_ids
        ],  # fmt: skip
        "counts": range(MIN_QUESTIONS, MAX_QUESTIONS + 1),
        "default_count": DEFAULT_QUESTIONS,
        "silence_choices": SILENCE_CHOICES,
        "past": list(
            db.session.execute(
                db.select(MockInterview)
                .where(MockInterview.owner_id == g.user.id)
                .order_by(MockInterview.created_at.desc(), MockInterview.id.desc())
                .limit(20)
            ).scalars()
        ),  # fmt: skip
        "error": None,
        "form": {},
        "chosen": [],
    } | extra


@bp.get("")
def index():
    """Start a mock interview, or open a past one."""
    return render("interviews/index.html", **_choices())


@bp.post("")
def create():
    """Start the interview chosen in the form and open it."""
    source = request.form.get("source", "categories")
    try:
        questions, where = questions_for(
            g.user,
            categories=request.form.getlist("category") if source == "categories" else None,
            count=int_arg(request.form.get("count"), DEFAULT_QUESTIONS),
            assignments=source == "assignments",
            debrief_id=int_arg(request.form.get("debrief_id"), 0) if source == "debrief" else None,
        )
        interview = start_interview(
            g.user,
            questions,
            mode=request.form.get("mode", "practice"),
            source=where,
            silence_seconds=int_arg(request.form.get("silence_seconds"), 5),
        )
    except InterviewError as err:
        return render(
            "interviews/index.html",
            **_choices(error=str(err), form=request.form, chosen=request.form.getlist("category")),
        ), 422
    return redirect(url_for("interviews.show", mock_interview_id=interview.id))


@bp.get("/<int:mock_interview_id>")
def show(mock_interview_id: int):
    """The interview room while it runs (its candidate only), else its debrief."""
    interview = viewable_mock_interview(g.user, mock_interview_id)
    owner = interview.owner_id == g.user.id
    if owner and interview.status != "finished":
        return render(
            "interviews/run.html", interview=interview, record=interview_record(interview, g.user)
        )
    turns = []
    for turn, attempt in answered_turns(interview):
        metrics = attempt_metrics(attempt) if attempt is not None else None
        turns.append({
            "turn": turn, "attempt": attempt, "metrics": metrics,
            "takeaway": takeaway_for(metrics, turn.question, owner_id=interview.owner_id)
            if metrics else None,
        })  # fmt: skip
    shares = (
        list(
            db.session.execute(
                db.select(Share).where(Share.candidate_id == g.user.id, Share.revoked_at.is_(None))
            )
            .unique()
            .scalars()
        )  # fmt: skip
        if owner
        else []
    )
    return render(
        "interviews/show.html",
        interview=interview,
        record=interview_record(interview, g.user),
        turns=turns,
        owner=owner,
        candidate=db.session.get(User, interview.owner_id),
        shares=shares,
    )


@bp.post("/<int:mock_interview_id>/finish")
def finish(mock_interview_id: int):
    """End the interview now and open its debrief."""
    interview = viewable_mock_interview(g.user, mock_interview_id)
    if interview.owner_id != g.user.id:
        abort(404)
    finish_interview(interview)
    return redirect(url_for("interviews.show", mock_interview_id=interview.id))


@bp.post("/<int:mock_interview_id>/share")
def share(mock_interview_id: int):
    """Share the whole interview, every answer in it, with some of your coaches."""
    interview = viewable_mock_interview(g.user, mock_interview_id)
    if interview.owner_id != g.user.id:
        abort(404)
    ids = [i for i in (int_arg(v, 0) for v in request.form.getlist("share_id")) if i]
    try:
        reached = share_mock_interview(g.user, interview, ids)
    except AccountError as err:
        flash(str(err))
    else:
        names = ", ".join(s.recruiter.name if s.recruiter else s.recruiter_email for s in reached)
        flash(f"Shared with {names}: they can listen and comment on every answer in it.")
    return redirect(url_for("interviews.show", mock_interview_id=interview.id))
