"""Follow an answer until its transcript is final: what a page or a script waiting on it sees.

The worker that transcribes runs in another process, often on another machine, and the one
thing every deployment shares with it is the database (SQLite embedded, PostgreSQL with
Redis). So ``follow`` reads the attempt's row every ``CHECK_S`` seconds, each time in an
application context of its own whose session is removed before it sleeps: between two
checks it holds no connection, no SQLite read snapshot and no pool slot. It yields a
``Progress`` whenever what the candidate would see changes (the status, the words heard so
far, a notice while the worker retries) and ends with the transcript (``done``), the reason
it failed (``failed``), or ``gone`` when the answer was deleted meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from time import monotonic, sleep

from flask import Flask

from app.extensions import db
from app.models import Attempt, AttemptStatus

# How often the row is read: the push reaches the page at most this long after the worker
# commits. A read is one indexed SELECT of three short columns.
CHECK_S = 0.1
FINAL = ("done", "failed", "gone")
GONE = "This answer was deleted."


@dataclass(frozen=True)
class Progress:
    """One state of an answer: ``event`` is ``status`` while it may change, else final."""

    event: str
    data: dict = field(hash=False)

    @property
    def final(self) -> bool:
        """True when nothing will change any more: the stream that sent it can end."""
        return self.event in FINAL


def read_progress(attempt_id: int) -> Progress:
    """The attempt's state now; the transcript itself is read only once it is done."""
    row = db.session.execute(
        db.select(Attempt.status, Attempt.partial_text, Attempt.error).where(
            Attempt.id == attempt_id
        )
    ).first()
    if row is None:
        return Progress("gone", {"id": attempt_id, "status": None, "error": GONE})
    status, partial_text, error = row
    if status == AttemptStatus.DONE:
        text, words, duration_s = db.session.execute(
            db.select(Attempt.transcript_text, Attempt.words, Attempt.duration_s).where(
                Attempt.id == attempt_id
            )
        ).one()
        return Progress("done", {"id": attempt_id, "status": status, "duration_s": duration_s,
                                 "transcript": {"text": text, "words": words}})  # fmt: skip
    if status == AttemptStatus.FAILED:
        return Progress("failed", {"id": attempt_id, "status": status,
                                   "error": error or "The transcription failed."})  # fmt: skip
    # While pending, ``error`` is a notice (the worker retries); the page shows it as such.
    return Progress("status", {"id": attempt_id, "status": status, "partial_text": partial_text,
                               "notice": error or None})  # fmt: skip


def follow(
    app: Flask, attempt_id: int, until: float, check_s: float = CHECK_S
) -> Iterator[Progress | None]:
    """Each change of the attempt's state, the first read included, and ``None`` for each
    check that found none (a caller may send a heartbeat then). Ends after a final state, or
    at ``until`` (a ``time.monotonic()`` value) if the answer is still pending then."""
    last = None
    while True:
        with app.app_context():  # a session of its own, removed when the context ends
            now = read_progress(attempt_id)
        if now != last:
            yield now
            if now.final:
                return
            last = now
        else:
            yield None
        if monotonic() + check_s > until:
            return
        sleep(check_s)
