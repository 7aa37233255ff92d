"""A mock interview as JSON-ready data: what the API returns and the page reads."""

from __future__ import annotations

from flask import url_for

from app.interviewer.interviews import CLOSING as CLOSING_TEXT
from app.interviewer.interviews import current_turn, greeting
from app.interviewer.voice import voice_missing
from app.models import InterviewTurn, MockInterview, User


def speaks(viewer: User) -> bool:
    """Whether the interviewer's voice is served to this viewer (their setting, and the
    voice package being installed)."""
    return bool(viewer.interviewer_voice) and voice_missing() is None


def turn_record(turn: InterviewTurn, voiced: bool) -> dict:
    """One turn: what was asked, why (a follow-up's trigger), and the answer's id."""
    return {
        "id": turn.id,
        "position": turn.position,
        "kind": turn.kind,
        "question_id": turn.question_id,
        "text": turn.text,
        "speech_url": url_for(
            "interview_api.turn_speech", mock_interview_id=turn.mock_interview_id, turn_id=turn.id
        )
        if voiced
        else None,  # fmt: skip
        "trigger": turn.trigger,
        "why": turn.why or None,
        "attempt_id": turn.attempt_id,
    }


def interview_record(interview: MockInterview, viewer: User) -> dict:
    """The interview: its mode and status, every turn so far, and the current one."""
    voiced = speaks(viewer)
    current = current_turn(interview)

    def spoken(part: str) -> str | None:
        return url_for("interview_api.spoken_part", mock_interview_id=interview.id,
                       part=part) if voiced else None  # fmt: skip

    return {
        "id": interview.id,
        "mode": interview.mode,
        "status": interview.status,
        "question_ids": list(interview.question_ids),
        "silence_seconds": interview.silence_seconds,
        "think_seconds": interview.think_seconds,
        "created_at": interview.created_at.isoformat() + "Z",
        "finished_at": interview.finished_at.isoformat() + "Z" if interview.finished_at else None,
        "greeting": {"text": greeting(interview), "speech_url": spoken("greeting")},
        "closing": {"text": CLOSING_TEXT, "speech_url": spoken("closing")},
        "voice_note": None if voiced or not viewer.interviewer_voice else voice_missing(),
        "turns": [turn_record(t, voiced) for t in interview.turns],
        "current_turn": turn_record(current, voiced) if current is not None else None,
        "url": url_for("interviews.show", mock_interview_id=interview.id),
    }
