"""JSON API of mock interviews: start one, answer its turns, read where it stands, hear it.

The interview page drives the same routes as a script would.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request

from app.extensions import db
from app.feedback.access import owned_attempt, viewable_mock_interview
from app.interviewer.choice import questions_for
from app.interviewer.interviews import (
    CLOSING,
    MODES,
    SILENCE_CHOICES,
    InterviewError,
    advance,
    answer_turn,
    greeting,
    start_interview,
)
from app.interviewer.records import interview_record
from app.models import InterviewTurn, MockInterview
from app.recordings.errors import AudioRejected
from app.recordings.upload import save_recording
from app.web.api import csrf_unless_bearer
from app.web.params import json_id
from app.web.voice import speech_response

bp = Blueprint("interview_api", __name__, url_prefix="/api/v1/mock-interviews")
MAX_CATEGORY = 100  # longer than any category name; a longer one is echoed back in no error


# The API's own rule: only cookie-authenticated calls need the CSRF token.
bp.before_request(csrf_unless_bearer)


def _owned(mock_interview_id: int) -> MockInterview:
    interview = viewable_mock_interview(g.user, mock_interview_id)
    if interview.owner_id != g.user.id:
        abort(404)  # a coach reads the interview; only its candidate answers it
    return interview


@bp.post("")
def create():
    """Start an interview: ``{"question_ids": [...]}`` or ``{"category": "...", "count": n}``
    (or ``"categories"``, ``"assignments": true``, ``"debrief_id"``), ``"mode"``."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(
            error='Send a JSON object: {"category": "Behavioural", "count": 5, "mode": "real"}.'
        ), 400
    categories = data.get("categories") or ([data["category"]] if data.get("category") else [])
    silence = data.get("silence_seconds", 5)
    try:
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise InterviewError("categories must be a list of category names.")
        if any(len(c) > MAX_CATEGORY for c in categories):
            raise InterviewError(f"A category name is at most {MAX_CATEGORY} characters; "
                                 "GET /api/v1/questions lists them.")  # fmt: skip
        mode = data.get("mode", "practice")
        if mode not in MODES:
            raise InterviewError('mode must be "practice" or "real".')
        debrief_id = data.get("debrief_id")
        if debrief_id is not None and json_id(debrief_id) is None:
            raise InterviewError("debrief_id must be the whole number of one of your debriefs.")
        if not isinstance(silence, int) or silence not in SILENCE_CHOICES:
            raise InterviewError(
                "silence_seconds must be one of " + ", ".join(map(str, SILENCE_CHOICES)) + "."
            )
        question_ids = data.get("question_ids")
        if question_ids is not None and (
            not isinstance(question_ids, list)
            or not question_ids
            or any(json_id(i) is None for i in question_ids)
        ):
            raise InterviewError(
                "question_ids must be a list of one or more question ids (whole numbers from "
                "1), as GET /api/v1/questions gives them; leave it out to have questions drawn."
            )
        questions, source = questions_for(
            g.user,
            question_ids=question_ids,
            categories=categories,
            count=data.get("count"),
            assignments=data.get("assignments") is True,
            debrief_id=json_id(debrief_id),
        )
        interview = start_interview(
            g.user,
            questions,
            mode=mode,
            source=source,
            silence_seconds=silence,
        )
    except InterviewError as err:
        return jsonify(error=str(err)), 422
    record = interview_record(interview, g.user)
    return jsonify(record | {"turn": record["current_turn"]}), 201


@bp.get("/<int:mock_interview_id>")
def show(mock_interview_id: int):
    """Where the interview stands: its turns, the current one, and each follow-up's trigger."""
    interview = viewable_mock_interview(g.user, mock_interview_id)
    if interview.owner_id == g.user.id and interview.status == "listening":
        # The worker moves it on when it has read the answer; this catches a late reading.
        advance(interview)
    return jsonify(interview_record(interview, g.user))


@bp.post("/<int:mock_interview_id>/turns/<int:turn_id>/answer")
def answer(mock_interview_id: int, turn_id: int):
    """Answer a turn: multipart ``audio``, or ``{"attempt_id": n}`` for an answer streamed
    with the attempts API. 202: the next turn is chosen once the answer is read."""
    interview = _owned(mock_interview_id)
    turn = db.session.get(InterviewTurn, turn_id)
    if turn is None or turn.mock_interview_id != interview.id:
        return jsonify(error="No such turn in this interview."), 404
    if request.is_json:
        data = request.get_json(silent=True)
        attempt_id = json_id(data.get("attempt_id")) if isinstance(data, dict) else None
        if attempt_id is None:
            return jsonify(
                error='Send {"attempt_id": 12} for a streamed answer, or the audio as multipart.'
            ), 400
        attempt = owned_attempt(g.user, attempt_id)
    else:
        if request.files.get("audio") is None:
            return jsonify(error="Attach the answer as the multipart field 'audio'."), 400
        try:
            attempt = save_recording(
                request.files["audio"], g.user.id, turn.question,
                upload_id=request.form.get("upload_id"),
            )  # fmt: skip
        except AudioRejected as err:
            return jsonify(error=str(err)), err.status
    try:
        answer_turn(interview, turn, attempt)
    except InterviewError as err:
        return jsonify(error=str(err)), 409
    return jsonify(interview_record(interview, g.user)), 202


@bp.get("/<int:mock_interview_id>/turns/<int:turn_id>/speech")
def turn_speech(mock_interview_id: int, turn_id: int):
    """The turn as the interviewer says it (Opus)."""
    interview = viewable_mock_interview(g.user, mock_interview_id)
    turn = db.session.get(InterviewTurn, turn_id)
    if turn is None or turn.mock_interview_id != interview.id:
        return jsonify(error="No such turn in this interview."), 404
    return speech_response(turn.text)


@bp.get("/<int:mock_interview_id>/speech/<any(greeting, closing):part>")
def spoken_part(mock_interview_id: int, part: str):
    """The interviewer's greeting or closing line (Opus)."""
    interview = viewable_mock_interview(g.user, mock_interview_id)
    return speech_response(greeting(interview) if part == "greeting" else CLOSING)
