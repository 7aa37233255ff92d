"""Recordings that arrive in pieces while the candidate speaks.

The recorder starts an attempt in status ``recording``, sends each MediaRecorder piece under
its sequence number (0, 1, 2, …) and calls finish at Stop. Pieces are kept in the audio store
(a local folder or S3), one object each, and listed in ``attempt_pieces``: the unique
``(attempt_id, seq)`` makes a repeated piece a no-op, and its SHA-256 tells a harmless
repeat from different bytes under a number already used (409).

Finish joins the pieces in order into one file, checks and decodes it exactly like an
upload, stores it as the attempt's recording, deletes the pieces and queues the final
transcription. A gap in the numbers at finish is refused (422, naming the missing pieces)
so the recorder can send them again; a recording whose pieces stopped arriving for
``ABANDONED_RECORDING_SECONDS`` (tab closed, laptop asleep) is finished by the worker's
reaper with the pieces before the first gap, so what arrived is never lost.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from app.extensions import begin_write, db
from app.models import Attempt, AttemptPiece, AttemptStatus, Question, utcnow
from app.recordings.commit import add_once, existing_attempt, forget, store_checked
from app.recordings.enqueue import request_live, request_transcription
from app.recordings.errors import (
    DISK_FULL,
    STORAGE_DOWN,
    TRANSIENT,
    AudioRejected,
    NotRecording,
    PieceConflict,
    PiecesMissing,
    PieceTooLarge,
    StorageError,
    StorageFull,
    StorageUnavailable,
    TooLong,
)
from app.recordings.gates import upload_gate
from app.recordings.probe import DecodeLimits, minutes, probe
from app.recordings.quota import check_room

log = logging.getLogger(__name__)

# More pieces than this is not a recording made with ~1 s pieces (10 minutes at most).
MAX_SEQ = 100_000
# Why an answer whose recorder sent nothing (a tab closed before the first piece) failed.
NO_AUDIO = "No audio arrived for this recording. Record your answer again."


def _start_write() -> None:
    """End the request's read transaction and take the write lock now (see begin_write).

    On SQLite a read transaction that later writes fails at once ("database is locked") if
    another process wrote meanwhile, instead of waiting: the worker writes all the time.
    """
    db.session.commit()
    begin_write()


def start_recording(
    owner_id: int,
    question: Question,
    upload_id: str | None = None,
    practice_id: int | None = None,
) -> Attempt:
    """Create an attempt that takes pieces; the same ``upload_id`` twice returns the first."""
    upload_id = (upload_id or "").strip()[:64] or None
    _start_write()
    earlier = existing_attempt(owner_id, upload_id)
    if earlier is not None:
        db.session.commit()
        return earlier
    attempt = Attempt(
        owner_id=owner_id,
        question_id=question.id,
        practice_id=practice_id,
        status=AttemptStatus.RECORDING,
        audio_key="",
        upload_id=upload_id,
        last_piece_at=utcnow(),
    )
    return add_once(attempt)


def _piece(attempt_id: int, seq: int) -> AttemptPiece | None:
    return db.session.execute(
        db.select(AttemptPiece).filter_by(attempt_id=attempt_id, seq=seq)
    ).scalar_one_or_none()


def _same_or_conflict(piece: AttemptPiece, digest: str) -> bool:
    if piece.sha256 != digest:
        raise PieceConflict(
            f"Piece {piece.seq} was already stored with different content. Pieces cannot be "
            "replaced: start a new recording if this one went wrong."
        )
    return False


def store_piece(attempt: Attempt, seq: int, body: bytes) -> bool:
    """Store piece ``seq`` of a recording; True if it is new, False for a repeat."""
    cfg = current_app.config
    if not 0 <= seq <= MAX_SEQ:
        raise AudioRejected(f"Piece numbers run from 0 to {MAX_SEQ}; {seq} is out of range.")
    digest = hashlib.sha256(body).hexdigest()
    earlier = _piece(attempt.id, seq)
    if earlier is not None:
        return _same_or_conflict(earlier, digest)
    if attempt.status == AttemptStatus.FAILED and attempt.error:
        raise NotRecording(f"No more pieces are taken. {attempt.error}")
    if attempt.status != AttemptStatus.RECORDING:
        raise NotRecording("This recording is already finished; it takes no more pieces.")
    if not body:
        raise AudioRejected(f"Piece {seq} is empty. Send the recorded bytes.")
    limit_kb = cfg["MAX_PIECE_KB"]
    if len(body) > limit_kb * 1024:
        raise PieceTooLarge(f"Piece {seq} is larger than the limit of {limit_kb} KB per piece.")
    received = db.session.execute(
        db.select(func.coalesce(func.sum(AttemptPiece.size), 0)).filter_by(attempt_id=attempt.id)
    ).scalar_one()
    if received + len(body) > cfg["MAX_UPLOAD_MB"] * 1024 * 1024:
        raise PieceTooLarge(
            f"The recording is larger than the limit of {cfg['MAX_UPLOAD_MB']} MB. "
            "Stop and finish it, then answer more briefly."
        )
    check_room(attempt.owner_id, len(body))
    attempt_id = attempt.id
    db.session.commit()  # no transaction stays open while the bytes are stored
    key = _save_bytes(body)
    _start_write()
    # Stop may have finished the recording while the bytes were stored: asked again under the
    # write lock, a piece joins only a recording that is still being made (a finished one has
    # been joined and its pieces dropped; a piece stored now would be lost bytes on the quota).
    still = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.status == AttemptStatus.RECORDING)
        .values(last_piece_at=utcnow())
    )
    if still.rowcount != 1:
        db.session.rollback()
        forget(current_app.extensions["rebound_store"], [key])
        raise NotRecording("This recording is already finished; it takes no more pieces.")
    db.session.add(
        AttemptPiece(attempt_id=attempt_id, seq=seq, size=len(body), sha256=digest, key=key)
    )
    try:
        db.session.commit()
    except IntegrityError:
        # The same piece arrived twice at once (a retry racing the original).
        db.session.rollback()
        forget(current_app.extensions["rebound_store"], [key])
        earlier = _piece(attempt_id, seq)
        if earlier is None:
            raise
        return _same_or_conflict(earlier, digest)
    return True


def request_live_transcription(attempt_id: int) -> None:
    """Queue a live transcription unless one is already waiting for this recording."""
    if not current_app.config["LIVE_TRANSCRIPTION"]:
        return
    _start_write()
    flagged = db.session.execute(
        update(Attempt)
        .where(
            Attempt.id == attempt_id,
            Attempt.status == AttemptStatus.RECORDING,
            Attempt.live_queued.is_(False),
        )
        .values(live_queued=True)
    )
    db.session.commit()
    if flagged.rowcount == 1:
        request_live(attempt_id)


def _save_bytes(body: bytes) -> str:
    """Store a piece under a fresh key through the audio store; return the key."""
    store = current_app.extensions["rebound_store"]
    store.spool_dir.mkdir(parents=True, exist_ok=True)
    key = store.new_key("piece")
    try:
        with tempfile.NamedTemporaryFile(dir=store.spool_dir, suffix=".piece") as spooled:
            spooled.write(body)
            spooled.flush()
            store.save_file(key, Path(spooled.name))
    except OSError as err:
        raise StorageFull(DISK_FULL) from err
    except StorageError as err:
        log.error("storing a piece failed: %s", err)
        raise StorageUnavailable(STORAGE_DOWN) from err
    return key


def pieces_of(attempt_id: int) -> list[AttemptPiece]:
    """The stored pieces of a recording, in order."""
    return list(
        db.session.execute(
            db.select(AttemptPiece).filter_by(attempt_id=attempt_id).order_by(AttemptPiece.seq)
        ).scalars()
    )


def contiguous(pieces: list[AttemptPiece]) -> list[AttemptPiece]:
    """The pieces from 0 up to the first gap (all of them when none is missing)."""
    prefix = []
    for expected, piece in enumerate(pieces):
        if piece.seq != expected:
            break
        prefix.append(piece)
    return prefix


def join_pieces(pieces: list[AttemptPiece], out: Path) -> None:
    """Write the pieces' bytes one after another into ``out``."""
    store = current_app.extensions["rebound_store"]
    try:
        with out.open("wb") as target:
            for piece in pieces:
                with closing(store.open(piece.key)) as source:
                    shutil.copyfileobj(source, target)
    except StorageError as err:
        raise StorageUnavailable(STORAGE_DOWN) from err
    except OSError as err:
        raise StorageFull(DISK_FULL) from err


def keep_within_limit(pieces: list[AttemptPiece], raw: Path) -> int:
    """Rewrite ``raw`` as the longest run of first pieces that lasts no longer than an answer
    may (each piece is about a second, so the cut falls within a second of the limit), and
    return how many pieces that is. Raises ``TooLong`` if even the first piece is too long."""
    max_seconds = DecodeLimits.of(current_app.config).max_seconds

    def fits(count: int) -> bool:
        join_pieces(pieces[:count], raw)
        try:
            probe(raw, max_seconds)
        except TooLong:
            return False
        return True

    low, high = 0, len(pieces) - 1  # the first ``low`` fit (none yet); all ``high + 1`` do not
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    if low == 0 or not fits(low):
        raise TooLong(f"The recording is longer than the limit of {minutes(max_seconds)}.")
    return low


def finish_recording(attempt: Attempt, *, abandoned: bool = False) -> Attempt:
    """Join the pieces into the attempt's recording and queue its transcription.

    Finishing twice is harmless: an attempt that is no longer recording is returned as it is.
    """
    if attempt.status != AttemptStatus.RECORDING:
        return attempt
    pieces = pieces_of(attempt.id)
    usable = contiguous(pieces)
    if not abandoned and len(usable) != len(pieces):
        present = {p.seq for p in pieces}
        raise PiecesMissing([s for s in range(pieces[-1].seq) if s not in present])
    if not usable:
        raise AudioRejected(NO_AUDIO)
    if abandoned:
        return _finish_with(attempt, usable)
    with upload_gate().slot(attempt.owner_id, current_app.config["MAX_CONCURRENT_UPLOADS"]):
        return _finish_with(attempt, usable)


def _finish_with(attempt: Attempt, pieces: list[AttemptPiece]) -> Attempt:
    store = current_app.extensions["rebound_store"]
    store.spool_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=store.spool_dir, suffix=".joined")
    os.close(fd)
    raw = Path(name)
    written: list[str] = []
    try:
        join_pieces(pieces, raw)
        db.session.commit()  # no transaction stays open while the recording is decoded
        # No WAV now: the candidate is waiting, and the final job decodes only the end.
        try:
            stored = store_checked(raw, written, make_wav=False)
        except TooLong:
            # The recorder stops itself at the limit, but a hidden tab's timers run late: the
            # answer is kept up to the limit, never thrown away whole for running over it.
            kept = keep_within_limit(pieces, raw)
            log.info("recording %s ran past the limit; kept its first %d of %d pieces",
                     attempt.id, kept, len(pieces))  # fmt: skip
            stored = store_checked(raw, written, make_wav=False)
        begin_write()
        values = {
            "audio_key": stored.key,
            "audio_format": stored.info.label,
            "audio_mime": stored.info.mime,
            "size_bytes": stored.size_bytes,
            "duration_s": round(stored.duration_s, 3),
        }
        result = db.session.execute(
            update(Attempt)
            .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.RECORDING)
            .values(status=AttemptStatus.QUEUED, error="", **values)
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        forget(store, written)
        raise
    finally:
        raw.unlink(missing_ok=True)
    if result.rowcount != 1:
        # The client and the reaper finished it at once; the other one's recording stands.
        forget(store, written)
    else:
        drop_pieces(attempt.id)
        request_transcription(attempt.id)
    db.session.refresh(attempt)
    return attempt


def drop_pieces(attempt_id: int) -> None:
    """Delete a recording's pieces, rows and stored objects (after the recording is kept)."""
    store = current_app.extensions["rebound_store"]
    _start_write()
    keys = db.session.execute(
        db.select(AttemptPiece.key).filter_by(attempt_id=attempt_id)
    ).scalars().all()  # fmt: skip
    db.session.execute(db.delete(AttemptPiece).where(AttemptPiece.attempt_id == attempt_id))
    db.session.commit()
    forget(store, list(keys))


def fail_recording(attempt: Attempt, reason: str) -> None:
    """Mark a recording that cannot be used as failed, saying why, and drop its pieces."""
    _start_write()
    db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.RECORDING)
        .values(status=AttemptStatus.FAILED, error=reason, finished_at=utcnow())
    )
    db.session.commit()
    drop_pieces(attempt.id)


def finish_abandoned(now=None) -> int:
    """Finish recordings whose pieces stopped arriving, with what arrived; count them."""
    cutoff = (now or utcnow()) - timedelta(
        seconds=current_app.config["ABANDONED_RECORDING_SECONDS"]
    )
    stale = db.session.execute(
        db.select(Attempt).where(
            Attempt.status == AttemptStatus.RECORDING,
            func.coalesce(Attempt.last_piece_at, Attempt.created_at) < cutoff,
        )
    ).scalars().all()  # fmt: skip
    finished = 0
    for attempt_id in [attempt.id for attempt in stale]:
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is None:
            continue  # deleted meanwhile
        try:
            _finish_abandoned(attempt)
        except TRANSIENT as err:
            log.warning("recording %s not finished yet, will try again: %s", attempt_id, err)
            continue
        except Exception:
            # One recording that cannot be finished must not keep every later one waiting.
            db.session.rollback()
            log.exception("recording %s could not be finished; will try again", attempt_id)
            continue
        finished += 1
        log.info("recording %s stopped arriving; finished with what arrived", attempt_id)
    return finished


def _finish_abandoned(attempt: Attempt) -> None:
    """Finish one recording that stopped arriving, or fail it saying why it cannot be used."""
    try:
        finish_recording(attempt, abandoned=True)
    except TRANSIENT:
        raise
    except AudioRejected as err:
        fail_recording(attempt, f"This recording stopped arriving and cannot be used: {err}")
