"""An audit log the candidate can read: who viewed, heard, commented on or rated an attempt."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import begin_write, db
from app.models import Attempt, AuditEvent, User, utcnow

# Repeated views and listens within this window are one event (seeking the player is not news).
QUIET = timedelta(minutes=10)
ACTIONS = {"viewed": "opened it", "listened": "listened to it", "commented": "commented",
           "rated": "rated it", "api": "read it through the API"}  # fmt: skip


READS = ("viewed", "listened", "api")


def _recent(attempt: Attempt, actor: User, action: str) -> bool:
    return db.session.execute(
        db.select(AuditEvent.id).where(AuditEvent.attempt_id == attempt.id, AuditEvent.actor_id == actor.id,
                                       AuditEvent.action == action, AuditEvent.created_at > utcnow() - QUIET)
    ).first() is not None  # fmt: skip


def record(attempt: Attempt, actor: User, action: str) -> None:
    """Note what someone other than the owner did with the attempt.

    A read already noted in the last ``QUIET`` minutes costs one query and no write lock:
    every htmx poll of a shared answer comes through here.
    """
    if actor.id == attempt.owner_id or (action in READS and _recent(attempt, actor, action)):
        return
    # End the request's read, then write with the lock taken up front (see _tune_sqlite).
    db.session.commit()
    begin_write()
    if action not in READS or not _recent(attempt, actor, action):  # none arrived meanwhile
        note(attempt, actor, action)
    db.session.commit()


def note(attempt: Attempt, actor: User, action: str) -> None:
    """Add the event to the caller's transaction, so it is saved with what it describes."""
    if actor.id != attempt.owner_id:
        db.session.add(AuditEvent(attempt_id=attempt.id, actor_id=actor.id, action=action))


def events_for(attempt: Attempt) -> list[AuditEvent]:
    """The attempt's audit log, newest first."""
    return list(db.session.execute(
        db.select(AuditEvent).where(AuditEvent.attempt_id == attempt.id).order_by(AuditEvent.created_at.desc())
    ).scalars())  # fmt: skip
