"""Attempts and comments as JSON-ready data: what the API returns and the export holds."""

from __future__ import annotations

from app.feedback.comments import comments_by_attempt
from app.feedback.reviews import ratings_by_attempt
from app.models import Attempt, AttemptStatus
from app.reports.attempts import attempt_metrics
from app.reports.goals import goal_outcome
from app.reports.takeaway import takeaway_for


def attempt_record(attempt: Attempt) -> dict:
    """An attempt as JSON-ready data (used by the API and the export)."""
    return attempt_records([attempt])[0]


def attempt_records(attempts: list[Attempt]) -> list[dict]:
    """Several attempts as JSON-ready data: their comments and ratings in one query each."""
    ids = [attempt.id for attempt in attempts]
    comments, ratings = comments_by_attempt(ids), ratings_by_attempt(ids)
    return [_record(a, comments[a.id], ratings[a.id]) for a in attempts]


def _record(attempt: Attempt, comments: list[dict], ratings: list) -> dict:
    metrics = attempt_metrics(attempt)
    takeaway = takeaway_for(metrics, attempt.question, owner_id=attempt.owner_id,
                            comments=comments, ratings=ratings)  # fmt: skip
    return {
        "id": attempt.id,
        "question_id": attempt.question_id,
        "question": attempt.question.text,
        "category": attempt.question.category,
        "status": attempt.status,
        "error": attempt.error or None,
        "created_at": attempt.created_at.isoformat() + "Z",
        "duration_s": attempt.duration_s,
        "audio_format": attempt.audio_format,
        "self_rating": attempt.self_rating,
        "transcript": {"text": attempt.transcript_text, "words": attempt.words}
        if attempt.status == AttemptStatus.DONE
        else None,
        "metrics": metrics,
        # The one thing to change next, and the goal this try set out with (and if it met it).
        "takeaway": takeaway.record() if takeaway else None,
        "goal": goal_outcome(attempt, metrics),
        # What the worker heard so far, while the answer is recorded or transcribed.
        "partial_text": attempt.partial_text if attempt.is_pending else None,
        "engine": attempt.engine or None,
        "model": attempt.model or None,
        "comments": [comment_record(item["comment"], item["replies"]) for item in comments],
        "ratings": [
            {
                "reviewer": r.reviewer.name,
                "rubric": r.rubric.name,
                "scores": r.scores,
                "note": r.note,
                "updated_at": r.updated_at.isoformat() + "Z",
            }
            for r in ratings
        ],
    }


def comment_record(comment, replies=()) -> dict:
    """A comment as JSON-ready data."""
    return {
        "id": comment.id,
        "author": comment.author.name,
        "body": comment.body,
        "suggestion": comment.suggestion or None,
        "start_s": comment.start_s,
        "end_s": comment.end_s,
        "word_start": comment.word_start,
        "word_end": comment.word_end,
        "addressed": comment.addressed_at is not None,
        "created_at": comment.created_at.isoformat() + "Z",
        "replies": [comment_record(r) for r in replies],
    }
