"""Debriefs: the interview that went wrong, turned into a practice plan (views)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from app.accounts.identity import AccountError
from app.extensions import db
from app.feedback.access import viewable_interview
from app.feedback.invitations import invite
from app.models import Interview, Question
from app.questions.assignments import assign
from app.questions.debriefs import (
    DEBRIEF_CATEGORY,
    OUTCOMES,
    SOURCES,
    STAGES,
    DebriefError,
    add_feedback,
    add_questions,
    build_plan,
    confirmed_questions,
    create_interview,
    dictation_question,
    feedback_of,
    feedback_request,
    interview_questions,
    latest_dictation,
    plan_progress,
    split_questions,
    timeline,
)  # fmt: skip
from app.questions.practices import start_practice
from app.questions.selection import categories, practice_questions
from app.web.params import form_ids, int_arg
from app.web.rendering import render

bp = Blueprint("debriefs", __name__, url_prefix="/interviews")


def _owned(interview_id: int) -> Interview:
    interview = db.session.get(Interview, interview_id)
    if interview is None or interview.owner_id != g.user.id:
        abort(404)
    return interview


@bp.get("")
def index():
    """A timeline of interviews and the practice done between them."""
    return render("debriefs/index.html", entries=timeline(g.user), outcomes=OUTCOMES)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Log an interview and the questions remembered from it."""
    error = None
    if request.method == "POST":
        try:
            interview = create_interview(g.user, request.form)
        except DebriefError as err:
            error = str(err)
        else:
            typed = request.form.get("questions", "").splitlines()
            add_questions(interview, typed, request.form.get("category", ""))
            flash("Interview logged. Add the feedback you get, then build your practice plan.")
            return redirect(url_for("debriefs.show", interview_id=interview.id))
    return render(
        "debriefs/new.html",
        error=error,
        form=request.form,
        stages=STAGES,
        outcomes=OUTCOMES,
        categories=categories(g.user.id),
        debrief_category=DEBRIEF_CATEGORY,
    ), 422 if error else 200


@bp.get("/<int:interview_id>")
def show(interview_id: int):
    """One debrief: questions, spoken questions to confirm, feedback, the plan and its progress."""
    interview = viewable_interview(g.user, interview_id)
    is_owner = interview.owner_id == g.user.id
    dictation = latest_dictation(interview) if is_owner else None
    heard = (
        split_questions(dictation.transcript_text)
        if dictation and dictation.status == "done"
        else []
    )
    tone = request.args.get("tone", "warm")
    subject, letter = feedback_request(interview, tone, g.user.name if is_owner else "")
    bank = []
    if not is_owner:
        bank = (
            db.session.execute(
                practice_questions(g.user.id).order_by(Question.category, Question.id)
            )
            .scalars()
            .all()
        )
    # The dictation block follows its transcription by itself; 286 stops htmx polling.
    status = (
        286
        if request.headers.get("HX-Request") and not (dictation and dictation.is_pending)
        else 200
    )
    return render("debriefs/show.html", "dictation", interview=interview, is_owner=is_owner,
                  questions=interview_questions(interview), dictation=dictation, heard=heard,
                  dictation_question=dictation_question(interview) if is_owner else None,
                  feedback=feedback_of(interview), progress=plan_progress(interview), sources=SOURCES,
                  outcomes=OUTCOMES, tone=tone, subject=subject, letter=letter,
                  categories=categories(g.user.id), bank=bank,
                  debrief_category=DEBRIEF_CATEGORY), status  # fmt: skip


@bp.post("/<int:interview_id>/questions")
def questions(interview_id: int):
    """Save typed questions, or the ones confirmed from the recording."""
    interview = _owned(interview_id)
    texts = confirmed_questions(request.form) + request.form.get("questions", "").splitlines()
    added = add_questions(interview, texts, request.form.get("category", ""))
    flash(
        f"{added} question{'s' if added != 1 else ''} added."
        if added
        else "No new question to add."
    )
    return redirect(url_for("debriefs.show", interview_id=interview.id))


@bp.post("/<int:interview_id>/outcome")
def outcome(interview_id: int):
    """Update the outcome when the answer arrives."""
    interview = _owned(interview_id)
    if request.form.get("outcome") in OUTCOMES:
        interview.outcome = request.form["outcome"]
        db.session.commit()
    return redirect(url_for("debriefs.show", interview_id=interview.id))


@bp.post("/<int:interview_id>/feedback")
def feedback(interview_id: int):
    """Record feedback received, and which questions it concerns."""
    interview = _owned(interview_id)
    ids = form_ids(request.form.getlist("question"))
    try:
        add_feedback(interview, request.form.get("source", ""), request.form.get("body", ""), ids)
    except DebriefError as err:
        flash(str(err))
    return redirect(url_for("debriefs.show", interview_id=interview.id) + "#feedback")


@bp.post("/<int:interview_id>/plan")
def plan(interview_id: int):
    """Build the practice plan and show it; once it is shown, start practising it."""
    interview = _owned(interview_id)
    first_time = not interview.plan_question_ids
    ids = build_plan(interview)
    if not ids:
        flash("Add at least one question first.")
        return redirect(url_for("debriefs.show", interview_id=interview.id))
    if first_time:
        flash(f"Your plan has {len(ids)} questions. Read it, then press “Practise the plan”.")
        return redirect(url_for("debriefs.show", interview_id=interview.id) + "#plan")
    practice = start_practice(g.user, ids, filters={"interview": interview.id})
    return redirect(url_for("practice.step", practice_id=practice.id, step=1))


@bp.post("/<int:interview_id>/plan/add")
def add_to_plan(interview_id: int):
    """A recruiter the debrief is shared with adds a question to the plan."""
    interview = viewable_interview(g.user, interview_id)
    if interview.owner_id == g.user.id:
        abort(404)
    question = db.session.execute(
        practice_questions(g.user.id).where(
            Question.id == int_arg(request.form.get("question_id"), 0)
        )
    ).scalar_one_or_none()
    if question is None:
        flash("Choose a question to add.")
    else:
        # An assignment, not a plan entry: only the candidate widens what is shared, so it
        # shows the recruiter the answers given to it from now on, never the earlier ones.
        assign(g.user, interview.owner_id, question, interview=interview,
               note=f"For the {interview.company} debrief")  # fmt: skip
        flash("Added to the plan as an assignment: you will see the answers the candidate "
              "gives to it from now on.")  # fmt: skip
    return redirect(url_for("debriefs.show", interview_id=interview.id))


@bp.post("/<int:interview_id>/share")
def share(interview_id: int):
    """Share this debrief (interview, feedback, the plan's answers) with a recruiter."""
    interview = _owned(interview_id)
    try:
        created = invite(g.user, request.form.get("email", ""), interview_ids=[interview.id])
    except AccountError as err:
        flash(str(err))
    else:
        link = url_for("shares.accept_invitation", token=created.invite_token, _external=True)
        flash(f"Shared with {created.recruiter_email}. Invitation link: {link}")
    return redirect(url_for("debriefs.show", interview_id=interview.id))
