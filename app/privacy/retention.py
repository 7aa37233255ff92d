"""Keeping recordings only as long as their owner asked, and nothing nobody refers to.

Both run in the worker's hourly job (``hourly_cleanup``). Each is a loop over many users'
answers and files: one that fails (a file the store will not delete, an answer whose
recorder never sent audio) is logged and left for the next hour, and the loop goes on, so
one bad answer never keeps everyone else's recordings past their time.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from app.extensions import begin_write, db
from app.models import Attempt, AttemptPiece, InterviewerSpeech, User, utcnow
from app.recordings.keys import is_piece_key, is_recording_key, wav_key
from app.reports.attempts import transcript_values

log = logging.getLogger(__name__)


def apply_retention(now=None) -> int:
    """Delete recordings older than each user's retention setting; return how many went."""
    now = now or utcnow()
    removed = 0
    user_ids = (
        db.session.execute(db.select(User.id).where(User.retention_days.is_not(None)))
        .scalars()
        .all()
    )
    db.session.commit()  # the list was a read; each user's sweep below is a write of its own
    for user_id in user_ids:
        # The lock up front: the sweep reads the old answers, then marks them, and on SQLite
        # a read snapshot that a worker's commit made stale may not write.
        begin_write()
        try:
            removed += _retain_for(db.session.get(User, user_id), now)
        except Exception:
            db.session.rollback()
            log.exception("retention for user %s failed; the next run tries again", user_id)
    return removed


def _retain_for(user: User, now) -> int:
    """Delete one user's recordings older than their setting; count them."""
    store = current_app.extensions["rebound_store"]
    cutoff = now - timedelta(days=user.retention_days)
    old = db.session.execute(
        db.select(Attempt).where(Attempt.owner_id == user.id, Attempt.created_at < cutoff,
                                 Attempt.audio_deleted_at.is_(None),
                                 Attempt.status.in_(("done", "failed")))
    ).scalars().all()  # fmt: skip
    removed = 0
    for attempt in old:
        # An answer whose recorder sent nothing has no file: there is only text to drop.
        keys = (attempt.audio_key, wav_key(attempt.audio_key)) if attempt.audio_key else ()
        try:
            for key in keys:
                store.delete(key)
        except Exception:
            log.exception("retention: the recording of attempt %s was not deleted", attempt.id)
            continue
        attempt.audio_deleted_at = now
        if user.retention_drops_transcripts:
            # The stored metrics quote the words (fillers, STAR cues): they go with them.
            for column, value in transcript_values(
                "", [], attempt.duration_s, attempt.question
            ).items():
                setattr(attempt, column, value)
            attempt.live_words, attempt.partial_text, attempt.live_guess = [], "", None
        removed += bool(keys)
    db.session.commit()
    return removed


def sweep_orphans(older_than_s: float = 3600) -> int:
    """Delete stored recordings and pieces that nothing refers to (no answer, piece or
    interviewer's speech); return how many went.

    A web process killed between storing an upload's files (or a streamed piece) and
    committing its row leaves such files behind. Only files older than ``older_than_s`` are
    touched, so an upload in progress (stored, not yet committed) is never taken for an
    orphan.
    """
    store = current_app.extensions["rebound_store"]
    referenced = set()
    for (key,) in db.session.execute(db.select(Attempt.audio_key).where(Attempt.audio_key != "")):
        referenced.update((key, wav_key(key)))
    referenced.update(db.session.execute(db.select(AttemptPiece.key)).scalars())
    # The interviewer's stored speech (``.ogg`` like a recording) belongs to no answer.
    referenced.update(db.session.execute(db.select(InterviewerSpeech.audio_key)).scalars())
    db.session.rollback()
    removed = 0
    for key in list(store.iter_keys(older_than_s)):
        if key in referenced or not (is_recording_key(key) or is_piece_key(key)):
            continue
        try:
            store.delete(key)
        except Exception:
            log.exception(
                "could not remove the unreferenced file %s; the next run tries again", key
            )
            continue
        removed += 1
    return removed


def hourly_cleanup() -> tuple[int, int]:
    """Retention, then the sweep: recordings removed by each. A failure in one is logged
    and the other still runs."""
    counts = []
    for step in (apply_retention, sweep_orphans):
        try:
            counts.append(step())
        except Exception:
            db.session.rollback()
            log.exception("%s failed; the next hourly run tries again", step.__name__)
            counts.append(0)
    return counts[0], counts[1]
