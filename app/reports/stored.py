"""Stored metrics brought up to date: answers measured under older rules, before their
question changed, or before metrics were stored at all.

Pages never write: they measure a stale answer when they show it. This rewrites the stored
metrics instead, a batch per transaction, so the pages read them again. The worker runs it
when it starts and every hour, a few hundred answers a job so transcription waits little;
``rebound metrics refresh`` runs all of it at once.
"""

from __future__ import annotations

from sqlalchemy import or_, update
from sqlalchemy.orm import defer

from app.extensions import begin_write, db
from app.models import BANK_SCOPE, Attempt, AttemptStatus, Question
from app.reports.attempts import transcript_values
from app.reports.definitions import tracked_values
from app.reports.speech import compute, metrics_fingerprint

BATCH = 100
# The columns a refresh rewrites: the transcript itself stays as it is.
MEASURED = ("metrics", "metrics_version", "tracked_values")


def stale_attempt_ids(after: int = 0) -> list[int]:
    """Transcribed answers (ids above ``after``, in order) whose stored metrics are missing
    or were measured under another fingerprint."""
    answered = db.select(Attempt.question_id).where(Attempt.status == AttemptStatus.DONE)
    questions = db.session.execute(db.select(Question).where(Question.id.in_(answered))).scalars()
    stale: list[int] = []
    for question in questions:
        fingerprint = metrics_fingerprint(question)
        stale += db.session.execute(
            db.select(Attempt.id).where(
                Attempt.question_id == question.id,
                Attempt.status == AttemptStatus.DONE,
                Attempt.id > after,
                or_(Attempt.metrics_version.is_(None), Attempt.metrics_version != fingerprint),
            )
        ).scalars()
    db.session.commit()
    return sorted(stale)


def refresh_metrics(after: int = 0, limit: int | None = None) -> tuple[int, int | None]:
    """Measure stale answers again (ids above ``after``, at most ``limit`` of them) and store
    their metrics. Returns how many were stored, and the id to continue after when ``limit``
    left some (None when none are left).

    Each write is guarded by the fingerprint it replaces, so an answer whose transcript
    changed meanwhile (retention dropped it) keeps the newer values.
    """
    ids = stale_attempt_ids(after)
    todo = ids if limit is None else ids[:limit]
    stored = sum(
        _measure_and_store(todo[start : start + BATCH]) for start in range(0, len(todo), BATCH)
    )
    return stored, (todo[-1] if len(todo) < len(ids) else None)


def warm_up() -> None:
    """Read one short answer by meaning, so the sentence model and the banks' questions are
    loaded before the first real answer needs them (seconds, once per process; a mock
    interview's next turn waits on that first reading)."""
    question = db.session.execute(
        db.select(Question).where(Question.scope == BANK_SCOPE).order_by(Question.id).limit(1)
    ).scalar_one_or_none()
    db.session.commit()
    said = "I asked my manager for a week and we shipped it on time."
    words = [{"word": " " + w, "start": i * 0.4, "end": i * 0.4 + 0.3}
             for i, w in enumerate(said.split())]  # fmt: skip
    compute(words, len(words) * 0.4, question, by_meaning=True)


def measure_attempt(attempt_id: int, delivery: dict | None = None) -> bool:
    """Read one transcribed answer by meaning and store its metrics, with ``delivery`` (how
    it sounded, measured from the audio), unless they are current already; the worker calls
    it right after saving a transcript. True when stored."""
    return _measure_and_store([attempt_id], delivery) == 1


def _measure_and_store(ids: list[int], delivery: dict | None = None) -> int:
    attempts = db.session.execute(
        db.select(Attempt).options(defer(Attempt.live_words))
        .where(Attempt.id.in_(ids), Attempt.status == AttemptStatus.DONE)
    ).scalars().all()  # fmt: skip
    # A refresh has no audio: each answer keeps the delivery measured when it was saved.
    measured = [
        (attempt.id, attempt.metrics_version,
         transcript_values(attempt.transcript_text, attempt.words, attempt.duration_s,
                           attempt.question,
                           delivery=delivery or (attempt.metrics or {}).get("delivery")))
        for attempt in attempts
        if attempt.metrics_version != metrics_fingerprint(attempt.question)
    ]  # fmt: skip
    # Measured first, outside the write: the write lock is held only for the UPDATEs.
    db.session.commit()
    if not measured:
        return 0
    begin_write()
    stored = 0
    for attempt_id, old, values in measured:
        if values["metrics"] is None:
            continue  # could not be measured (logged): the pages go on measuring it
        result = db.session.execute(
            update(Attempt)
            .where(Attempt.id == attempt_id, Attempt.status == AttemptStatus.DONE,
                   Attempt.metrics_version.is_not_distinct_from(old))
            .values({column: values[column] for column in MEASURED})
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        stored += result.rowcount
    db.session.commit()
    return stored


def add_delivery(attempt_id: int, delivery: dict | None) -> bool:
    """Store how an answer sounded into metrics already stored without it (a mock interview's
    answer is read by meaning first, so its next turn need not wait for the audio analysis).
    Guarded by the fingerprint read, so a newer measurement is never overwritten."""
    if delivery is None:
        return False
    attempt = db.session.execute(
        db.select(Attempt).options(defer(Attempt.live_words), defer(Attempt.words))
        .where(Attempt.id == attempt_id, Attempt.status == AttemptStatus.DONE)
    ).scalar_one_or_none()  # fmt: skip
    if attempt is None or not attempt.metrics:
        db.session.commit()
        return False
    metrics = dict(attempt.metrics) | {"delivery": delivery}
    version = attempt.metrics_version
    db.session.commit()
    begin_write()
    result = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.metrics_version.is_not_distinct_from(version))
        .values(metrics=metrics,
                tracked_values=tracked_values(metrics) if metrics.get("words") else None)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    db.session.commit()
    return result.rowcount == 1
