"""The job queue: huey, on SQLite by default and on Redis when ``REDIS_URL`` is set.

The queue only carries attempt ids. The attempt row is the source of truth: a job lost with
a killed worker is found again by ``reap`` (a lease on the row, renewed while the job runs),
which every worker runs when it starts and every ``REAP_INTERVAL_SECONDS`` after.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app, has_app_context
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab

from app.extensions import db
from app.privacy.retention import hourly_cleanup
from app.recordings.streaming import finish_abandoned
from app.reports.stored import refresh_metrics
from app.worker.jobs import prepare_interviewer_speech, transcribe_attempt, transcribe_live
from app.worker.reaper import reap

if TYPE_CHECKING:
    from flask import Flask
    from huey.api import Huey


log = logging.getLogger(__name__)
# Where the storage orders jobs (huey on SQLite; Redis lists keep arrival order), a final
# transcript goes before the live transcripts of answers still being recorded.
FINAL_PRIORITY = 10
# Stale answers measured again per job; the job queues the next share behind whatever
# arrived meanwhile, so a rules change never holds up a transcript for long. Reading an
# answer by meaning takes 0.1-0.3 s on one core (bench/UNDERSTANDING.md): 20 a job keep a
# transcript waiting a few seconds at most.
REFRESH_PER_JOB = 20
# The interviewer's next words are made while the candidate answers; any transcript, final
# or live, matters more to the candidate than speech that is needed only after Stop.
SPEECH_PRIORITY = -5


@contextmanager
def job_context(app: Flask):
    """The app context a job runs in. Run at once in the caller's thread (tests, one-off
    scripts), a job first ends a transaction of the caller's that has changed nothing, as a
    worker would only start once the caller's reads were done: on SQLite the caller may hold
    the write lock from BEGIN (a POST does), and the job's own write would wait on it."""
    if has_app_context() and current_app.config["QUEUE_IMMEDIATE"]:
        caller = db.session()
        if caller.in_transaction() and not (caller.new or caller.dirty or caller.deleted):
            caller.commit()
    with app.app_context():
        yield


class JobQueue:
    """A Flask extension holding the app's huey instance and its tasks."""

    def __init__(self) -> None:
        self.huey: Huey | None = None
        self._transcribe = None
        self._live = None
        self._speech = None

    def init_app(self, app: Flask) -> None:
        """Create the huey instance this app's settings ask for and register the tasks."""
        if app.config["QUEUE_IMMEDIATE"]:
            # Tests and one-off scripts: run each job at once, in the calling thread.
            huey = MemoryHuey("rebound", immediate=True, results=False)
        elif app.config["REDIS_URL"]:
            # Any number of workers on any number of machines take jobs from one list.
            huey = RedisHuey(
                app.config["QUEUE_NAME"], url=app.config["REDIS_URL"], results=False, blocking=True
            )
        else:
            path = Path(app.config["QUEUE_PATH"])
            path.parent.mkdir(parents=True, exist_ok=True)
            huey = SqliteHuey(
                app.config["QUEUE_NAME"], filename=str(path), results=False, timeout=30
            )

        def transcribe_attempt_job(attempt_id: int) -> None:
            with job_context(app):
                transcribe_attempt(attempt_id)

        def transcribe_live_job(attempt_id: int) -> None:
            with job_context(app):
                transcribe_live(attempt_id)

        def prepare_speech_job(texts: list[str]) -> None:
            # One text takes Piper 0.3-1 s; a transcript queued meanwhile goes first, and
            # the texts left come back behind it.
            with job_context(app):
                left = prepare_interviewer_speech(texts, lambda: self.pending() > 0)
            if left:
                self.enqueue_speech(left)

        def reap_job() -> None:
            with job_context(app):
                for attempt_id in reap():
                    self.enqueue_transcription(attempt_id)
                finish_abandoned()

        def retention_job() -> None:
            with job_context(app):
                _retained, orphans = hourly_cleanup()
                if orphans:
                    log.info("removed %s stored file(s) that no answer refers to", orphans)

        def refresh_metrics_job(after: int = 0) -> None:
            with job_context(app):
                stored, left_after = refresh_metrics(after, REFRESH_PER_JOB)
            if stored:
                log.info("stored the metrics of %s answer(s) measured again", stored)
            if left_after is not None:
                self._refresh(left_after)

        self._refresh = huey.task(name="refresh_metrics")(refresh_metrics_job)
        self._refresh_hourly = huey.periodic_task(
            crontab(minute="47"), name="refresh_metrics_hourly"
        )(refresh_metrics_job)
        self._transcribe = huey.task(name="transcribe_attempt")(transcribe_attempt_job)
        self._retention = huey.periodic_task(crontab(minute="17"), name="apply_retention")(
            retention_job
        )
        self._reap = huey.task(name="reap_attempts")(reap_job)
        self._live = huey.task(name="transcribe_live")(transcribe_live_job)
        self._speech = huey.task(name="prepare_speech")(prepare_speech_job)
        self.huey = huey
        app.extensions["rebound_queue"] = self

    def enqueue_transcription(self, attempt_id: int) -> bool:
        """Ask a worker to transcribe this attempt (passes the id, never the object).

        If the queue cannot be reached the attempt stays ``queued`` in the database, and
        the next reaper run (every ``REAP_INTERVAL_SECONDS``) queues it: nothing is lost,
        so the caller's request still succeeds.
        """
        try:
            if self.huey.storage.priority:
                # Someone is waiting for this one: it goes before live transcripts.
                self._transcribe(attempt_id, priority=FINAL_PRIORITY)
            else:
                self._transcribe(attempt_id)
        except Exception as err:
            if self.huey is not None and self.huey.immediate:
                raise  # tests and one-off scripts run the job here: its errors are real
            log.warning("could not queue attempt %s (%s); the reaper will", attempt_id, err)
            return False
        return True

    def enqueue_live(self, attempt_id: int) -> bool:
        """Ask a worker to transcribe what has arrived of a recording still in progress.

        Losing this job loses nothing: the next piece asks again, and finish transcribes
        whatever the live runs did not.
        """
        try:
            self._live(attempt_id)
        except Exception as err:
            if self.huey is not None and self.huey.immediate:
                raise
            log.warning("could not queue a live transcript for %s (%s)", attempt_id, err)
            return False
        return True

    def enqueue_speech(self, texts: list[str]) -> bool:
        """Ask a worker to synthesise the interviewer's ``texts`` ahead of time, behind any
        transcript. Losing this job loses nothing: the speech is made when first asked for."""
        try:
            if self.huey.storage.priority:
                self._speech(list(texts), priority=SPEECH_PRIORITY)
            else:
                self._speech(list(texts))
        except Exception as err:
            if self.huey is not None and self.huey.immediate:
                raise
            log.warning("could not queue the interviewer's speech (%s)", err)
            return False
        return True

    def refresh_stored_metrics(self) -> None:
        """Ask a worker to measure again the answers whose stored metrics are stale."""
        try:
            self._refresh()
        except Exception as err:
            if self.huey is not None and self.huey.immediate:
                raise
            log.warning("could not queue the metrics refresh (%s); the hourly one will", err)

    def run_reaper(self) -> None:
        """Re-queue attempts whose worker vanished, now, in this process."""
        self._reap.call_local()

    def pending(self) -> int:
        """Jobs waiting in the queue (not counting the ones being run)."""
        return self.huey.pending_count()

    def ping(self) -> None:
        """Raise if the queue's storage cannot be reached."""
        self.huey.pending_count()


# The app's queue, bound in ``create_app``; recordings reach it as app.extensions["rebound_queue"].
queue = JobQueue()
