"""The reaper: answers whose worker vanished go back to the queue.

A job lost with a killed worker is found again here, from the lease in the attempt row
(renewed while the job runs). Every worker runs a ``Reaper`` thread: once when it starts,
then every ``REAP_INTERVAL_SECONDS``.
"""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import or_, update

from app.extensions import begin_write, db
from app.models import Attempt, AttemptStatus, utcnow
from app.worker.jobs import MAX_TRIES, count_jobs


def reap() -> list[int]:
    """Return attempts a worker should pick up: expired leases and queued rows.

    Attempts whose worker died too often are marked failed instead, so one recording that
    crashes the engine cannot loop forever.
    """
    db.session.commit()
    begin_write()
    now = utcnow()
    rows = db.session.execute(
        db.select(Attempt.id, Attempt.tries, Attempt.status).where(
            or_(
                Attempt.status == AttemptStatus.QUEUED,
                (Attempt.status == AttemptStatus.TRANSCRIBING) & (Attempt.lease_until < now),
            )
        )
    ).all()
    ready = []
    for attempt_id, tries, status in rows:
        if status == AttemptStatus.TRANSCRIBING and tries >= MAX_TRIES:
            given_up = db.session.execute(
                update(Attempt)
                .where(Attempt.id == attempt_id, Attempt.status == AttemptStatus.TRANSCRIBING)
                .values(
                    status=AttemptStatus.FAILED,
                    lease_until=None,
                    error="The worker stopped while transcribing this answer several times. "
                    "Press Retry to try once more.",
                )
            )
            if given_up.rowcount == 1:
                count_jobs({"jobs_failed": 1})
        else:
            ready.append(attempt_id)
    db.session.commit()
    return ready


class Reaper(threading.Thread):
    """Hands answers whose worker died back to the queue: at start, then at each interval.

    Every worker runs one; two reapers finding the same answer queue it twice, and the
    guarded claim in ``app.worker.jobs.claim`` lets only one job run it.
    """

    def __init__(self, app: Flask, interval_s: float) -> None:
        super().__init__(daemon=True, name="reaper")
        self.app, self.interval_s = app, interval_s
        self.stopped = threading.Event()

    def run(self) -> None:
        while True:
            try:
                with self.app.app_context():
                    self.app.extensions["rebound_queue"].run_reaper()
            except Exception:  # a database hiccup must not end reaping for good
                self.app.logger.exception("reaper: could not check for abandoned answers")
            if self.stopped.wait(self.interval_s):
                return
