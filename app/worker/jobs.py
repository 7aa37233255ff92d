"""Background work on attempts: transcription with a lease, whole and live.

A worker claims an attempt by setting ``status=transcribing`` and ``lease_until`` in one
UPDATE guarded by a WHERE clause, so two workers never both run it. While the job runs a
heartbeat thread renews the lease. If the worker dies (even SIGKILL), the lease runs out and
``reap`` hands the attempt back to the queue. Results are written with another guarded
UPDATE, so a late duplicate job can never overwrite a finished transcript.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, update

from app.delivery import analyse
from app.extensions import db
from app.interviewer.interviews import advance_for_attempt, turn_answered_by
from app.interviewer.voice import prepare_speech
from app.models import Attempt, AttemptStatus, JobCounter, utcnow
from app.recordings.audio import DecodeLimits, decode_arrived, load_samples, read_wav_samples
from app.recordings.errors import TRANSIENT, AudioRejected, RecordingMissing, StorageError
from app.recordings.keys import wav_key
from app.recordings.streaming import NO_AUDIO, contiguous, fail_recording, join_pieces, pieces_of
from app.reports.attempts import transcript_values
from app.reports.stored import add_delivery, measure_attempt
from app.transcription import EngineUnavailable, ModelNotFound, TranscriptionError, load_engine
from app.transcription.base import SAMPLE_RATE
from app.transcription.segments import (
    final_transcript,
    live_segments,
    tail_guess,
    text_of,
    transcribe_by_pauses,
)

log = logging.getLogger(__name__)
MAX_TRIES = 3


def whole_samples(store, attempt: Attempt):
    """The recording as 16 kHz samples: its stored WAV, or decoded now if it has none.

    Uploads keep a WAV beside the recording; a streamed answer is not decoded whole at Stop
    (its final job needs only the end), so a full transcription of one decodes it here.
    """
    try:
        with store.local_copy(wav_key(attempt.audio_key)) as wav:
            return read_wav_samples(wav)
    except RecordingMissing:
        pass  # one lookup: with S3 a separate existence check is another round trip
    limits = DecodeLimits.of(current_app.config)
    with store.local_copy(attempt.audio_key) as original:
        samples, _info = load_samples(original, limits.max_seconds, limits.timeout_s)
    return samples


def engine_for_app():
    """The engine the app's settings name, loaded once per process."""
    cfg = current_app.config
    return load_engine(
        cfg["WHISPER_ENGINE"],
        cfg["WHISPER_MODEL"],
        cache_dir=cfg["MODEL_CACHE_DIR"],
        device=cfg["WHISPER_DEVICE"],
        beam_size=cfg["WHISPER_BEAM_SIZE"],
        cpu_threads=cfg.get("WHISPER_CPU_THREADS", 0),
        verbatim=cfg["WHISPER_VERBATIM"],
    )


def _lease_seconds() -> int:
    return int(current_app.config["JOB_LEASE_SECONDS"])


def claim(attempt_id: int) -> bool:
    """Take the attempt for this worker if it is queued or its lease has run out."""
    now = utcnow()
    result = db.session.execute(
        update(Attempt)
        .where(
            Attempt.id == attempt_id,
            or_(
                Attempt.status == AttemptStatus.QUEUED,
                (Attempt.status == AttemptStatus.TRANSCRIBING) & (Attempt.lease_until < now),
            ),
        )
        .values(
            status=AttemptStatus.TRANSCRIBING,
            lease_until=now + timedelta(seconds=_lease_seconds()),
            tries=Attempt.tries + 1,
        )
    )
    db.session.commit()
    return result.rowcount == 1


class Heartbeat(threading.Thread):
    """Renews an attempt's lease every third of the lease until stopped."""

    def __init__(self, app, attempt_id: int, lease_s: int) -> None:
        super().__init__(daemon=True, name=f"lease-{attempt_id}")
        self.app, self.attempt_id, self.lease_s = app, attempt_id, lease_s
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.lease_s / 3):
            try:
                self.renew()
            except Exception:
                # A database busy past its timeout, or a dropped connection: the lease still
                # has two beats to run, so try again at the next one rather than let the
                # thread die and the reaper hand a job in progress to another worker.
                log.warning("the lease of attempt %s was not renewed; trying again at the "
                            "next beat", self.attempt_id, exc_info=True)  # fmt: skip

    def renew(self) -> None:
        with self.app.app_context(), db.engine.begin() as conn:
            conn.execute(
                update(Attempt)
                .where(Attempt.id == self.attempt_id, Attempt.status == "transcribing")
                .values(lease_until=utcnow() + timedelta(seconds=self.lease_s))
            )


def _finish(attempt_id: int, counters: dict[str, float], **values) -> bool:
    """Write a job's result unless another worker already finished the attempt.

    ``counters`` are added to the totals in the same transaction, so only a result that
    was stored is counted.
    """
    result = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.status == AttemptStatus.TRANSCRIBING)
        .values(lease_until=None, finished_at=utcnow(), **values)
    )
    stored = result.rowcount == 1
    if stored:
        count_jobs(counters)
    db.session.commit()
    return stored


def count_jobs(counters: dict[str, float]) -> None:
    """Add to the lifetime totals, inside the caller's transaction."""
    for name, amount in counters.items():
        db.session.execute(
            update(JobCounter)
            .where(JobCounter.name == name)
            .values(value=JobCounter.value + amount)
        )


def _release(attempt_id: int, reason: str) -> None:
    """Give the attempt back to the queue (not a failure: nothing is wrong with the answer)."""
    db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.status == AttemptStatus.TRANSCRIBING)
        .values(
            status=AttemptStatus.QUEUED, lease_until=None, tries=Attempt.tries - 1, error=reason
        )
    )
    db.session.commit()


def transcribe_attempt(attempt_id: int) -> None:
    """Transcribe one attempt's recording and store the words, or record why it failed."""
    if not claim(attempt_id):
        log.info("attempt %s is not waiting for a worker; skipping", attempt_id)
        return
    attempt = db.session.get(Attempt, attempt_id)
    db.session.commit()  # end the read: the heartbeat must be able to write meanwhile
    if not attempt.audio_key:
        # A streamed answer whose tab closed before its first piece: there is nothing to
        # transcribe, and nothing to look for in storage.
        _finish(attempt_id, {"jobs_failed": 1}, status=AttemptStatus.FAILED, error=NO_AUDIO)
        return
    store = current_app.extensions["rebound_store"]
    beat = Heartbeat(current_app._get_current_object(), attempt_id, _lease_seconds())
    beat.start()
    started = time.perf_counter()
    try:
        engine = engine_for_app()
    except (ModelNotFound, EngineUnavailable) as err:
        beat.stopped.set()
        log.error("transcription unavailable: %s", err)
        _release(
            attempt_id,
            f"Transcription is unavailable right now ({err}). Your answer is saved and will be "
            "transcribed as soon as it is back.",
        )
        return
    samples = None  # the whole recording, when it was decoded whole
    try:
        if attempt.last_piece_at is not None:
            # Streamed: the words before the boundary (if any) were transcribed while it was
            # recorded; only the audio after it is decoded and transcribed now.
            limits = DecodeLimits.of(current_app.config)
            with store.local_copy(attempt.audio_key) as original:
                samples = decode_arrived(original, limits, from_s=attempt.live_until_s)
            if samples.size == 0:
                raise TranscriptionError("the recording could not be decoded")
            transcript = final_transcript(
                engine, samples, attempt.live_words, attempt.live_until_s, attempt.live_guess
            )
        else:
            samples = whole_samples(store, attempt)
            transcript = transcribe_by_pauses(engine, samples)
    except AudioRejected as err:
        # The recording itself is refused (the caps): trying again would not help.
        log.warning("attempt %s refused: %s", attempt_id, err)
        _finish(attempt_id, {"jobs_failed": 1}, status=AttemptStatus.FAILED, error=str(err))
        advance_for_attempt(attempt_id)
        return
    except (TranscriptionError, StorageError, OSError) as err:
        log.warning("attempt %s failed: %s", attempt_id, err)
        _finish(
            attempt_id,
            {"jobs_failed": 1},
            status=AttemptStatus.FAILED,
            error=f"Transcription failed: {err}. Press Retry to try again.",
        )
        advance_for_attempt(attempt_id)
        return
    finally:
        beat.stopped.set()
    elapsed = time.perf_counter() - started
    data = transcript.to_dict()
    stored = _finish(
        attempt_id,
        {
            "jobs_done": 1,
            "transcription_seconds": elapsed,
            "audio_seconds": attempt.duration_s or 0.0,
        },
        status=AttemptStatus.DONE,
        error="",
        live_guess=None,  # in the transcript now, or not what was said
        # The transcript goes out first, with the keyword figures (milliseconds); reading it
        # by meaning follows at once, so Stop to transcript does not wait for the model.
        **transcript_values(
            data["text"], data["words"], attempt.duration_s, attempt.question, by_meaning=False
        ),
        engine=engine.name,
        model=engine.model_name,
        processing_s=round(elapsed, 3),
    )
    log.info("attempt %s transcribed in %.2f s", attempt_id, elapsed)
    if not stored:
        return
    if turn_answered_by(attempt_id) is not None:
        # A mock interview waits on this answer: read it by meaning and choose the next turn
        # first; how it sounded follows (the follow-up rules do not read it).
        measure_attempt(attempt_id)
        advance_for_attempt(attempt_id)
        add_delivery(attempt_id, delivery_of(store, attempt, samples, data["words"]))
    else:
        measure_attempt(attempt_id, delivery=delivery_of(store, attempt, samples, data["words"]))


def delivery_of(store, attempt: Attempt, samples, words: list[dict]) -> dict | None:
    """How the answer sounded (``app.delivery``), measured once its transcript is saved so
    Stop to transcript never waits for it; None when it could not be measured (logged): the
    words and their metrics stand without it."""
    try:
        if samples is None:
            samples = whole_samples(store, attempt)  # streamed: decoded whole only now
        return analyse(samples, SAMPLE_RATE, words)
    except Exception:
        log.exception("the delivery of attempt %s could not be measured", attempt.id)
        return None


def _finished(attempt_id: int) -> bool:
    """True once the recording is no longer taking pieces (finished, or gone)."""
    status = db.session.execute(
        db.select(Attempt.status).where(Attempt.id == attempt_id)
    ).scalar_one_or_none()
    db.session.commit()
    return status != AttemptStatus.RECORDING


def transcribe_live(attempt_id: int) -> None:
    """Transcribe the finished sentences of a recording that is still arriving.

    Runs after new pieces arrive. Writes are guarded by the boundary it started from and by
    the status (recording, or finished and still queued), so a duplicate run, or a final job
    that already took the attempt, leaves no stale words.
    """
    db.session.execute(update(Attempt).where(Attempt.id == attempt_id).values(live_queued=False))
    db.session.commit()
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.status != AttemptStatus.RECORDING:
        return
    pieces = contiguous(pieces_of(attempt_id))
    committed, until = list(attempt.live_words), attempt.live_until_s
    earlier = attempt.live_guess
    db.session.commit()
    if not pieces:
        return
    store = current_app.extensions["rebound_store"]
    store.spool_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=store.spool_dir, prefix="live-") as folder:
            joined = Path(folder) / "arrived.webm"
            join_pieces(pieces, joined)
            samples = decode_arrived(joined, DecodeLimits.of(current_app.config), from_s=until)
    except TRANSIENT as err:
        log.warning("no live transcript for attempt %s yet: %s", attempt_id, err)
        return
    except AudioRejected as err:
        # What arrived is already past a cap (too long, not a recording, a decode bomb):
        # stop the recording now, saying why, rather than at Stop or never.
        log.warning("recording %s refused while it arrived: %s", attempt_id, err)
        fail_recording(attempt, f"This recording cannot be used: {err}")
        return
    try:
        engine = engine_for_app()
    except (ModelNotFound, EngineUnavailable) as err:
        log.warning("no live transcript for attempt %s: %s", attempt_id, err)
        return
    steps = live_segments(engine, samples, committed, until, earlier)
    while not _finished(attempt_id):  # Stop: the final job takes the rest in one quick pass
        try:
            step = next(steps, None)
        except TranscriptionError as err:
            log.warning("live transcription of attempt %s failed: %s", attempt_id, err)
            return
        if step is None:
            break
        committed, cut = step
        stored = _store_live(
            attempt_id,
            until,
            live_words=committed,
            live_until_s=cut,
            partial_text=text_of(committed),
            live_guess=None,
        )
        if not stored:
            return  # the final job took it meanwhile, or another run got there first
        until = cut
    if _finished(attempt_id):
        return  # the final job decodes the rest now in any case
    # Everything finished is committed; the sentence being said (or just said) is decoded
    # now if the candidate has gone quiet after it, so a Stop that follows needs no decoding.
    try:
        guess = tail_guess(engine, samples, committed, until, earlier, speculate=_idle())
    except TranscriptionError as err:
        log.warning("no guess at the end of attempt %s: %s", attempt_id, err)
        return
    if guess is not earlier:
        _store_live(attempt_id, until, live_guess=guess)


def _idle() -> bool:
    """True when no job waits for a worker: a decode that may be wasted (``tail_guess``'s
    speculative guess) then takes time from no one."""
    try:
        return current_app.extensions["rebound_queue"].pending() == 0
    except Exception as err:  # the queue's storage is away: do only what is needed
        log.warning("could not read the queue's length: %s", err)
        return False


def _store_live(attempt_id: int, until: float, **values) -> bool:
    """Store what a live run found, unless the final job took the attempt or another run
    moved the boundary meanwhile; True if stored."""
    result = db.session.execute(
        update(Attempt)
        .where(
            Attempt.id == attempt_id,
            # Finished but not yet taken by the final job: the words still save it work.
            Attempt.status.in_((AttemptStatus.RECORDING, AttemptStatus.QUEUED)),
            Attempt.live_until_s == until,
        )
        .values(**values)
    )
    db.session.commit()
    return result.rowcount == 1


def prepare_interviewer_speech(texts: list[str], others_waiting=lambda: False) -> list[str]:
    """Have the interviewer's next words spoken and stored before they are asked; return the
    texts left when other jobs began to wait (the caller queues them again, behind those)."""
    made, left = prepare_speech(texts, others_waiting)
    if made:
        log.info("prepared the interviewer's speech of %s text(s)", made)
    return left
