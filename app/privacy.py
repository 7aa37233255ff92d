"""Deleting for real: an attempt's recordings, a question's history, a whole account.

Recordings are removed from storage, not hidden; shares go with the account, so a recruiter
loses access on their next request.
"""

from __future__ import annotations

import re

from flask import current_app

from .banks import user_scope
from .extensions import db
from .models import (
    ApiToken,
    Assignment,
    Attempt,
    Comment,
    Interview,
    InterviewFeedback,
    Practice,
    Question,
    Rating,
    Rubric,
    Share,
    User,
)  # fmt: skip
from .recording import delete_attempt


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


def apply_retention(now=None) -> int:
    """Delete recordings older than each user's retention setting; return how many went."""
    from datetime import timedelta

    from .jobs import wav_key
    from .models import utcnow

    now = now or utcnow()
    store = current_app.extensions["rebound_store"]
    removed = 0
    users = (
        db.session.execute(db.select(User).where(User.retention_days.is_not(None))).scalars().all()
    )
    for user in users:
        cutoff = now - timedelta(days=user.retention_days)
        old = db.session.execute(
            db.select(Attempt).where(Attempt.owner_id == user.id, Attempt.created_at < cutoff,
                                     Attempt.audio_deleted_at.is_(None),
                                     Attempt.status.in_(("done", "failed")))
        ).scalars().all()  # fmt: skip
        for attempt in old:
            for key in (attempt.audio_key, wav_key(attempt.audio_key)):
                store.delete(key)
            attempt.audio_deleted_at = now
            if user.retention_drops_transcripts:
                attempt.transcript_text, attempt.words = "", []
            removed += 1
        db.session.commit()
    return removed


# What a recording's key looks like (``storage.new_key``): the original and its 16 kHz copy.
RECORDING_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}\.(webm|ogg|m4a|wav|mp3|flac|16k\.wav)$")


def sweep_orphans(older_than_s: float = 3600) -> int:
    """Delete stored recordings that no answer refers to; return how many went.

    A web process killed between storing an upload's files and committing its row leaves
    such files behind. Only files older than ``older_than_s`` are touched, so an upload in
    progress (stored, not yet committed) is never taken for an orphan.
    """
    from .jobs import wav_key

    store = current_app.extensions["rebound_store"]
    referenced = set()
    for (key,) in db.session.execute(db.select(Attempt.audio_key).where(Attempt.audio_key != "")):
        referenced.update((key, wav_key(key)))
    db.session.rollback()
    removed = 0
    for key in list(store.iter_keys(older_than_s)):
        if RECORDING_KEY.match(key) and key not in referenced:
            store.delete(key)
            removed += 1
    return removed
