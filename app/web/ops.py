"""What operators and their tools look at: health, readiness, metrics and request logs.

- ``/healthz``: the process is up and answering (no other checks: a load balancer restarts
  what fails it).
- ``/readyz``: database, queue, storage and the model can all be reached; 503 and the
  failing parts otherwise (a load balancer sends no traffic here until it passes).
- ``/metrics``: Prometheus text format. Queue depth and answers by status are read when
  scraped; jobs done/failed and transcription seconds are lifetime totals kept in the
  database by the workers (``JobCounter``), so any web process reports the same numbers.
  Open to loopback callers; others need ``Authorization: Bearer $METRICS_TOKEN``.
- Every request gets an id (the caller's ``X-Request-ID`` when it is sane, else a new one),
  returned in the response header and attached to every log line of that request.
  ``LOG_FORMAT=json`` writes one JSON object per line.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
import uuid

from flask import Blueprint, Flask, Response, current_app, g, has_request_context, jsonify, request
from sqlalchemy import func, text

from app.extensions import db
from app.models import Attempt, AttemptStatus, JobCounter
from app.transcription.models import resolve_model
from app.web.errors import logged_path
from app.worker.queue import queue

bp = Blueprint("ops", __name__)
log = logging.getLogger("rebound.requests")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
LOOPBACK = ("127.0.0.1", "::1")


# Logs --------------------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extras."""

    FIELDS = ("method", "path", "status", "duration_ms", "user_id", "attempt_id", "remote")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "pid": record.process,
        }
        for field in self.FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str) -> None:
    """Log to stderr as text or JSON lines, each line carrying its request id."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
        handler.formatter.converter = time.gmtime
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    """Request ids and one log line per request."""

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        started = g.get("request_started")
        if started is not None and request.endpoint not in ("static", "ops.healthz"):
            user = g.get("user")
            log.info(
                "%s %s %s",
                request.method,
                logged_path(),
                response.status_code,
                extra={
                    "method": request.method,
                    "path": logged_path(),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": getattr(user, "id", None),
                    "remote": request.remote_addr,
                },
            )
        return response

    app.register_blueprint(bp)


# Health and readiness ------------------------------------------------------------------------


@bp.get("/healthz")
def healthz():
    """Alive: this process answers requests."""
    return jsonify(status="ok")


def _check_database() -> None:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()


def _check_queue() -> None:
    queue.ping()


def _check_storage() -> None:
    current_app.extensions["rebound_store"].check()


def _check_model() -> None:
    resolve_model(current_app.config["WHISPER_MODEL"], current_app.config["MODEL_CACHE_DIR"])


CHECKS = {
    "database": _check_database,
    "queue": _check_queue,
    "storage": _check_storage,
    "model": _check_model,
}


@bp.get("/readyz")
def readyz():
    """Ready: every part this process depends on answers. Failures are named, not detailed:
    the log has the details (this page is public)."""
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as err:
            current_app.logger.warning("readiness: %s failed: %s", name, err)
            results[name] = {"ok": False}
        else:
            results[name] = {"ok": True}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    ready = all(part["ok"] for part in results.values())
    return jsonify(status="ready" if ready else "not ready", checks=results), (
        200 if ready else 503
    )


# Metrics -----------------------------------------------------------------------------------


def _allowed_to_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    # Behind a proxy a request from loopback may be anyone the proxy let in: token only.
    if current_app.config["TRUSTED_PROXY_HOPS"] > 0:
        return False
    return request.remote_addr in LOOPBACK


def _sample(name: str, value: float, labels: dict[str, str] | None = None) -> str:
    if labels:
        inner = ",".join(f'{key}="{val}"' for key, val in sorted(labels.items()))
        return f"{name}{{{inner}}} {value:g}"
    return f"{name} {value:g}"


def metrics_text() -> str:
    """The metrics, in Prometheus text exposition format (version 0.0.4)."""
    lines: list[str] = []

    def family(name: str, kind: str, about: str, samples: list[str]) -> None:
        lines.extend([f"# HELP {name} {about}", f"# TYPE {name} {kind}", *samples])

    family(
        "rebound_queue_depth",
        "gauge",
        "Transcription jobs waiting in the queue.",
        [_sample("rebound_queue_depth", queue.pending())],
    )
    by_status = dict(
        db.session.execute(db.select(Attempt.status, func.count()).group_by(Attempt.status)).all()
    )
    family(
        "rebound_attempts",
        "gauge",
        "Answers stored, by transcription status.",
        [
            _sample("rebound_attempts", by_status.get(status, 0), {"status": status.value})
            for status in AttemptStatus
        ],
    )
    totals = dict(db.session.execute(db.select(JobCounter.name, JobCounter.value)).all())
    db.session.rollback()
    for name, about in (
        ("jobs_done", "Transcription jobs that stored a transcript."),
        ("jobs_failed", "Transcription jobs that ended in failure."),
        ("transcription_seconds", "Seconds workers spent transcribing stored transcripts."),
        ("audio_seconds", "Seconds of audio in stored transcripts."),
    ):
        metric = f"rebound_{name}_total"
        family(metric, "counter", about, [_sample(metric, totals.get(name, 0.0))])
    return "\n".join(lines) + "\n"


@bp.get("/metrics")
def metrics():
    """Prometheus scrape target."""
    if not _allowed_to_scrape():
        return jsonify(error="Metrics need the bearer token set in METRICS_TOKEN."), 403
    return Response(metrics_text(), mimetype="text/plain; version=0.0.4; charset=utf-8")
