"""The recruiter's side: candidates, a queue of answers awaiting feedback, assignments, rubrics."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from app.extensions import db
from app.feedback.access import (
    shared_attempts,
    shared_interviews,
    shared_mock_interviews,
    shares_with,
)
from app.feedback.coaching import assignment_states, review_queue
from app.feedback.errors import FeedbackError
from app.feedback.reviews import parse_rubric, reviewed_attempt_ids, rubrics_for
from app.models import Question, User
from app.questions import assignments
from app.questions.follow_ups import TRIGGERS, clean_follow_ups, parse_follow_ups
from app.questions.selection import categories, matching_questions, visible_questions
from app.web.params import int_arg
from app.web.rendering import render

bp = Blueprint("review", __name__, url_prefix="/review")
QUESTION_RESULTS = 25  # questions listed at once when assigning; the search narrows the rest


@bp.before_request
def _recruiters_only():
    if not g.user.is_recruiter:
        abort(404)


def _candidates() -> dict[int, User]:
    return {s.candidate_id: s.candidate for s in shares_with(g.user)}


@bp.get("")
def index():
    """The coach's home: the answers waiting for feedback (new answers, retries, answers to
    their assignments, replies), their candidates, and the assignments they set."""
    return render("review/index.html", candidates=_candidates(), queue=review_queue(g.user),
                  assignments=assignment_states(g.user))  # fmt: skip


def _candidate_page(person: User, found: list, **context) -> str:
    return render("review/candidate.html", "question_results", person=person,
                  found=found[:QUESTION_RESULTS], more=max(len(found) - QUESTION_RESULTS, 0),
                  categories=categories(g.user.id), triggers=TRIGGERS,
                  interviews=shared_interviews(g.user, person.id),
                  mock_interviews=shared_mock_interviews(g.user, person.id),
                  attempts=shared_attempts(g.user, person.id),
                  assignments=assignment_states(g.user, person.id),
                  reviewed=reviewed_attempt_ids(g.user), **context)  # fmt: skip


@bp.get("/candidates/<int:candidate_id>")
def candidate(candidate_id: int):
    """Everything one candidate shared, and the questions assigned to them."""
    people = _candidates()
    if candidate_id not in people:
        abort(404)
    search = request.args.get("q", "").strip()[:200]
    category = request.args.get("category", "")
    found = matching_questions(g.user.id, search, category) if search or category else []
    return _candidate_page(people[candidate_id], found, search=search, category=category)


@bp.post("/candidates/<int:candidate_id>/assign")
def assign(candidate_id: int):
    """Ask the candidate to practise a question (from the banks or the recruiter's own), with
    the recruiter's own follow-ups for the mock interviewer if they wrote some."""
    people = _candidates()
    if candidate_id not in people:
        abort(404)
    question = db.session.execute(
        visible_questions(g.user.id).where(
            Question.id == int_arg(request.form.get("question_id"), 0)
        )
    ).scalar_one_or_none()
    if question is None:
        flash("Choose a question to assign.")
        return redirect(url_for("review.candidate", candidate_id=candidate_id))
    due = None
    if request.form.get("due_on"):
        try:
            due = date.fromisoformat(request.form["due_on"])
        except ValueError:
            flash("The due date is not a date; use the date picker.")
            return redirect(url_for("review.candidate", candidate_id=candidate_id))
    follow_ups, errors = parse_follow_ups(request.form.get("follow_ups", ""))
    if errors:
        # Shown beside the field, with the question and what was typed kept.
        page = _candidate_page(people[candidate_id], [question], search="", category="",
                               form=request.form, follow_up_errors=errors)  # fmt: skip
        return page, 422
    assignments.assign(g.user, candidate_id, question, due_on=due,
                       note=request.form.get("note", ""),
                       follow_ups=clean_follow_ups(follow_ups))  # fmt: skip
    flash("Assigned. The candidate sees it on their home page.")
    return redirect(url_for("review.candidate", candidate_id=candidate_id))


@bp.route("/rubrics", methods=["GET", "POST"])
def rubrics():
    """The recruiter's rubrics: the default one, and their own."""
    error = None
    if request.method == "POST":
        try:
            parse_rubric(request.form.get("name", ""), request.form.get("criteria", ""), g.user)
        except FeedbackError as err:
            error = str(err)
        else:
            flash("Your rubric was saved; choose it when you rate an answer.")
            return redirect(url_for("review.rubrics"))
    return render(
        "review/rubrics.html", rubrics=rubrics_for(g.user), error=error
    ), 422 if error else 200
