"""Assignments: a recruiter asks a candidate to practise a question, maybe by a date."""

from __future__ import annotations

from datetime import date, datetime

from app.extensions import db
from app.models import Assignment, Attempt, Interview, Question, Share, User

MAX_NOTE = 2000


def assign(
    recruiter: User,
    candidate_id: int,
    question: Question,
    *,
    due_on: date | None = None,
    note: str = "",
    interview: Interview | None = None,
    follow_ups: dict | None = None,
) -> Assignment:
    """Ask the candidate to practise ``question``; they see it on their home page (and in
    ``interview``'s plan when it is given). ``follow_ups`` (checked by the caller with
    ``questions.follow_ups.check_follow_ups``) are what the mock interviewer asks after it."""
    assignment = Assignment(
        recruiter_id=recruiter.id,
        candidate_id=candidate_id,
        question_id=question.id,
        interview_id=interview.id if interview is not None else None,
        due_on=due_on,
        note=(note or "").strip()[:MAX_NOTE],
        follow_ups=dict(follow_ups or {}),
    )
    db.session.add(assignment)
    db.session.commit()
    return assignment


def given_by(recruiter: User, candidate_id: int) -> list[Assignment]:
    """What this recruiter assigned to this candidate, newest first."""
    return list(db.session.execute(
        db.select(Assignment).where(Assignment.recruiter_id == recruiter.id,
                                    Assignment.candidate_id == candidate_id)
        .order_by(Assignment.created_at.desc())
    ).scalars())  # fmt: skip


def for_interview(interview: Interview) -> list[Assignment]:
    """What recruiters added to this debrief's plan, oldest first."""
    return list(db.session.execute(
        db.select(Assignment).where(Assignment.interview_id == interview.id,
                                    Assignment.candidate_id == interview.owner_id)
        .order_by(Assignment.created_at, Assignment.id)
    ).scalars())  # fmt: skip


def assigned_since(recruiter_id: int, candidate_id: int) -> dict[int, datetime]:
    """Each question this recruiter assigned this candidate, with when it was first assigned."""
    rows = db.session.execute(
        db.select(Assignment.question_id, db.func.min(Assignment.created_at))
        .where(Assignment.recruiter_id == recruiter_id, Assignment.candidate_id == candidate_id)
        .group_by(Assignment.question_id)
    ).all()  # fmt: skip
    return dict(rows)


def follow_ups_for(question: Question, candidate_id: int) -> dict:
    """The follow-ups a recruiter wrote when assigning this question to this candidate: the
    latest assignment that has some, while its recruiter still shares with them; else {}."""
    rows = db.session.execute(
        db.select(Assignment.follow_ups)
        .join(Share, (Share.recruiter_id == Assignment.recruiter_id)
              & (Share.candidate_id == Assignment.candidate_id))
        .where(Assignment.candidate_id == candidate_id, Assignment.question_id == question.id,
               Share.revoked_at.is_(None))
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
    ).scalars()  # fmt: skip
    return next((dict(found) for found in rows if found), {})


def open_assignments(user) -> list:
    """Questions recruiters assigned to this user (while they still share), soonest due first.

    Each gets ``done``: whether the user answered the question after it was assigned.
    """
    rows = db.session.execute(
        db.select(Assignment).join(Share, (Share.recruiter_id == Assignment.recruiter_id)
                                   & (Share.candidate_id == Assignment.candidate_id))
        .where(Assignment.candidate_id == user.id, Share.revoked_at.is_(None))
        .order_by(Assignment.due_on.is_(None), Assignment.due_on, Assignment.created_at)
    ).unique().scalars().all()  # fmt: skip
    answered: dict[int, list] = {}
    if rows:  # only when/what was answered, never the transcripts: a history runs to thousands
        for question_id, created_at in db.session.execute(
            db.select(Attempt.question_id, Attempt.created_at).where(
                Attempt.owner_id == user.id,
                Attempt.question_id.in_({a.question_id for a in rows}),
            )
        ):
            answered.setdefault(question_id, []).append(created_at)
    result, seen = [], set()
    for assignment in rows:
        if assignment.id in seen:
            continue
        seen.add(assignment.id)
        assignment.done = any(
            t >= assignment.created_at for t in answered.get(assignment.question_id, [])
        )
        result.append(assignment)
    return result
