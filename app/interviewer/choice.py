"""Which questions a mock interview asks: chosen ones, a draw from categories, the
candidate's assignments, or a debrief's practice plan."""

from __future__ import annotations

from app.extensions import db
from app.interviewer.interviews import DEFAULT_QUESTIONS, MAX_QUESTIONS, MIN_QUESTIONS
from app.interviewer.interviews import InterviewError as ChoiceError
from app.models import Assignment, Interview, Question, User
from app.questions.assignments import open_assignments
from app.questions.selection import draw_questions, visible_questions


def questions_for(
    user: User,
    *,
    question_ids: list | None = None,
    categories: list[str] | None = None,
    count: int | None = None,
    assignments: bool = False,
    debrief_id: int | None = None,
) -> tuple[list[Question], dict]:
    """The questions to ask, in order, and a note of where they came from."""
    count = DEFAULT_QUESTIONS if count is None else count
    if not isinstance(count, int) or not MIN_QUESTIONS <= count <= MAX_QUESTIONS:
        raise ChoiceError(f"Choose {MIN_QUESTIONS} to {MAX_QUESTIONS} questions.")
    if question_ids:
        return _chosen(user, question_ids), {"chosen": True}
    if assignments:
        given = open_assignments(user)
        # Not yet answered first: the interview is where the candidate catches up.
        ordered = [a.question for a in sorted(given, key=lambda a: a.done)]
        return _enough(list(dict.fromkeys(ordered))[:count], "assigned to you"), {
            "assignments": True
        }
    if debrief_id is not None:
        interview = db.session.get(Interview, debrief_id)
        if interview is None or interview.owner_id != user.id:
            raise ChoiceError("That debrief was not found among yours.")
        ids = list(interview.plan_question_ids or [])[:count]
        found = {q.id: q for q in db.session.execute(
            db.select(Question).where(Question.id.in_(ids))).scalars()}  # fmt: skip
        return _enough([found[i] for i in ids if i in found], "in that debrief's plan"), {
            "debrief": interview.id
        }
    drawn = draw_questions(user.id, count, categories or ())
    where = "in " + ", ".join(categories) if categories else "to practise"
    return _enough(drawn, where), {"categories": list(categories or [])}


def _chosen(user: User, question_ids: list[int]) -> list[Question]:
    """The chosen questions, in order; ``question_ids`` are ids a column can hold (the API
    route checks them with ``web.params.json_id``)."""
    ids = list(dict.fromkeys(question_ids))
    if not MIN_QUESTIONS <= len(ids) <= MAX_QUESTIONS:
        raise ChoiceError(
            f"An interview has {MIN_QUESTIONS} to {MAX_QUESTIONS} questions; {len(ids)} given."
        )
    visible = {q.id: q for q in db.session.execute(
        visible_questions(user.id).where(Question.id.in_(ids))).scalars()}  # fmt: skip
    assigned = {a.question_id: a.question for a in db.session.execute(
        db.select(Assignment).where(Assignment.candidate_id == user.id,
                                    Assignment.question_id.in_(ids))).scalars()}  # fmt: skip
    missing = [i for i in ids if i not in visible and i not in assigned]
    if missing:
        raise ChoiceError(
            "No question you can practise has the id " + ", ".join(map(str, missing)) + "."
        )
    return [visible.get(i) or assigned[i] for i in ids]


def _enough(questions: list[Question], where: str) -> list[Question]:
    if len(questions) < MIN_QUESTIONS:
        raise ChoiceError(
            f"Only {len(questions)} question{'' if len(questions) == 1 else 's'} {where}: an "
            f"interview needs at least {MIN_QUESTIONS}. Choose more categories, or practise "
            "single questions instead."
        )
    return questions
