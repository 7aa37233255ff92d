"""Practice sessions: the questions drawn for one sitting, in order, and whose they are."""

from __future__ import annotations

from dataclasses import dataclass

from app.extensions import db
from app.models import WITHOUT_WORDS_OR_METRICS, Attempt, Practice, Question, User, utcnow


def start_practice(
    owner: User, question_ids: list[int], *, think_seconds: int = 0, filters: dict | None = None
) -> Practice:
    """Save a new practice session of these questions (in this order) for ``owner``."""
    practice = Practice(
        owner_id=owner.id,
        question_ids=list(dict.fromkeys(question_ids)),
        think_seconds=think_seconds,
        filters=filters or {},
    )
    db.session.add(practice)
    db.session.commit()
    return practice


def owned_practice(user: User, practice_id: int | None) -> Practice | None:
    """The user's own practice session with this id; None for anyone else's, or none."""
    if practice_id is None:
        return None
    practice = db.session.get(Practice, practice_id)
    return practice if practice is not None and practice.owner_id == user.id else None


def step_of(practice: Practice, question_id: int) -> int | None:
    """The 1-based position of a question in the set, or None if it is not in it."""
    ids = practice.question_ids
    return ids.index(question_id) + 1 if question_id in ids else None


def answers_in(practice: Practice) -> list[Attempt]:
    """The answers recorded inside this set, oldest first (without words or metrics)."""
    return list(db.session.execute(
        db.select(Attempt).options(*WITHOUT_WORDS_OR_METRICS)
        .where(Attempt.practice_id == practice.id, Attempt.owner_id == practice.owner_id)
        .order_by(Attempt.created_at, Attempt.id)
    ).scalars())  # fmt: skip


def finish_practice(practice: Practice) -> None:
    """The candidate pressed Finish: the set stops being offered for resuming."""
    if practice.finished_at is None:
        practice.finished_at = utcnow()
        db.session.commit()


@dataclass(frozen=True)
class Resume:
    """Where an unfinished set stands: the first question not answered yet (or none left)."""

    practice: Practice
    step: int | None  # None: every question has an answer, only Finish is left
    total: int


def unfinished_practice(user: User) -> Resume | None:
    """The user's latest set that was not finished, and where to pick it up; None if the
    latest set was finished (an older abandoned set is not brought back)."""
    practice = db.session.execute(
        db.select(Practice).where(Practice.owner_id == user.id)
        .order_by(Practice.created_at.desc(), Practice.id.desc()).limit(1)
    ).scalar_one_or_none()  # fmt: skip
    if practice is None or practice.finished_at is not None or not practice.question_ids:
        return None
    answered = set(db.session.execute(
        db.select(Attempt.question_id).where(Attempt.practice_id == practice.id)
    ).scalars())  # fmt: skip
    step = next((i + 1 for i, qid in enumerate(practice.question_ids) if qid not in answered), None)
    return Resume(practice, step, len(practice.question_ids))


def practice_summary(practice: Practice) -> list[tuple[Question, list[Attempt]]]:
    """Each question of the set, in order, with the answers recorded for it in the set."""
    answers = answers_in(practice)
    questions = {q.id: q for q in db.session.execute(
        db.select(Question).where(Question.id.in_(practice.question_ids))
    ).scalars()}  # fmt: skip
    return [(questions[qid], [a for a in answers if a.question_id == qid])
            for qid in practice.question_ids if qid in questions]  # fmt: skip
