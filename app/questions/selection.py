"""Which questions a practice session draws, and which ones the user struggled with."""

from __future__ import annotations

import random
from collections.abc import Iterable

from flask import abort
from sqlalchemy import or_

from app.extensions import db
from app.models import (
    BANK_SCOPE,
    Assignment,
    Attempt,
    AttemptStatus,
    Question,
    SelfRating,
    User,
)
from app.questions.banks import user_scope

MODES = {
    "any": "Any question",
    "unanswered": "Ones I haven't answered yet",
    "struggled": "Ones I struggled with",
}


def visible_questions(user_id: int):
    """A select of the questions this user may practise: the banks plus their own."""
    return db.select(Question).where(
        or_(Question.scope == BANK_SCOPE, Question.scope == user_scope(user_id))
    )


def practice_questions(user_id: int):
    """The questions to list and draw from (not the prompts for dictating an interview)."""
    return visible_questions(user_id).where(~Question.key.startswith("dictation-"))


def matching_questions(user_id: int, search: str = "", category: str = "") -> list[Question]:
    """Questions this user may practise or assign whose text (or category) holds every word
    of ``search``, optionally in one ``category``; by category, then id."""
    query = practice_questions(user_id)
    if category:
        query = query.where(Question.category == category)
    for word in search.split()[:8]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            Question.text.ilike(pattern, escape="\\")
            | Question.category.ilike(pattern, escape="\\")
        )
    return list(db.session.execute(query.order_by(Question.category, Question.id)).scalars())


def categories(user_id: int) -> list[tuple[str, int]]:
    """Each category the user can practise, with its number of questions."""
    sub = practice_questions(user_id).subquery()
    rows = db.session.execute(
        db.select(sub.c.category, db.func.count()).group_by(sub.c.category).order_by(sub.c.category)
    ).all()
    return [(name, count) for name, count in rows]


def struggled(attempt: Attempt) -> bool:
    """True when an attempt went badly by what we can measure now.

    The user said so, the recording held no speech, or the answer was far from the
    suggested time (under 40 % or over 150 %).
    """
    if attempt.self_rating == SelfRating.STRUGGLED or attempt.status == AttemptStatus.FAILED:
        return True
    if attempt.status != AttemptStatus.DONE:
        return False
    if not attempt.words:
        return True
    target = attempt.question.answer_seconds
    return attempt.duration_s < 0.4 * target or attempt.duration_s > 1.5 * target


def latest_attempts(user_id: int) -> dict[int, Attempt]:
    """The newest attempt per question for this user."""
    latest: dict[int, Attempt] = {}
    rows = db.session.execute(
        db.select(Attempt).where(Attempt.owner_id == user_id).order_by(Attempt.created_at)
    ).scalars()
    for attempt in rows:
        latest[attempt.question_id] = attempt
    return latest


def draw_questions(
    user_id: int,
    count: int,
    chosen_categories: Iterable[str] = (),
    difficulties: Iterable[int] = (),
    mode: str = "any",
    rng: random.Random | None = None,
) -> list[Question]:
    """Draw up to ``count`` questions matching the filters, in random order."""
    query = practice_questions(user_id)
    chosen_categories = [c for c in chosen_categories if c]
    difficulties = [int(d) for d in difficulties]
    if chosen_categories:
        query = query.where(Question.category.in_(chosen_categories))
    if difficulties:
        query = query.where(Question.difficulty.in_(difficulties))
    pool = list(db.session.execute(query.order_by(Question.id)).scalars())
    if mode in ("unanswered", "struggled"):
        latest = latest_attempts(user_id)
        if mode == "unanswered":
            pool = [q for q in pool if q.id not in latest]
        else:
            pool = [q for q in pool if q.id in latest and struggled(latest[q.id])]
    (rng or random.Random()).shuffle(pool)
    return pool[:count]


def visible_question(user: User, question_id: int) -> Question:
    """A bank question, one of the user's own, or one a recruiter assigned them; else 404."""
    question = db.session.execute(
        visible_questions(user.id).where(Question.id == question_id)
    ).scalar_one_or_none()
    if question is None:
        assigned = (
            db.session.execute(
                db.select(Assignment).where(
                    Assignment.candidate_id == user.id, Assignment.question_id == question_id
                )
            )
            .scalars()
            .first()
        )
        if assigned is None:
            abort(404)
        question = assigned.question
    return question
