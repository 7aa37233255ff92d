"""Turn an uploaded answer into a stored, queued attempt, or reject it with a reason.

Order matters for "nothing half-saved": the upload is checked and decoded first, both files
are stored under generated names, and only then is the attempt row committed. Any failure
removes the files written so far, and a failed commit removes them too.
"""

from __future__ import annotations

import errno
import logging
import tempfile
import threading
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from .audio import (
    AudioInfo,
    AudioRejected,
    StorageFull,
    StorageUnavailable,
    TooManyUploads,
    decode_to_wav,
    probe,
)
from .extensions import db, queue
from .jobs import wav_key
from .models import Attempt, AttemptPiece, AttemptStatus, Question
from .storage import StorageError

log = logging.getLogger(__name__)

STORAGE_DOWN = (
    "Recordings cannot be stored right now: the storage service did not answer. Nothing "
    "was lost: keep this page open and submit again in a minute."
)
DISK_FULL = (
    "The server's disk is full, so your recording could not be saved. Nothing was "
    "lost: keep this page open and submit again later, or tell the administrator."
)


def _no_space(err: OSError) -> bool:
    return err.errno in (errno.ENOSPC, errno.EDQUOT)


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
        if _no_space(err):
            raise StorageFull(DISK_FULL) from err
        raise
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _existing(owner_id: int, upload_id: str | None) -> Attempt | None:
    if not upload_id:
        return None
    return db.session.execute(
        db.select(Attempt).filter_by(owner_id=owner_id, upload_id=upload_id)
    ).scalar_one_or_none()


def add_once(attempt: Attempt) -> Attempt:
    """Commit a new attempt, or return the one already stored under its ``upload_id``.

    Two requests with the same take can pass the ``_existing`` check at once; the unique
    ``(owner_id, upload_id)`` lets only one commit, and the other gets that one back.
    """
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        earlier = _existing(attempt.owner_id, attempt.upload_id)
        if earlier is None:
            raise
        return earlier
    return attempt


class UploadGate:
    """At most ``limit`` uploads in progress per user in this process; the rest get a 429.

    Decoding is the expensive part of an upload; one user should not occupy every web thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: dict[int, int] = {}

    @contextmanager
    def slot(self, user_id: int, limit: int):
        with self._lock:
            if self._active.get(user_id, 0) >= limit:
                raise TooManyUploads(
                    f"You already have {limit} uploads in progress. Wait for them to finish, "
                    "then submit again; your recording is still in the page."
                )
            self._active[user_id] = self._active.get(user_id, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._active[user_id] -= 1


class RedisUploadGate:
    """The same limit counted in Redis, so it holds across web processes and machines.

    A slot held by a process that was killed mid-upload expires after ``ttl_s``.
    """

    def __init__(self, url: str, ttl_s: int, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5)
        self.ttl_s, self.prefix = ttl_s, prefix

    @contextmanager
    def slot(self, user_id: int, limit: int):
        key = f"{self.prefix}:uploads:{user_id}"
        import redis

        try:
            with self.client.pipeline() as pipe:
                count, _ = pipe.incr(key).expire(key, self.ttl_s).execute()
        except redis.RedisError as err:
            # Fail open: a missing limit is better than refusing every candidate's answer.
            log.warning("upload limit not checked, Redis did not answer: %s", err)
            yield
            return
        if count > limit:
            self.client.decr(key)
            raise TooManyUploads(
                f"You already have {limit} uploads in progress. Wait for them to finish, "
                "then submit again; your recording is still in the page."
            )
        try:
            yield
        finally:
            with suppress(redis.RedisError):  # if Redis is gone, the key expires on its own
                self.client.decr(key)


gate = UploadGate()


def upload_gate():
    """The app's gate: Redis-backed with ``REDIS_URL``, else this process's own."""
    return current_app.extensions.get("rebound_upload_gate", gate)


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
    earlier = _existing(owner_id, upload_id)
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
            _forget(store, written)
            return kept
    except BaseException:
        db.session.rollback()
        _forget(store, written)
        raise
    finally:
        raw.unlink(missing_ok=True)
    queue.enqueue_transcription(attempt.id)
    return attempt


@dataclass(frozen=True)
class StoredRecording:
    """A checked recording and its 16 kHz WAV, both stored under ``key``."""

    key: str
    info: AudioInfo
    duration_s: float
    size_bytes: int

    def fill(self, attempt: Attempt) -> None:
        """Point the attempt at the stored files."""
        attempt.audio_key = self.key
        attempt.audio_format = self.info.label
        attempt.audio_mime = self.info.mime
        attempt.size_bytes = self.size_bytes
        attempt.duration_s = round(self.duration_s, 3)


def store_checked(raw: Path, written: list[str], make_wav: bool = True) -> StoredRecording:
    """Probe and decode the recording at ``raw``, then store it and its WAV.

    Keys are appended to ``written`` as soon as each file is stored, so the caller can
    remove them if anything later fails. Raises ``AudioRejected`` (or a subclass).
    Without ``make_wav`` (a streamed answer at Stop, whose pieces the live runs already
    decoded) the recording is probed but not decoded: the length is the probe's, and a
    whole transcription decodes it when needed (``jobs.whole_samples``).
    """
    cfg = current_app.config
    store = current_app.extensions["rebound_store"]
    wav = raw.with_suffix(".wav")
    try:
        info = probe(raw, cfg["MAX_ANSWER_SECONDS"])
        duration = info.duration_s
        try:
            if make_wav:
                duration = decode_to_wav(raw, info, wav)
        except OSError as err:
            # Writing the 16 kHz WAV is the first big write: a full disk shows up here.
            if _no_space(err):
                raise StorageFull(DISK_FULL) from err
            raise
        key = store.new_key(info.extension)
        try:
            store.save_file(key, raw)
            written.append(key)
            if make_wav:
                store.save_file(wav_key(key), wav)
                written.append(wav_key(key))
        except StorageError as err:
            if isinstance(err.__cause__, OSError) and _no_space(err.__cause__):
                raise StorageFull(DISK_FULL) from err
            log.error("storing a recording failed: %s", err)
            raise StorageUnavailable(STORAGE_DOWN) from err
    finally:
        wav.unlink(missing_ok=True)
    return StoredRecording(key, info, duration, raw.stat().st_size)


def _forget(store, keys: list[str]) -> None:
    """Remove what an unfinished upload stored; a failure here is logged, not raised."""
    for key in keys:
        try:
            store.delete(key)
        except StorageError as err:
            log.warning("could not remove %s after a failed upload: %s", key, err)


def retry(attempt: Attempt) -> None:
    """Send a failed attempt back to the queue."""
    attempt.status = AttemptStatus.QUEUED
    attempt.error = ""
    attempt.tries = 0
    db.session.commit()
    queue.enqueue_transcription(attempt.id)


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
    for key in keys:
        store.delete(key)
