"""Questions: browse the banks, read one with its attempts, write or import your own."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for

from .banks import (
    BankError,
    QuestionSpec,
    parse_bank,
    store_questions,
    text_key,
    user_scope,
    validate_question,
)
from .extensions import db
from .models import Attempt, Question
from .practice import THINK_CHOICES
from .reports import question_progress
from .selection import categories, visible_questions
from .views import int_arg, render, visible_question

bp = Blueprint("questions", __name__, url_prefix="/questions")
MAX_BANK_BYTES = 1024 * 1024
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
    query = visible_questions(g.user.id)
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
    question = visible_question(question_id)
    attempts = (
        db.session.execute(
            db.select(Attempt)
            .where(Attempt.owner_id == g.user.id, Attempt.question_id == question.id)
            .order_by(Attempt.created_at.desc(), Attempt.id.desc())
        )
        .scalars()
        .all()
    )
    progress = None if g.user.calm_mode else question_progress(list(attempts))
    return render("questions/show.html", question=question, attempts=attempts, progress=progress)


@bp.get("/<int:question_id>/answer")
def answer(question_id: int):
    """Answer one question (again), outside a practice session."""
    question = visible_question(question_id)
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
    return render(
        "practice/answer.html",
        question=question,
        practice=None,
        step=None,
        total=None,
        think_seconds=think if think in THINK_CHOICES else 0,
        next_url=None,
        answered=attempts,
        error=None,
    )


def _spec_from_form(form) -> QuestionSpec:
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
    }
    return validate_question(raw, "the form", 1)


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Write a question of your own."""
    error = None
    if request.method == "POST":
        try:
            spec = _spec_from_form(request.form)
        except BankError as err:
            label = FORM_LABELS.get(err.field_name or "", "This question")
            error = f"{label} {err.problem}."
        else:
            spec.key = text_key(spec.text)
            store_questions([spec], user_scope(g.user.id), g.user.id, "written in Rebound")
            question = db.session.execute(
                db.select(Question).filter_by(scope=user_scope(g.user.id), key=spec.key)
            ).scalar_one()
            flash("Your question was saved.")
            return redirect(url_for("questions.show", question_id=question.id))
    status = 422 if error else 200
    return render(
        "questions/new.html", form=request.form, error=error, categories=categories(g.user.id)
    ), status


@bp.route("/import", methods=["GET", "POST"])
def import_bank():
    """Import a bank file (YAML or CSV); importing it again adds nothing twice."""
    error = result = None
    if request.method == "POST":
        upload = request.files.get("bank")
        if upload is None or not upload.filename:
            error = "Choose a .yaml or .csv file to import."
        else:
            content = upload.stream.read(MAX_BANK_BYTES + 1)
            name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:100]
            if len(content) > MAX_BANK_BYTES:
                error = f"{name} is larger than 1 MB; split it into smaller files."
            else:
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
