"""Handing a recorded answer to the transcription worker.

This package decides *when* an answer is to be transcribed; the worker owns the queue that
carries the request (``app.worker.queue``) and installs it on the app as
``app.extensions["rebound_queue"]``. Asking through the app keeps the dependency one way:
the worker imports recordings, never the reverse.
"""

from __future__ import annotations

from flask import current_app


def _queue():
    return current_app.extensions["rebound_queue"]


def request_transcription(attempt_id: int) -> bool:
    """Queue the whole transcript of a finished answer; False if the queue was unreachable
    (the attempt stays queued in the database and the reaper queues it again)."""
    return _queue().enqueue_transcription(attempt_id)


def request_live(attempt_id: int) -> bool:
    """Queue a live transcript of what has arrived of an answer still being recorded."""
    return _queue().enqueue_live(attempt_id)
