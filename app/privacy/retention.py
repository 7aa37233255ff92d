"""Keeping recordings only as long as their owner asked, and nothing nobody refers to."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from app.extensions import db
from app.models import Attempt, User, utcnow
from app.recordings.keys import is_recording_key, wav_key


def apply_retention(now=None) -> int:
    """Delete recordings older than each user's retention setting; return how many went."""
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


def sweep_orphans(older_than_s: float = 3600) -> int:
    """Delete stored recordings that no answer refers to; return how many went.

    A web process killed between storing an upload's files and committing its row leaves
    such files behind. Only files older than ``older_than_s`` are touched, so an upload in
    progress (stored, not yet committed) is never taken for an orphan.
    """
    store = current_app.extensions["rebound_store"]
    referenced = set()
    for (key,) in db.session.execute(db.select(Attempt.audio_key).where(Attempt.audio_key != "")):
        referenced.update((key, wav_key(key)))
    db.session.rollback()
    removed = 0
    for key in list(store.iter_keys(older_than_s)):
        if is_recording_key(key) and key not in referenced:
            store.delete(key)
            removed += 1
    return removed
