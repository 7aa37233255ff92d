"""JSON API for scripts and integrations (read-only for now; see docs in the README)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request, url_for

from .audio import AudioRejected
from .extensions import csrf, db
from .models import Attempt, Question
from .openapi import OPENAPI
from .recording import save_recording
from .reports import attempt_record
from .selection import visible_questions
from .views import int_arg, owned_attempt, visible_question

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def _csrf_unless_bearer():
    """Bearer-token calls carry no cookies, so need no CSRF token; session calls do."""
    if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("bearer"):
        csrf.protect()


@bp.get("/questions")
def questions():
    """Every question the user can practise."""
    rows = db.session.execute(visible_questions(g.user.id).order_by(Question.id)).scalars()
    return jsonify(questions=[
        {"id": q.id, "text": q.text, "category": q.category, "difficulty": q.difficulty,
         "answer_seconds": q.answer_seconds, "tags": q.tags, "own": q.is_own}
        for q in rows
    ])  # fmt: skip


@bp.get("/attempts")
def attempts():
    """The user's attempts, newest first, without word lists."""
    rows = db.session.execute(
        db.select(Attempt).where(Attempt.owner_id == g.user.id)
        .order_by(Attempt.created_at.desc(), Attempt.id.desc())
    ).scalars()  # fmt: skip
    return jsonify(attempts=[
        {"id": a.id, "status": a.status, "question_id": a.question_id, "duration_s": a.duration_s,
         "created_at": a.created_at.isoformat() + "Z", "error": a.error or None}
        for a in rows
    ])  # fmt: skip


@bp.post("/attempts")
def create_attempt():
    """Upload an answer (multipart: question_id, audio); 202 with the queued attempt."""
    question = visible_question(int_arg(request.form.get("question_id"), 0))
    try:
        attempt = save_recording(request.files.get("audio"), g.user.id, question)
    except AudioRejected as err:
        return jsonify(error=str(err)), 422
    return jsonify(
        id=attempt.id, status=attempt.status, url=url_for("api.attempt", attempt_id=attempt.id)
    ), 202


@bp.get("/openapi.json")
def openapi():
    """This API, described in OpenAPI 3.1."""
    return jsonify(OPENAPI)


@bp.get("/attempts/<int:attempt_id>")
def attempt(attempt_id: int):
    """One attempt: status, transcript with word timings, and its metrics."""
    return jsonify(attempt_record(owned_attempt(attempt_id)))
