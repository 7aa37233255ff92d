"""Questions: browse the banks, read one with its attempts, write or import your own."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for

from app.extensions import db
from app.feedback.access import read_shared, shared_attempts
from app.feedback.comments import comments_for
from app.feedback.reviews import criterion_means, criterion_names, ratings_for
from app.models import WITHOUT_WORDS_OR_METRICS, Attempt, Question
from app.privacy.deletion import delete_history
from app.questions.banks import (
    MAX_BANK_BYTES,
    BankError,
    QuestionSpec,
    parse_bank,
    store_questions,
    text_key,
    user_scope,
    validate_question,
)
from app.questions.follow_ups import TRIGGERS, parse_follow_ups
from app.questions.selection import categories, practice_questions, visible_question
from app.reports.attempts import attempt_metrics
from app.reports.compare import word_diff
from app.reports.progress import compare_values, question_progress
from app.web.params import int_arg
from app.web.practice import THINK_CHOICES, answer_page
from app.web.rendering import render

bp = Blueprint("questions", __name__, url_prefix="/questions")
FORM_LABELS = {
    "text": "The question",
    "category": "The category",
    "difficulty": "The difficulty",
    "testing": "“What is being tested”",
    "tips": "Tips",
    "answer_seconds": "The suggested answer time",
    "tags": "Tags",
}


@bp.get("")
def index():
    """All questions the user can practise, filterable by category, difficulty and words."""
    category = request.args.get("category", "")
    difficulty = int_arg(request.args.get("difficulty"))
    search = request.args.get("q", "").strip()[:100]
    query = practice_questions(g.user.id)
    if category:
        query = query.where(Question.category == category)
    if difficulty in (1, 2, 3):
        query = query.where(Question.difficulty == difficulty)
    if search:
        query = query.where(Question.text.ilike(f"%{search}%"))
    rows = (
        db.session.execute(query.order_by(Question.category, Question.difficulty, Question.id))
        .scalars()
        .all()
    )
    counts = dict(
        db.session.execute(
            db.select(Attempt.question_id, db.func.count())
            .where(Attempt.owner_id == g.user.id)
            .group_by(Attempt.question_id)
        ).all()
    )
    return render(
        "questions/index.html",
        "results",
        questions=rows,
        counts=counts,
        categories=categories(g.user.id),
        category=category,
        difficulty=difficulty,
        search=search,
    )


@bp.get("/<int:question_id>")
def show(question_id: int):
    """One question: what it tests, tips, and every attempt at it."""
    question = visible_question(g.user, question_id)
    attempts = (
        db.session.execute(
            db.select(Attempt)
            .options(*WITHOUT_WORDS_OR_METRICS)
            .where(Attempt.owner_id == g.user.id, Attempt.question_id == question.id)
            .order_by(Attempt.created_at.desc(), Attempt.id.desc())
        )
        .scalars()
        .all()
    )
    progress = None if g.user.calm_mode else question_progress(list(attempts))
    return render("questions/show.html", question=question, attempts=attempts, progress=progress)


@bp.post("/<int:question_id>/history/delete")
def delete_history_view(question_id: int):
    """Delete every answer to this question, recordings included."""
    question = visible_question(g.user, question_id)
    removed = delete_history(g.user, question.id)
    flash(
        f"{removed} answer{'s' if removed != 1 else ''} and {'their' if removed != 1 else 'its'} recording deleted."
    )
    return redirect(url_for("questions.show", question_id=question.id))


@bp.get("/<int:question_id>/answer")
def answer(question_id: int):
    """Answer one question (again), outside a practice session."""
    question = visible_question(g.user, question_id)
    think = int_arg(request.args.get("think"), 0)
    attempts = (
        db.session.execute(
            db.select(Attempt)
            .where(Attempt.owner_id == g.user.id, Attempt.question_id == question.id)
            .order_by(Attempt.created_at.desc())
            .limit(3)
        )
        .scalars()
        .all()
    )
    return answer_page(
        question, think_seconds=think if think in THINK_CHOICES else 0, answered=attempts
    )


def _spec_from_form(form, follow_ups: dict) -> QuestionSpec:
    tips = [t for t in form.get("tips", "").splitlines() if t.strip()]
    raw = {
        "text": form.get("text", ""),
        "category": form.get("category", "").strip() or "My questions",
        "difficulty": form.get("difficulty", "2"),
        "testing": form.get("testing", "").strip() or "Your own question.",
        "tips": tips
        if len(tips) >= 2
        else tips + ["Answer in two minutes or less."] * (2 - len(tips)),
        "answer_seconds": form.get("answer_seconds", "120"),
        "tags": [t.strip() for t in form.get("tags", "").split(",") if t.strip()],
        "follow_ups": follow_ups,
    }
    return validate_question(raw, "the form", 1)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Write a question of your own."""
    error = None
    follow_ups, follow_up_errors = parse_follow_ups(request.form.get("follow_ups", ""))
    if request.method == "POST":
        try:
            spec = _spec_from_form(request.form, {} if follow_up_errors else follow_ups)
        except BankError as err:
            label = FORM_LABELS.get(err.field_name or "", "This question")
            error = f"{label} {err.problem}."
        # A problem in a field or in the follow-ups is shown beside it; nothing is saved.
        if not (error or follow_up_errors):
            spec.key = text_key(spec.text)
            store_questions([spec], user_scope(g.user.id), g.user.id, "written in Rebound")
            question = db.session.execute(
                db.select(Question).filter_by(scope=user_scope(g.user.id), key=spec.key)
            ).scalar_one()
            flash("Your question was saved.")
            return redirect(url_for("questions.show", question_id=question.id))
    status = 422 if error or follow_up_errors else 200
    return render("questions/new.html", form=request.form, error=error,
                  follow_up_errors=follow_up_errors, triggers=TRIGGERS,
                  categories=categories(g.user.id)), status  # fmt: skip


@bp.route("/import", methods=["GET", "POST"])
def import_bank():
    """Import a bank file (YAML or CSV); importing it again adds nothing twice."""
    error = result = None
    if request.method == "POST":
        upload = request.files.get("bank")
        if upload is None or not upload.filename:
            error = "Choose a .yaml or .csv file to import."
        else:
            # One byte over the limit is enough for parse_bank to refuse it by size.
            content = upload.stream.read(MAX_BANK_BYTES + 1)
            name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:100]
            try:
                specs = parse_bank(content, name)
            except BankError as err:
                error = str(err)
            else:
                result = store_questions(
                    specs, user_scope(g.user.id), g.user.id, f"imported from {name}"
                )
    status = 422 if error else 200
    return render("questions/import.html", error=error, result=result), status


@bp.get("/<int:question_id>/compare")
def compare(question_id: int):
    """Two attempts at one question side by side: audio, transcripts with a word diff,
    comments, rubric scores and how each number changed."""
    question = visible_question(g.user, question_id)
    if g.user.is_recruiter and request.args.get("candidate"):
        pool = [a for a in shared_attempts(g.user, int_arg(request.args.get("candidate"), 0))
                if a.question_id == question.id]  # fmt: skip
    else:
        pool = list(db.session.execute(
            db.select(Attempt).where(Attempt.owner_id == g.user.id, Attempt.question_id == question.id)
        ).scalars())  # fmt: skip
    pool.sort(key=lambda a: (a.created_at, a.id))
    if len(pool) < 2:
        flash("Compare needs two answers to the same question. Answer it again first.")
        return redirect(url_for("questions.show", question_id=question.id))
    by_id = {a.id: a for a in pool}
    before = by_id.get(int_arg(request.args.get("a"), 0), pool[0])
    after = by_id.get(int_arg(request.args.get("b"), 0), pool[-1])
    read_shared(g.user, [before, after])
    calm = g.user.calm_mode
    sides = []
    for attempt in (before, after):
        metrics = None if calm else attempt_metrics(attempt)
        sides.append({"attempt": attempt, "metrics": metrics, "comments": comments_for(attempt),
                      "ratings": ratings_for(attempt),
                      "scores": criterion_means(ratings_for(attempt))})  # fmt: skip
    changes = []
    if not calm and sides[0]["metrics"] and sides[1]["metrics"]:
        changes = compare_values(sides[0]["metrics"], sides[1]["metrics"])
    score_changes = []
    names = criterion_names([r for side in sides for r in side["ratings"]])
    for key, name in names.items():
        a, b = sides[0]["scores"].get(key), sides[1]["scores"].get(key)
        score_changes.append(
            (name, a, b, round(b - a, 1) if a is not None and b is not None else None)
        )
    return render("questions/compare.html", question=question, pool=pool, sides=sides,
                  diff=word_diff(before.transcript_text, after.transcript_text),
                  changes=changes, score_changes=score_changes)  # fmt: skip
