"""Server-Sent Events: an answer's progress pushed to the page (or script) waiting for it.

A stream sends ``retry``, then an event for each change ``recordings.progress.follow``
finds: ``status`` (JSON ``{id, status, partial_text, notice}``) while the answer is recorded,
queued or transcribed, then one final ``done`` (with the transcript), ``failed`` (with the
reason) or ``gone``, and ends. A comment line every ``HEARTBEAT_S`` keeps proxies from
closing a quiet stream and lets the server notice a closed tab. A stream still pending after
``EVENT_STREAM_SECONDS`` ends too; EventSource reconnects by itself after ``RETRY_MS``.

Each open stream holds one server thread (waitress's, or one of gunicorn's gthread worker
threads) for its life, asleep between checks. So each web process accepts at most
``EVENT_STREAMS`` at once (``rebound serve``: half of ``--threads``) and each user at most
``EVENT_STREAMS_PER_USER`` of those; past either, 503 or 429, and the page polls instead
(``static/progress.js``). The rest of the threads stay free for pages and uploads. A closed
tab gives its thread back at the next check under waitress, which watches the connection
while the request runs; under gunicorn, when a write to it fails (a heartbeat at the latest).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from time import monotonic

from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import DBAPIError

from app.recordings.progress import follow

HEARTBEAT_S = 5.0
RETRY_MS = 500
# Where the server does not say how many threads it has (flask run, tests).
DEFAULT_STREAMS = 4


class StreamSlots:
    """How many event streams this process holds open, in all and per user."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: Counter[int] = Counter()

    @property
    def open(self) -> int:
        return sum(self._users.values())

    def take(self, user_id: int, total: int, per_user: int) -> str | None:
        """Count a new stream for ``user_id``; or say why not (``None``: taken)."""
        with self._lock:
            if self._users[user_id] >= per_user:
                return "user"
            if self.open >= total:
                return "server"
            self._users[user_id] += 1
            return None

    def give_back(self, user_id: int) -> None:
        with self._lock:
            self._users[user_id] -= 1
            if self._users[user_id] <= 0:
                del self._users[user_id]


def message(event: str, data: dict) -> str:
    """One Server-Sent Event: a name and a line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _events(app: Flask, attempt_id: int, until: float, left: Callable[[], bool]):
    yield f"retry: {RETRY_MS}\n\n"
    quiet_since = monotonic()
    try:
        for progress in follow(app, attempt_id, until):
            if left():
                return
            if progress is not None:
                yield message(progress.event, progress.data)
                quiet_since = monotonic()
            elif monotonic() - quiet_since >= HEARTBEAT_S:
                yield ": waiting\n\n"
                quiet_since = monotonic()
    except DBAPIError as err:
        # The headers are sent: end the stream; the browser connects again, then polls.
        app.logger.warning("event stream of attempt %s ended: database error %s", attempt_id, err)


def progress_stream(attempt_id: int, user_id: int) -> Response:
    """The response that streams the attempt's progress, or a 429/503 when no slot is free.

    The caller has checked who may see the attempt; nothing here reads the request again.
    """
    app = current_app._get_current_object()
    config = app.config
    slots = app.extensions.setdefault("rebound_event_streams", StreamSlots())
    total = config["EVENT_STREAMS"] or DEFAULT_STREAMS
    refused = slots.take(user_id, total, config["EVENT_STREAMS_PER_USER"])
    if refused == "user":
        return jsonify(error=f"You already follow {config['EVENT_STREAMS_PER_USER']} answers "
                             "live; this page checks once a second instead."), 429  # fmt: skip
    if refused == "server":
        response = jsonify(error="The server is following as many answers live as it can; "
                                 "this page checks once a second instead.")  # fmt: skip
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response
    until = monotonic() + config["EVENT_STREAM_SECONDS"]
    # waitress (with channel_request_lookahead, see commands/serve.py) says at once when the
    # client has gone; elsewhere a write after a closed tab fails, at the latest a heartbeat.
    left = request.environ.get("waitress.client_disconnected", lambda: False)
    response = Response(_events(app, attempt_id, until, left), mimetype="text/event-stream")
    # Called by the WSGI server when the stream ends or the client goes, even if the body was
    # never started (a HEAD request): the slot always comes back.
    response.call_on_close(lambda: slots.give_back(user_id))
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx would hold the events back otherwise
    return response
