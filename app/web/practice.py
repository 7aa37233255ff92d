"""Practice: choose what to practise, then answer the drawn questions one by one."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, request, url_for

from app.extensions import db
from app.feedback.comments import unseen_feedback
from app.feedback.reviews import latest_feedback
from app.models import WITHOUT_WORDS_OR_METRICS, Attempt, Practice, Question
from app.questions.assignments import open_assignments
from app.questions.debriefs import DICTATION_PREFIX, feedback_for_question
from app.questions.practices import (
    finish_practice,
    owned_practice,
    practice_summary,
    start_practice,
    unfinished_practice,
)
from app.questions.selection import MODES, categories, draw_questions, visible_question
from app.reports.goals import next_goal
from app.web.params import int_arg
from app.web.rendering import render

bp = Blueprint("practice", __name__)
THINK_CHOICES = (0, 10, 30, 60)


def _index_context(**extra) -> dict:
    recent = (
        db.session.execute(
            db.select(Attempt)
            .options(*WITHOUT_WORDS_OR_METRICS)
            .join(Question)
            # A dictation of an interview's questions is a note to its debrief, not an answer.
            .where(Attempt.owner_id == g.user.id, ~Question.key.startswith(DICTATION_PREFIX))
            .order_by(Attempt.created_at.desc(), Attempt.id.desc())
            .limit(5)
        )
        .scalars()
        .all()
    )
    return {
        "feedback": unseen_feedback(g.user),
        "assignments": open_assignments(g.user),
        "categories": categories(g.user.id),
        "modes": MODES,
        "think_choices": THINK_CHOICES,
        "recent": recent,
        "resume": unfinished_practice(g.user),
        "chosen": [],
        "error": None,
    } | extra


def answer_page(
    question,
    *,
    practice: Practice | None = None,
    step: int | None = None,
    think_seconds: int = 0,
    next_url: str | None = None,
    answered=(),
    error: str | None = None,
) -> str:
    """The recorder page for one question, with the feedback its last answers received."""
    total = len(practice.question_ids) if practice else None
    return render(
        "practice/answer.html",
        question=question,
        practice=practice,
        step=step,
        total=total,
        is_last=practice is not None and step == total,
        think_seconds=think_seconds,
        next_url=next_url,
        answered=answered,
        feedback=latest_feedback(g.user.id, question.id),
        employer_feedback=feedback_for_question(question.id, g.user.id),
        # The last try's takeaway: this try's goal, stored with it when it starts.
        goal=next_goal(g.user.id, question),
        first_recording=db.session.execute(
            db.select(Attempt.id).where(Attempt.owner_id == g.user.id).limit(1)
        ).first()
        is None,
        error=error,
    )


@bp.get("/")
def index():
    """The home page: what to practise next; a coach's home is their coaching workspace."""
    if g.user.is_recruiter:
        return redirect(url_for("review.index"))
    return render("practice/index.html", **_index_context())


@bp.get("/practise")
def home():
    """The practice page, for a coach who practises too (a candidate's is the home page)."""
    return render("practice/index.html", **_index_context())


@bp.post("/practice")
def start():
    """Draw questions for a new practice session and open the first one."""
    form = request.form
    limit = current_app.config["PRACTICE_MAX_QUESTIONS"]
    count = min(max(int_arg(form.get("count"), 5), 1), limit)
    think = int_arg(form.get("think_seconds"), 0)
    think = think if think in THINK_CHOICES else 0
    mode = form.get("mode", "any") if form.get("mode") in MODES else "any"
    chosen = form.getlist("category")
    difficulties = [d for d in form.getlist("difficulty") if d in ("1", "2", "3")]
    questions = draw_questions(g.user.id, count, chosen, difficulties, mode)
    if not questions:
        message = {
            "unanswered": "You have answered every question that matches. "
            "Choose other categories, or pick “Any question”.",
            "struggled": "No question you struggled with matches these choices. Well done — "
            "or pick “Any question”.",
        }.get(mode, "No question matches these choices. Choose more categories or difficulties.")
        return render("practice/index.html", **_index_context(chosen=chosen, error=message)), 422
    practice = start_practice(
        g.user,
        [q.id for q in questions],
        think_seconds=think,
        filters={"categories": chosen, "difficulties": difficulties, "mode": mode},
    )
    return redirect(url_for("practice.step", practice_id=practice.id, step=1))


@bp.post("/practice/assigned")
def start_assigned():
    """Practise the questions a recruiter assigned, soonest due first."""
    pending = [a for a in open_assignments(g.user) if not a.done]
    if not pending:
        return redirect(url_for("practice.index"))
    practice = start_practice(
        g.user,
        [a.question_id for a in pending],
        think_seconds=int_arg(request.form.get("think_seconds"), 0) or 0,
        filters={"assigned": True},
    )
    return redirect(url_for("practice.step", practice_id=practice.id, step=1))


@bp.get("/practice/<int:practice_id>/<int:step>")
def step(practice_id: int, step: int):
    """One question of a practice session, with the recorder."""
    practice = owned_practice(g.user, practice_id)
    if practice is None:
        abort(404)
    if not 1 <= step <= len(practice.question_ids):
        abort(404)
    question = visible_question(g.user, practice.question_ids[step - 1])
    answered = (
        db.session.execute(
            db.select(Attempt)
            .where(Attempt.practice_id == practice.id, Attempt.question_id == question.id)
            .order_by(Attempt.created_at.desc())
        )
        .scalars()
        .all()
    )
    next_url = (
        url_for("practice.step", practice_id=practice.id, step=step + 1)
        if step < len(practice.question_ids)
        else None
    )
    return answer_page(
        question,
        practice=practice,
        step=step,
        think_seconds=practice.think_seconds,
        next_url=next_url,
        answered=answered,
    )


def _own_set(practice_id: int) -> Practice:
    practice = owned_practice(g.user, practice_id)
    if practice is None:
        abort(404)
    return practice


@bp.post("/practice/<int:practice_id>/finish")
def finish(practice_id: int):
    """Finish the set and read its summary."""
    practice = _own_set(practice_id)
    finish_practice(practice)
    return redirect(url_for("practice.summary", practice_id=practice.id))


@bp.get("/practice/<int:practice_id>/summary")
def summary(practice_id: int):
    """The set at a glance: each question, its answers in the set, and their key figures."""
    practice = _own_set(practice_id)
    rows = practice_summary(practice)
    return render("practice/summary.html", practice=practice, rows=rows,
                  answered=sum(1 for _, answers in rows if answers))  # fmt: skip
