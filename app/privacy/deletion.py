"""Deleting for real: an attempt's recordings, a question's history, a whole account.

Recordings are removed from storage, not hidden; shares go with the account, so a recruiter
loses access on their next request.
"""

from __future__ import annotations

from flask import current_app

from app.extensions import db
from app.models import (
    ApiToken,
    Assignment,
    Attempt,
    Comment,
    Interview,
    InterviewFeedback,
    InterviewTurn,
    MockInterview,
    Practice,
    Question,
    Rating,
    Rubric,
    Share,
    User,
)  # fmt: skip
from app.questions.banks import user_scope
from app.recordings.upload import delete_attempt


def delete_history(user: User, question_id: int) -> int:
    """Delete every attempt of this user at one question, recordings included."""
    attempts = db.session.execute(
        db.select(Attempt).where(Attempt.owner_id == user.id, Attempt.question_id == question_id)
    ).scalars().all()  # fmt: skip
    for attempt in attempts:
        delete_attempt(attempt)
    return len(attempts)


def delete_account(user: User) -> None:
    """Remove the account and everything it owns; keep others' answers to its questions."""
    store = current_app.extensions["rebound_store"]
    # Mock interviews first: their turns point at the answers and questions removed below.
    # (Their speech stays: it is the interviewer's, shared by every account.)
    mock_ids = db.select(MockInterview.id).where(MockInterview.owner_id == user.id)
    db.session.execute(
        db.delete(InterviewTurn).where(InterviewTurn.mock_interview_id.in_(mock_ids))
    )
    db.session.execute(db.delete(MockInterview).where(MockInterview.owner_id == user.id))
    for attempt in (
        db.session.execute(db.select(Attempt).where(Attempt.owner_id == user.id)).scalars().all()
    ):
        delete_attempt(attempt)
    for model, column in ((Comment, Comment.author_id), (Rating, Rating.reviewer_id),
                          (ApiToken, ApiToken.user_id), (Practice, Practice.owner_id)):  # fmt: skip
        db.session.execute(db.delete(model).where(column == user.id))
    db.session.execute(
        db.delete(Share).where((Share.candidate_id == user.id) | (Share.recruiter_id == user.id))
    )
    db.session.execute(
        db.delete(Assignment).where(
            (Assignment.candidate_id == user.id) | (Assignment.recruiter_id == user.id)
        )
    )
    interviews = (
        db.session.execute(db.select(Interview.id).where(Interview.owner_id == user.id))
        .scalars()
        .all()
    )
    if interviews:
        db.session.execute(
            db.delete(InterviewFeedback).where(InterviewFeedback.interview_id.in_(interviews))
        )
        db.session.execute(
            db.update(Question)
            .where(Question.interview_id.in_(interviews))
            .values(interview_id=None)
        )
        db.session.execute(db.delete(Interview).where(Interview.id.in_(interviews)))
    for question in db.session.execute(
        db.select(Question).where(Question.scope == user_scope(user.id))
    ).scalars():
        answered = db.session.execute(
            db.select(Attempt.id).where(Attempt.question_id == question.id)
        ).first()
        if answered:
            # Someone else answered this (an assigned question): keep it for them, unowned.
            question.owner_id, question.scope = None, f"orphan:{question.id}"
        else:
            db.session.delete(question)
    db.session.execute(db.delete(Rubric).where(Rubric.owner_id == user.id))
    db.session.delete(user)
    db.session.commit()
    store.sweep_spool()
