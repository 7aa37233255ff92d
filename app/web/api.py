"""JSON API for scripts, integrations and the streaming recorder (see docs in the README)."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request, url_for
from sqlalchemy.orm import defer

from app.accounts.identity import AccountError
from app.extensions import csrf, db
from app.feedback.access import owned_attempt, viewable_attempt
from app.feedback.comments import add_comment
from app.feedback.errors import FeedbackError
from app.feedback.invitations import invite, revoke, share_attempt
from app.models import Attempt, Question, Share
from app.questions.practices import owned_practice
from app.questions.selection import practice_questions, visible_question
from app.recordings.errors import TRANSIENT, AudioRejected, PiecesMissing
from app.recordings.streaming import (
    fail_recording,
    finish_recording,
    request_live_transcription,
    start_recording,
    store_piece,
)
from app.recordings.upload import save_recording
from app.reports.goals import carry_goal
from app.reports.pages import PAGE_SIZE, page_of
from app.reports.records import attempt_record, attempt_records, comment_record
from app.web.events import progress_stream
from app.web.openapi import OPENAPI
from app.web.params import FieldError, int_arg, json_id, json_text
from app.web.voice import speech_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def csrf_unless_bearer():
    """Bearer-token calls carry no cookies, so need no CSRF token; session calls do (every
    API blueprint installs this)."""
    if (request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("bearer")
            and current_app.config.get("WTF_CSRF_ENABLED", True)):  # fmt: skip
        csrf.protect()


@bp.get("/questions")
def questions():
    """Every question the user can practise."""
    rows = db.session.execute(practice_questions(g.user.id).order_by(Question.id)).scalars()
    return jsonify(questions=[
        {"id": q.id, "text": q.text, "category": q.category, "difficulty": q.difficulty,
         "answer_seconds": q.answer_seconds, "tags": q.tags, "own": q.is_own}
        for q in rows
    ])  # fmt: skip


@bp.get("/questions/<int:question_id>/speech")
def question_speech(question_id: int):
    """The question spoken by the interviewer (Opus), for anyone who may practise it."""
    return speech_response(visible_question(g.user, question_id).text)


@bp.get("/attempts")
def attempts():
    """The user's attempts, newest first, a page at a time (``limit``, ``before``), each with
    transcript, metrics, comments and ratings; ``next`` is the URL of the next page."""
    rows, cursor = page_of(
        # Every column but the words heard while recording (``partial_text`` says them).
        db.select(Attempt).options(defer(Attempt.live_words)).where(Attempt.owner_id == g.user.id),
        int_arg(request.args.get("before")),
        int_arg(request.args.get("limit"), PAGE_SIZE),
    )
    limit = int_arg(request.args.get("limit"), PAGE_SIZE)
    following = url_for("api.attempts", before=cursor, limit=limit) if cursor else None
    return jsonify(attempts=attempt_records(rows), next=following)


QUESTION_ID_NEEDED = (
    "question_id is required: the whole number of a question from GET /api/v1/questions "
    "(a form field of the upload, or a number, not a string, in JSON)."
)


@bp.post("/attempts")
def create_attempt():
    """Upload an answer (multipart: question_id, audio), or start a streamed one (JSON)."""
    if request.is_json:
        return _start_streaming(request.get_json(silent=True))
    question_id = int_arg(request.form.get("question_id"))
    if question_id is None or question_id <= 0:
        return jsonify(error=QUESTION_ID_NEEDED), 400
    question = visible_question(g.user, question_id)
    try:
        attempt = save_recording(
            request.files.get("audio"), g.user.id, question, upload_id=request.form.get("upload_id")
        )
    except AudioRejected as err:
        return jsonify(error=str(err)), err.status
    carry_goal(attempt)
    return jsonify(
        id=attempt.id, status=attempt.status, url=url_for("api.attempt", attempt_id=attempt.id)
    ), 202


def _start_streaming(data):
    """``{question_id, streaming: true, upload_id?, practice_id?}`` → 201, ``recording``."""
    if not isinstance(data, dict) or data.get("streaming") is not True:
        return jsonify(
            error='Send {"question_id": 1, "streaming": true}, or upload a file as multipart.'
        ), 400
    question_id = json_id(data.get("question_id"))
    if question_id is None:
        return jsonify(error=QUESTION_ID_NEEDED), 400
    question = visible_question(g.user, question_id)
    upload_id = data.get("upload_id")
    practice = owned_practice(g.user, json_id(data.get("practice_id")))
    attempt = start_recording(
        g.user.id,
        question,
        upload_id=upload_id if isinstance(upload_id, str) else None,
        practice_id=practice.id if practice else None,
    )
    carry_goal(attempt)
    return jsonify(
        id=attempt.id, status=attempt.status, url=url_for("api.attempt", attempt_id=attempt.id)
    ), 201


# Bodies the app reads as fields or JSON before a route sees them.
PARSED_BODIES = ("multipart/form-data", "application/x-www-form-urlencoded", "application/json")


@bp.put("/attempts/<int:attempt_id>/chunks/<int:seq>")
def put_chunk(attempt_id: int, seq: int):
    """Store piece ``seq`` of a streamed recording (raw bytes); 204, also for a repeat.

    ``?last=true`` marks the recorder's last piece: finish follows at once, and a live run
    queued for it would only hold the worker the final job needs.
    """
    attempt = owned_attempt(g.user, attempt_id)
    if request.mimetype in PARSED_BODIES:
        # These bodies are read as fields before the route runs (the input checks), so the
        # bytes would arrive here empty: say how to send them instead of "the piece is empty".
        return jsonify(error="Send each piece as its raw bytes, with the header "
                             "Content-Type: application/octet-stream."), 415  # fmt: skip
    limit = current_app.config["MAX_PIECE_KB"] * 1024
    body = request.stream.read(limit + 1)
    try:
        if store_piece(attempt, seq, body) and request.args.get("last") != "true":
            request_live_transcription(attempt.id)
    except AudioRejected as err:
        return jsonify(error=str(err)), err.status
    return "", 204


@bp.post("/attempts/<int:attempt_id>/finish")
def finish_attempt(attempt_id: int):
    """Join the pieces into the recording and queue it; 202, also when already finished."""
    attempt = owned_attempt(g.user, attempt_id)
    try:
        attempt = finish_recording(attempt)
    except PiecesMissing as err:
        return jsonify(error=str(err), missing=err.missing), err.status
    except TRANSIENT as err:
        return jsonify(error=str(err)), err.status
    except AudioRejected as err:
        fail_recording(attempt, str(err))
        return jsonify(error=str(err)), err.status
    return jsonify(
        id=attempt.id, status=attempt.status, url=url_for("api.attempt", attempt_id=attempt.id)
    ), 202


@bp.get("/openapi.json")
def openapi():
    """This API, described in OpenAPI 3.1."""
    return jsonify(OPENAPI)


@bp.get("/attempts/<int:attempt_id>")
def attempt(attempt_id: int):
    """One attempt: status, transcript with word timings, metrics, comments, ratings."""
    attempt = viewable_attempt(g.user, attempt_id, read="api")
    return jsonify(attempt_record(attempt))


@bp.get("/attempts/<int:attempt_id>/events")
def attempt_events(attempt_id: int):
    """The attempt's progress as Server-Sent Events, until its transcript is final."""
    # A page that follows an answer reads it as the page would; a script, through the API.
    attempt = viewable_attempt(g.user, attempt_id, read="api" if g.get("bearer") else "viewed")
    return progress_stream(attempt.id, g.user.id)


@bp.post("/attempts/<int:attempt_id>/comments")
def comment(attempt_id: int):
    """Comment on an attempt shared with you: ``{body, start_s?, end_s?, suggestion?}``."""
    attempt = viewable_attempt(g.user, attempt_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error='Send a JSON object: {"body": "…", "start_s": 12.5}.'), 400
    try:
        created = add_comment(
            attempt,
            g.user,
            json_text(data, "body"),
            start_s=data.get("start_s"),
            end_s=data.get("end_s"),
            suggestion=json_text(data, "suggestion"),
        )
    except FieldError as err:
        return jsonify(error=str(err)), 400
    except FeedbackError as err:
        return jsonify(error=str(err)), err.status
    return jsonify(comment_record(created)), 201


@bp.post("/attempts/<int:attempt_id>/share")
def share_answer(attempt_id: int):
    """Share one of your answers with some of your shares: ``{share_ids, later?}``, as the
    answer page's Share button does (``later``: its question's later answers too)."""
    attempt = owned_attempt(g.user, attempt_id)
    data = request.get_json(silent=True)
    ids = data.get("share_ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not ids or any(json_id(i) is None for i in ids):
        return jsonify(error='Send a JSON object: {"share_ids": [3], "later": true}.'), 400
    try:
        reached = share_attempt(g.user, attempt, ids, later=data.get("later") is True)
    except AccountError as err:
        return jsonify(error=str(err)), 422
    return jsonify(share_ids=[s.id for s in reached])


@bp.post("/shares")
def create_share():
    """Share everything with a recruiter: ``{recruiter_email}`` → 201 ``{id}``."""
    data = request.get_json(silent=True)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("recruiter_email"), str)
        or not (data["recruiter_email"].strip())
    ):
        return jsonify(error='Send a JSON object: {"recruiter_email": "coach@example.com"}.'), 400
    try:
        share = invite(g.user, data["recruiter_email"], everything=True)
    except AccountError as err:
        return jsonify(error=str(err)), 422
    return jsonify(
        id=share.id,
        invite_url=url_for("shares.accept_invitation", token=share.invite_token, _external=True),
    ), 201


@bp.delete("/shares/<int:share_id>")
def delete_share(share_id: int):
    """Stop a share of yours."""
    share = db.session.get(Share, share_id)
    if share is None or share.candidate_id != g.user.id:
        return jsonify(error="No such share."), 404
    revoke(share)
    return "", 204
