"""Everything of one user in one zip: their data as JSON, and every recording they kept."""

from __future__ import annotations

import json
import shutil
import zipfile
from contextlib import suppress
from typing import BinaryIO

from app.extensions import db
from app.models import Attempt, MockInterview, utcnow
from app.recordings.errors import RecordingMissing
from app.reports.records import attempt_records

# Attempts whose comments and ratings are read in one query.
RECORDS_AT_ONCE = 200


def _records(attempts: list[Attempt]):
    for start in range(0, len(attempts), RECORDS_AT_ONCE):
        yield from attempt_records(attempts[start : start + RECORDS_AT_ONCE])


def export_zip(user, attempts: list[Attempt], own_questions: list, store, out: BinaryIO) -> None:
    """Write everything of one user into ``out``: a JSON file of their data and every recording.

    Recordings are streamed from the store into the archive, never read whole into memory,
    and stored as they are (they are compressed audio already).
    """
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        records = []
        for attempt, record in zip(attempts, _records(attempts), strict=True):
            extension = attempt.audio_key.rsplit(".", 1)[-1]
            name = f"audio/attempt-{attempt.id}.{extension}"
            audio = None
            # Opened straight away: an existence check first costs S3 a request more. No key:
            # no audio arrived; deleted by retention, or lost: nothing to add.
            with suppress(RecordingMissing):
                audio = store.open(attempt.audio_key) if attempt.has_recording else None
            if audio is not None:
                with audio, archive.open(zipfile.ZipInfo(name), "w", force_zip64=True) as entry:
                    shutil.copyfileobj(audio, entry, 1 << 20)
                record["audio_file"] = name
            records.append(record)
        data = {
            "exported_at": utcnow().isoformat(timespec="seconds") + "Z",
            "user": {"email": user.email, "calm_mode": user.calm_mode},
            "questions": [
                {
                    "id": q.id,
                    "text": q.text,
                    "category": q.category,
                    "difficulty": q.difficulty,
                    "testing": q.testing,
                    "tips": q.tips,
                    "answer_seconds": q.answer_seconds,
                    "tags": q.tags,
                    "talking_points": q.talking_points,
                    "source": q.source,
                }
                for q in own_questions
            ],  # fmt: skip
            "attempts": records,
            "mock_interviews": [_mock_interview(m) for m in _mock_interviews(user)],
        }
        archive.writestr("rebound.json", json.dumps(data, indent=2, ensure_ascii=False))


def _mock_interviews(user) -> list[MockInterview]:
    return list(db.session.execute(
        db.select(MockInterview).where(MockInterview.owner_id == user.id).order_by(MockInterview.id)
    ).scalars())  # fmt: skip


def _mock_interview(interview: MockInterview) -> dict:
    """A mock interview as exported: what was asked, why, and which answer replied."""
    return {
        "id": interview.id,
        "mode": interview.mode,
        "status": interview.status,
        "created_at": interview.created_at.isoformat(timespec="seconds") + "Z",
        "turns": [
            {
                "kind": t.kind,
                "question_id": t.question_id,
                "text": t.text,
                "trigger": t.trigger,
                "attempt_id": t.attempt_id,
            }
            for t in interview.turns
        ],  # fmt: skip
    }
