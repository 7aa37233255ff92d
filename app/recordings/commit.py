"""Keeping a checked recording: store its files, then commit its attempt exactly once.

Order matters for "nothing half-saved": the recording is checked and decoded first, its
files are stored under generated names, and only then is the attempt row committed. Any
failure removes the files written so far, and a failed commit removes them too. Whole
uploads (``upload``) and streamed answers at Stop (``streaming``) both come through here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Attempt
from app.recordings.audio import AudioInfo, DecodeLimits, decode_to_wav, probe
from app.recordings.errors import (
    DISK_FULL,
    STORAGE_DOWN,
    StorageError,
    StorageFull,
    StorageUnavailable,
    no_space,
)
from app.recordings.keys import wav_key

log = logging.getLogger(__name__)


def existing_attempt(owner_id: int, upload_id: str | None) -> Attempt | None:
    """The attempt this user already stored under ``upload_id`` (one take sent twice)."""
    if not upload_id:
        return None
    return db.session.execute(
        db.select(Attempt).filter_by(owner_id=owner_id, upload_id=upload_id)
    ).scalar_one_or_none()


def add_once(attempt: Attempt) -> Attempt:
    """Commit a new attempt, or return the one already stored under its ``upload_id``.

    Two requests with the same take can pass the ``existing_attempt`` check at once; the unique
    ``(owner_id, upload_id)`` lets only one commit, and the other gets that one back.
    """
    db.session.add(attempt)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        earlier = existing_attempt(attempt.owner_id, attempt.upload_id)
        if earlier is None:
            raise
        return earlier
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
    whole transcription decodes it when needed (``app.worker.jobs.whole_samples``).
    """
    limits = DecodeLimits.of(current_app.config)
    store = current_app.extensions["rebound_store"]
    wav = raw.with_suffix(".wav")
    try:
        try:
            if make_wav:
                info, duration = decode_to_wav(raw, wav, limits)
            else:
                info = probe(raw, limits.max_seconds, deadline=limits.deadline())
                duration = info.duration_s
        except OSError as err:
            # Writing the 16 kHz WAV is the first big write: a full disk shows up here.
            if no_space(err):
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
            if isinstance(err.__cause__, OSError) and no_space(err.__cause__):
                raise StorageFull(DISK_FULL) from err
            log.error("storing a recording failed: %s", err)
            raise StorageUnavailable(STORAGE_DOWN) from err
    finally:
        wav.unlink(missing_ok=True)
    return StoredRecording(key, info, duration, raw.stat().st_size)


def forget(store, keys: list[str]) -> None:
    """Remove what an unfinished upload stored; a failure here is logged, not raised."""
    for key in keys:
        try:
            store.delete(key)
        except StorageError as err:
            log.warning("could not remove %s after a failed upload: %s", key, err)
