"""The job queue: huey, with SQLite storage by default.

The queue only carries attempt ids. The attempt row is the source of truth: a job lost with
a killed worker is found again by ``reap`` (a lease on the row, renewed while the job runs),
which runs when a worker starts and every minute after.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from huey import MemoryHuey, SqliteHuey, crontab

if TYPE_CHECKING:
    from flask import Flask
    from huey.api import Huey


class JobQueue:
    """A Flask extension holding the app's huey instance and its tasks."""

    def __init__(self) -> None:
        self.huey: Huey | None = None
        self._transcribe = None

    def init_app(self, app: Flask) -> None:
        """Create the huey instance this app's settings ask for and register the tasks."""
        if app.config["QUEUE_IMMEDIATE"]:
            # Tests and one-off scripts: run each job at once, in the calling thread.
            huey = MemoryHuey("rebound", immediate=True, results=False)
        else:
            path = Path(app.config["QUEUE_PATH"])
            path.parent.mkdir(parents=True, exist_ok=True)
            huey = SqliteHuey("rebound", filename=str(path), results=False, timeout=30)

        def transcribe_attempt_job(attempt_id: int) -> None:
            from .jobs import transcribe_attempt

            with app.app_context():
                transcribe_attempt(attempt_id)

        def reap_job() -> None:
            from .jobs import reap

            with app.app_context():
                for attempt_id in reap():
                    self.enqueue_transcription(attempt_id)

        def retention_job() -> None:
            from .privacy import apply_retention

            with app.app_context():
                apply_retention()

        self._transcribe = huey.task(name="transcribe_attempt")(transcribe_attempt_job)
        self._retention = huey.periodic_task(crontab(minute="17"), name="apply_retention")(
            retention_job
        )
        self._reap = huey.periodic_task(crontab(minute="*"), name="reap_attempts")(reap_job)
        self.huey = huey
        app.extensions["rebound_queue"] = self

    def enqueue_transcription(self, attempt_id: int) -> None:
        """Ask a worker to transcribe this attempt (passes the id, never the object)."""
        self._transcribe(attempt_id)

    def run_reaper(self) -> None:
        """Re-queue attempts whose worker vanished, now (used at worker start)."""
        self._reap.call_local()
