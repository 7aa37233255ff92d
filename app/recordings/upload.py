"""Turn an uploaded answer into a stored, queued attempt, or reject it with a reason.

Order matters for "nothing half-saved": the upload is checked and decoded first, both files
are stored under generated names, and only then is the attempt row committed. Any failure
removes the files written so far, and a failed commit removes them too.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Attempt, AttemptPiece, AttemptStatus, Question
from app.recordings.commit import add_once, existing_attempt, forget, store_checked
from app.recordings.enqueue import request_transcription
from app.recordings.errors import DISK_FULL, AudioRejected, StorageFull, no_space
from app.recordings.gates import upload_gate
from app.recordings.keys import wav_key
from app.recordings.quota import check_room

log = logging.getLogger(__name__)


def _copy_upload(upload: FileStorage, folder: Path, limit: int) -> Path:
    """Write the upload to a temporary file in ``folder``, enforcing the byte limit."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, suffix=".upload")
    except OSError as err:
        raise StorageFull(DISK_FULL) from err
    path = Path(name)
    written = 0
    try:
        with open(fd, "wb") as out:
            while chunk := upload.stream.read(1 << 16):
                written += len(chunk)
                if written > limit:
                    raise AudioRejected(
                        f"The file is larger than the limit of {limit // (1024 * 1024)} MB. "
                        "Record a shorter answer or compress the file."
                    )
                out.write(chunk)
    except OSError as err:
        path.unlink(missing_ok=True)
        if no_space(err):
            raise StorageFull(DISK_FULL) from err
        raise
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def save_recording(
    upload: FileStorage | None,
    owner_id: int,
    question: Question,
    practice_id: int | None = None,
    upload_id: str | None = None,
) -> Attempt:
    """Check, decode and store an uploaded recording, create its attempt and queue it.

    The same ``upload_id`` twice (a double click, a retried request) returns the first attempt.
    """
    upload_id = (upload_id or "").strip()[:64] or None
    earlier = existing_attempt(owner_id, upload_id)
    if earlier is not None:
        return earlier
    with upload_gate().slot(owner_id, current_app.config["MAX_CONCURRENT_UPLOADS"]):
        return _save_new(upload, owner_id, question, practice_id, upload_id)


def _save_new(upload, owner_id, question, practice_id, upload_id) -> Attempt:
    """Check, decode, store and queue a new upload (the body of ``save_recording``)."""
    if upload is None or not upload.filename and not upload.content_length:
        raise AudioRejected("No recording was attached. Record an answer or choose a file.")
    cfg = current_app.config
    store = current_app.extensions["rebound_store"]
    store.spool_dir.mkdir(parents=True, exist_ok=True)
    raw = _copy_upload(upload, store.spool_dir, cfg["MAX_UPLOAD_MB"] * 1024 * 1024)
    written: list[str] = []
    try:
        check_room(owner_id, raw.stat().st_size)
        # No transaction stays open while the recording is decoded (seconds, up to the
        # decode timeout): on SQLite a POST holds the write lock from its first read, and
        # every other writer, the workers included, would wait on it.
        db.session.commit()
        stored = store_checked(raw, written)
        attempt = Attempt(
            owner_id=owner_id,
            question_id=question.id,
            practice_id=practice_id,
            status=AttemptStatus.QUEUED,
            upload_id=upload_id,
        )
        stored.fill(attempt)
        kept = add_once(attempt)
        if kept is not attempt:
            # The same take arrived twice at once: keep the one that was stored first.
            forget(store, written)
            return kept
    except BaseException:
        db.session.rollback()
        forget(store, written)
        raise
    finally:
        raw.unlink(missing_ok=True)
    request_transcription(attempt.id)
    return attempt


def retry(attempt: Attempt) -> bool:
    """Send a failed attempt back to the queue; False when it has no recording to retry."""
    if attempt.status != AttemptStatus.FAILED or not attempt.has_recording:
        return False
    attempt.status = AttemptStatus.QUEUED
    attempt.error = ""
    attempt.tries = 0
    db.session.commit()
    request_transcription(attempt.id)
    return True


def delete_attempt(attempt: Attempt) -> None:
    """Delete an attempt, both of its audio files and any streamed pieces."""
    store = current_app.extensions["rebound_store"]
    keys = [attempt.audio_key, wav_key(attempt.audio_key)] if attempt.audio_key else []
    keys += (
        db.session.execute(db.select(AttemptPiece.key).where(AttemptPiece.attempt_id == attempt.id))
        .scalars()
        .all()
    )
    db.session.execute(db.delete(AttemptPiece).where(AttemptPiece.attempt_id == attempt.id))
    db.session.delete(attempt)
    db.session.commit()
    # The row is gone: a file the store would not delete now is an orphan, swept within
    # the hour, and must not stop the deletion of the user's other answers.
    forget(store, keys)
