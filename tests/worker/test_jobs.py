"""Leases, the reaper and idempotent results, on the database rows themselves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Attempt, utcnow
from app.recordings.keys import wav_key
from app.recordings.streaming import NO_AUDIO, finish_abandoned
from app.reports.definitions import tracked_values
from app.reports.speech import compute, metrics_fingerprint
from app.reports.stored import measure_attempt, stale_attempt_ids
from app.transcription import Transcript
from app.transcription.base import Word
from app.worker.jobs import claim, transcribe_attempt
from app.worker.queue import queue
from app.worker.reaper import reap
from tests.conftest import upload
from tests.recordings.test_streaming import put, start


def _queued_attempt(client, app, audio_fixtures, monkeypatch) -> int:
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    return upload(client, audio_fixtures / "short.wav").json["id"]


def test_only_one_worker_can_claim(client, app, audio_fixtures, monkeypatch):
    attempt_id = _queued_attempt(client, app, audio_fixtures, monkeypatch)
    with app.app_context():
        assert claim(attempt_id) is True
        assert claim(attempt_id) is False
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "transcribing" and attempt.tries == 1
        assert attempt.lease_until > utcnow()


def test_reaper_returns_queued_and_expired_but_not_live_leases(
    client, app, audio_fixtures, monkeypatch
):
    first = _queued_attempt(client, app, audio_fixtures, monkeypatch)
    second = _queued_attempt(client, app, audio_fixtures, monkeypatch)
    with app.app_context():
        claim(first)
        assert reap() == [second]  # first holds a live lease
        db.session.get(Attempt, first).lease_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert sorted(reap()) == [first, second]
        assert claim(first) is True  # an expired lease can be taken over


def test_an_attempt_that_keeps_killing_workers_ends_failed(
    client, app, audio_fixtures, monkeypatch
):
    attempt_id = _queued_attempt(client, app, audio_fixtures, monkeypatch)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.status, attempt.tries = "transcribing", 3
        attempt.lease_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert reap() == []
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "failed" and "Press Retry" in attempt.error


def test_a_late_duplicate_job_changes_nothing(client, app, audio_fixtures, monkeypatch):
    attempt_id = _queued_attempt(client, app, audio_fixtures, monkeypatch)
    with app.app_context():
        transcribe_attempt(attempt_id)
        done = db.session.get(Attempt, attempt_id)
        before = (done.status, done.transcript_text, done.finished_at, done.tries)

        def boom():
            raise AssertionError("a finished attempt must not be transcribed again")

        monkeypatch.setattr("app.worker.jobs.engine_for_app", boom)
        transcribe_attempt(attempt_id)
        db.session.expire_all()
        after = db.session.get(Attempt, attempt_id)
        assert (after.status, after.transcript_text, after.finished_at, after.tries) == before
        assert before[0] == "done"


def test_heartbeat_keeps_a_long_job_leased(client, app, audio_fixtures, monkeypatch):
    import time

    attempt_id = _queued_attempt(client, app, audio_fixtures, monkeypatch)
    app.config["JOB_LEASE_SECONDS"] = 1
    seen = {}

    class Slow:
        name, model_name = "slow", "test"

        def transcribe(self, samples, **options):
            from app.transcription import Transcript

            time.sleep(1.6)  # longer than the lease: only the heartbeat keeps it ours
            with app.app_context():
                seen["lease"] = db.session.get(Attempt, attempt_id).lease_until
                seen["now"] = utcnow()
            return Transcript(text="", words=[], duration_s=1)

    monkeypatch.setattr("app.worker.jobs.engine_for_app", lambda: Slow())
    with app.app_context():
        transcribe_attempt(attempt_id)
        assert db.session.get(Attempt, attempt_id).status == "done"
    assert seen["lease"] > seen["now"]


def test_a_model_that_fails_to_load_leaves_answers_queued(client, app, audio_fixtures, monkeypatch):
    from app.transcription import ModelNotFound

    def broken():
        raise ModelNotFound("the model folder /models/base lacks model.bin")

    attempt_id = _queued_attempt(client, app, audio_fixtures, monkeypatch)
    monkeypatch.setattr("app.worker.jobs.engine_for_app", broken)
    with app.app_context():
        transcribe_attempt(attempt_id)
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "queued" and attempt.tries == 0
        assert "Transcription is unavailable right now" in attempt.error
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "will be transcribed as soon as it is back" in page
    assert client.get("/").status_code == 200  # the app still serves pages
    monkeypatch.undo()
    with app.app_context():
        assert attempt_id in reap()
        transcribe_attempt(attempt_id)
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "done" and attempt.error == ""


@pytest.mark.slow
def test_an_answer_whose_wav_is_gone_is_decoded_again(client, app, audio_fixtures, monkeypatch):
    """The 16 kHz WAV is only a cache of the recording: without it the job decodes the original."""
    attempt_id = _queued_attempt(client, app, audio_fixtures, monkeypatch)
    with app.app_context():
        store = app.extensions["rebound_store"]
        key = wav_key(db.session.get(Attempt, attempt_id).audio_key)
        store.delete(key)
        assert not store.exists(key)
        transcribe_attempt(attempt_id)
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "done", attempt.error
        assert "help" in attempt.transcript_text.lower()


class NeverTranscribes:
    """An engine for jobs that must stop before transcribing anything."""

    name, model_name = "none", "none"

    def transcribe(self, samples, **kwargs):
        raise AssertionError("this recording must not reach the engine")


@pytest.mark.asvs("12.1.2")
def test_the_final_decode_of_a_streamed_answer_is_capped_by_samples(
    client, app, corpus, monkeypatch
):
    """Twenty minutes of Opus whose container claims 12 s pass the probe at Stop (which
    reads timestamps only); the final job counts samples and refuses it, saying why."""
    monkeypatch.setattr("app.worker.jobs.engine_for_app", NeverTranscribes)
    app.config["LIVE_TRANSCRIPTION"] = False  # nothing decodes it before Stop
    attempt_id = start(client).json["id"]
    body = (corpus / "timestamps-claim-12-seconds.webm").read_bytes()
    assert put(client, attempt_id, 0, body).status_code == 204
    finished = client.post(f"/api/v1/attempts/{attempt_id}/finish")  # the job runs in here
    assert finished.status_code == 202
    shown = client.get(f"/api/v1/attempts/{attempt_id}").json
    assert shown["status"] == "failed" and "claims to last 12" in shown["error"], shown
    assert "Record your answer again" in shown["error"] and "Retry" not in shown["error"]
    assert shown["duration_s"] < 13  # what the container claimed at Stop


def test_an_answer_without_audio_fails_clearly_and_is_never_retried(client, app, monkeypatch):
    """A streamed answer whose tab closed before the first piece has no recording: no Retry,
    and a job that reaches it anyway fails it without asking storage for an empty key."""
    attempt_id = start(client).json["id"]
    with app.app_context():
        later = utcnow() + timedelta(seconds=app.config["ABANDONED_RECORDING_SECONDS"] + 1)
        assert finish_abandoned(now=later) == 1
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert NO_AUDIO in page and ">Retry<" not in page and 'id="player"' not in page
    assert client.post(f"/attempts/{attempt_id}/retry").status_code == 302
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).status == "failed"  # not queued again
        # Queued all the same (as an older version's Retry did): the job fails it plainly.
        db.session.get(Attempt, attempt_id).status = "queued"
        db.session.commit()
        assert attempt_id in reap()

        def no_storage(*args, **kwargs):
            raise AssertionError("an answer without audio has nothing in storage")

        store = app.extensions["rebound_store"]
        monkeypatch.setattr(store, "local_copy", no_storage)
        monkeypatch.setattr("app.worker.jobs.engine_for_app", NeverTranscribes)
        transcribe_attempt(attempt_id)
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "failed" and attempt.error == NO_AUDIO


class Heard:
    """An engine that hears one sentence, for tests of what a finished job stores."""

    name, model_name = "heard", "test"
    text = "So, um, I talked to the client and in the end we delivered on time."

    def transcribe(self, samples, **options):
        words = [Word(" " + raw, 0.5 + i * 0.4, 0.8 + i * 0.4) for i, raw in
                 enumerate(self.text.split())]  # fmt: skip
        return Transcript(text=self.text, words=words, duration_s=6.0)


def test_a_finished_job_stores_the_metrics_of_its_words(client, app, audio_fixtures, monkeypatch):
    attempt_id = _queued_attempt(client, app, audio_fixtures, monkeypatch)
    monkeypatch.setattr("app.worker.jobs.engine_for_app", lambda: Heard())
    with app.app_context():
        transcribe_attempt(attempt_id)
        db.session.expire_all()
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "done" and attempt.transcript_text == Heard.text
        expected = compute(attempt.words, attempt.duration_s, attempt.question)
        # How it sounded is measured from the audio, not the words: the rest is the same.
        assert attempt.metrics == expected | {"delivery": attempt.metrics["delivery"]}
        assert expected["fillers"][0]["text"] == "um"
        assert set(attempt.metrics["delivery"]) == {
            "pitch",
            "volume",
            "rising_endings",
            "filler_bursts",
            "repetitions",
            "rate",
        }
        assert attempt.metrics["delivery"]["pitch"]["median_hz"] > 0
        assert attempt.metrics_version == metrics_fingerprint(attempt.question)
        # Its pitch spread (a tracked figure) comes from the delivery measured with it.
        spread = attempt.metrics["delivery"]["pitch"]["spread_semitones"]
        assert attempt.tracked_values == tracked_values(expected) | {"pitch_spread": spread}


def test_the_refresh_job_measures_every_stale_answer_a_share_at_a_time(
    client, app, audio_fixtures, monkeypatch
):
    ids = [_queued_attempt(client, app, audio_fixtures, monkeypatch) for _ in range(3)]
    monkeypatch.setattr("app.worker.jobs.engine_for_app", lambda: Heard())
    with app.app_context():
        for attempt_id in ids:
            transcribe_attempt(attempt_id)
        monkeypatch.setattr("app.reports.speech.METRICS_VERSION", "a-later-version")
        assert stale_attempt_ids() == ids
    monkeypatch.setattr("app.worker.queue.REFRESH_PER_JOB", 1)  # one job each, queued in turn
    queue.refresh_stored_metrics()
    with app.app_context():
        assert stale_attempt_ids() == []


def test_the_transcript_is_saved_before_the_answer_is_read_by_meaning(
    client, app, audio_fixtures, monkeypatch
):
    attempt_id = _queued_attempt(client, app, audio_fixtures, monkeypatch)
    monkeypatch.setattr("app.worker.jobs.engine_for_app", lambda: Heard())
    seen = []

    def measure_after_saving(saved_id, **options):
        # Another session, as a page would read it, while the model has not run yet.
        with app.app_context():
            row = db.session.get(Attempt, saved_id)
            seen.append((row.status, row.transcript_text, row.metrics_version,
                         row.metrics["read_by"]))  # fmt: skip
            db.session.rollback()
        return measure_attempt(saved_id, **options)

    monkeypatch.setattr("app.worker.jobs.measure_attempt", measure_after_saving)
    with app.app_context():
        transcribe_attempt(attempt_id)
        db.session.expire_all()
        attempt = db.session.get(Attempt, attempt_id)
        assert seen == [("done", Heard.text, None, "keywords")]
        assert attempt.metrics["read_by"] == "meaning"
        assert attempt.metrics_version == metrics_fingerprint(attempt.question)


def test_a_heartbeat_that_fails_once_beats_again(app, monkeypatch, caplog):
    # A renewal that failed (the database busy past its timeout) ended the thread, silently:
    # the lease then ran out under a job still in progress, and the reaper queued it again.
    import time

    from sqlalchemy.exc import OperationalError

    from app.worker import jobs
    from app.worker.jobs import Heartbeat

    calls, update = [], jobs.update

    def busy_once(*args):
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise OperationalError("UPDATE attempts", {}, Exception("database is locked"))
        return update(*args)

    monkeypatch.setattr(jobs, "update", busy_once)
    beat = Heartbeat(app, 1, lease_s=0.3)
    beat.start()
    deadline = time.monotonic() + 10
    while len(calls) < 3 and beat.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    beat.stopped.set()
    beat.join(5)
    assert len(calls) >= 3, "the heartbeat stopped after one failed renewal"
    assert "was not renewed" in caplog.text
