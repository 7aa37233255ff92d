"""Deleting for real: a question's history and a whole account, recordings included."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from app.accounts.identity import find_user
from app.extensions import db
from app.models import Attempt, Share, utcnow
from app.privacy.retention import apply_retention, hourly_cleanup, sweep_orphans
from app.recordings.errors import StorageError
from app.recordings.keys import wav_key
from app.recordings.streaming import finish_abandoned
from app.reports.attempts import has_current_metrics
from tests.conftest import JSON, PASSWORD, audio_files, login, make_user, upload
from tests.databases import a_worker_commits
from tests.reports.test_feedback import STORY
from tests.reports.test_stored_metrics import measured_attempt


@pytest.mark.asvs("8.3.2")
def test_delete_a_questions_history(client, app, audio_fixtures, monkeypatch):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    for _ in range(2):
        upload(client, audio_fixtures / "short.wav", question_id=3)
    kept = upload(client, audio_fixtures / "short.wav", question_id=4).json["id"]
    assert len(audio_files(app)) == 6
    assert client.post("/questions/3/history/delete").status_code == 302
    assert len(audio_files(app)) == 2
    with app.app_context():
        assert [a.id for a in db.session.execute(db.select(Attempt)).scalars()] == [kept]


@pytest.mark.asvs("8.3.2")
def test_delete_account_removes_recordings_and_ends_access(
    client, app, audio_fixtures, monkeypatch
):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    attempt_id = upload(client, audio_fixtures / "short.wav").json["id"]
    client.post("/interviews/new", data={"company": "Acme", "questions": "Why us?"})
    make_user(app, "r@example.com", "recruiter")
    recruiter = app.test_client()
    login(recruiter, app, "r@example.com")
    client.post("/shares", data={"email": "r@example.com", "what": "everything"})
    recruiter.post(f"/attempts/{attempt_id}/comments", data={"body": "Good."})
    assert recruiter.get(f"/attempts/{attempt_id}").status_code == 200

    wrong = client.post("/settings/delete", data={"password": "not my password"})
    assert wrong.status_code == 302 and len(audio_files(app)) == 2
    assert client.post("/settings/delete", data={"password": PASSWORD}).status_code == 302
    assert audio_files(app) == []
    assert recruiter.get(f"/attempts/{attempt_id}").status_code == 404
    with app.app_context():
        assert find_user("a@example.com") is None
        assert db.session.execute(db.select(Share)).first() is None
    assert client.get("/history").status_code == 302  # logged out
    again = app.test_client().post("/login", data={"email": "a@example.com", "password": PASSWORD})
    assert again.status_code == 401


def test_deleting_a_recruiter_keeps_candidates_answers_to_assigned_questions(
    client, app, audio_fixtures, monkeypatch
):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    make_user(app, "r@example.com", "recruiter")
    recruiter = app.test_client()
    login(recruiter, app, "r@example.com")
    client.post("/shares", data={"email": "r@example.com", "what": "everything"})
    recruiter.post(
        "/questions/new",
        data={"text": "Why this sector?", "difficulty": "2", "answer_seconds": "60"},
    )
    with app.app_context():
        from app.models import Question

        own = (
            db.session.execute(db.select(Question).filter_by(text="Why this sector?"))
            .scalar_one()
            .id
        )
    recruiter.post("/review/candidates/1/assign", data={"question_id": str(own)})
    answer = upload(client, audio_fixtures / "short.wav", question_id=own).json["id"]
    assert recruiter.post("/settings/delete", data={"password": PASSWORD}).status_code == 302
    assert client.get(f"/attempts/{answer}").status_code == 200


@pytest.mark.asvs("8.3.5")
def test_the_candidate_sees_who_viewed_heard_and_commented(client, app):
    from pathlib import Path

    from tests.reports.test_feedback import STORY, make_attempt

    attempt_id = make_attempt(app, STORY)
    (Path(app.config["AUDIO_DIR"]) / "ab").mkdir(parents=True, exist_ok=True)
    (Path(app.config["AUDIO_DIR"]) / "ab" / "x.webm").write_bytes(b"audio")
    make_user(app, "r@example.com", "recruiter")
    recruiter = app.test_client()
    login(recruiter, app, "r@example.com")
    client.post("/shares", data={"email": "r@example.com", "what": "everything"})
    for _ in range(3):
        recruiter.get(f"/attempts/{attempt_id}")  # repeated views within minutes: one event
    with recruiter.get(f"/attempts/{attempt_id}/audio") as audio:
        assert audio.status_code == 200
    recruiter.post(f"/attempts/{attempt_id}/comments", data={"body": "Nice pace."})
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    log = page[page.index("Who has seen this answer") :]
    assert log.count("opened it") == 1 and "listened to it" in log and "commented" in log
    assert "r@example.com" in log
    assert "Who has seen this answer" not in recruiter.get(f"/attempts/{attempt_id}").get_data(
        as_text=True
    )


@pytest.mark.asvs("8.3.8")
def test_retention_deletes_old_recordings_and_optionally_transcripts(
    client, app, audio_fixtures, monkeypatch
):
    from datetime import timedelta

    from app.models import utcnow
    from app.privacy.retention import apply_retention

    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    old = upload(client, audio_fixtures / "short.wav").json["id"]
    new = upload(client, audio_fixtures / "short.wav").json["id"]
    with app.app_context():
        for attempt_id in (old, new):
            a = db.session.get(Attempt, attempt_id)
            a.status, a.transcript_text, a.words = (
                "done",
                "kept words",
                [{"word": " kept", "start": 0, "end": 1}],
            )
        db.session.get(Attempt, old).created_at = utcnow() - timedelta(days=40)
        db.session.commit()
    client.post("/settings", data={"retention_days": "30"})
    with app.app_context():
        assert apply_retention() == 1
        gone = db.session.get(Attempt, old)
        assert gone.audio_deleted_at is not None and gone.transcript_text == "kept words"
    assert len(audio_files(app)) == 2  # the new attempt's two files
    page = client.get(f"/attempts/{old}").get_data(as_text=True)
    assert "The recording was deleted" in page and 'id="player"' not in page
    client.post("/settings", data={"retention_days": "30", "retention_drops_transcripts": "on"})
    with app.app_context():
        db.session.get(Attempt, new).created_at = utcnow() - timedelta(days=31)
        db.session.commit()
        assert apply_retention() == 1
        assert db.session.get(Attempt, new).transcript_text == ""


def test_extra_time_stretches_think_and_answer_time(client):
    client.post("/settings", data={"extra_time_percent": "50"})
    page = client.get("/questions/1/answer?think=30").get_data(as_text=True)
    assert 'data-think-seconds="45"' in page and "+50 % extra time" in page


def test_stored_files_no_answer_refers_to_are_swept(client, app, audio_fixtures):
    """What a web process killed between storing an upload and committing its row leaves."""
    import os
    import time

    from app.privacy.retention import sweep_orphans

    kept = upload(client, audio_fixtures / "short.wav").json["id"]
    kept_files = audio_files(app)
    audio = Path(app.config["AUDIO_DIR"])
    orphan = audio / "ab" / ("ab" + "0" * 30 + ".webm")
    orphan_wav = orphan.with_name(orphan.stem + ".16k.wav")
    recent = audio / "cd" / ("cd" + "1" * 30 + ".webm")
    other = audio / "notes.txt"  # not a recording's name: never touched
    for path in (orphan, orphan_wav, recent, other):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    for path in [orphan, orphan_wav, other, *kept_files]:
        os.utime(path, (two_hours_ago, two_hours_ago))
    with app.app_context():
        assert sweep_orphans() == 2
    assert not orphan.exists() and not orphan_wav.exists()
    assert recent.exists() and other.exists()
    played = client.get(f"/attempts/{kept}/audio")
    assert played.status_code == 200
    played.close()


def _no_jobs(monkeypatch) -> None:
    """Answers stay as they are stored: no transcription, no live transcript."""
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    monkeypatch.setattr("app.worker.queue.queue.enqueue_live", lambda attempt_id: None)


def _without_audio(client, app) -> int:
    """A streamed answer whose tab closed before the first piece: failed, no storage key."""
    attempt_id = client.post("/api/v1/attempts", json={"question_id": 1, "streaming": True}).json[
        "id"
    ]
    with app.app_context():
        later = utcnow() + timedelta(seconds=app.config["ABANDONED_RECORDING_SECONDS"] + 1)
        finish_abandoned(now=later)
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "failed" and attempt.audio_key == ""
    return attempt_id


def _refusing_to_delete(monkeypatch, app, refused: set[str]) -> None:
    """The store fails to delete the keys in ``refused`` (a bucket that answers 500)."""
    store = app.extensions["rebound_store"]
    real = store.delete

    def delete(key):
        if key in refused:
            raise StorageError(f"could not delete the recording {key!r}: the bucket answered 500")
        real(key)

    monkeypatch.setattr(store, "delete", delete)


@pytest.mark.asvs("8.3.8")
def test_retention_goes_on_past_an_answer_without_audio_and_a_file_that_will_not_go(
    client, app, audio_fixtures, monkeypatch, caplog
):
    """The hourly job stopped for good at an answer that never received audio (an empty
    storage key), deleting nothing for that user or any later one, and never swept."""
    _no_jobs(monkeypatch)
    empty = _without_audio(client, app)
    mine = upload(client, audio_fixtures / "short.wav").json["id"]
    client.post("/settings", data={"retention_days": "30", "retention_drops_transcripts": "on"})
    make_user(app, "b@example.com")
    other = app.test_client()
    login(other, app, "b@example.com")
    stuck, theirs = (upload(other, audio_fixtures / "short.wav").json["id"] for _ in range(2))
    other.post("/settings", data={"retention_days": "30"})
    orphan = Path(app.config["AUDIO_DIR"]) / "ab" / ("ab" + "0" * 30 + ".webm")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(orphan, (two_hours_ago, two_hours_ago))
    with app.app_context():
        for attempt in db.session.execute(db.select(Attempt)).scalars():
            attempt.created_at = utcnow() - timedelta(days=40)
            if attempt.id != empty:
                attempt.status, attempt.transcript_text = "done", "what I said"
                attempt.live_words = [{"word": " what", "start": 0.0, "end": 0.4}]
                attempt.partial_text = "what"
        db.session.commit()
        stuck_key = db.session.get(Attempt, stuck).audio_key
    _refusing_to_delete(monkeypatch, app, {stuck_key})
    with app.app_context():
        assert hourly_cleanup() == (2, 1)  # mine and theirs; the orphan
        gone = {a.id: a for a in db.session.execute(db.select(Attempt)).scalars()}
        assert gone[empty].audio_deleted_at is not None  # nothing to delete: done with
        assert gone[mine].audio_deleted_at is not None and gone[theirs].audio_deleted_at
        assert gone[stuck].audio_deleted_at is None  # tried again next hour
        # Dropping transcripts drops the words the live transcription kept, too.
        assert (gone[mine].transcript_text, gone[mine].live_words, gone[mine].partial_text) == (
            "",
            [],
            "",
        )
        assert gone[theirs].transcript_text == "what I said"  # b keeps transcripts
    assert not orphan.exists()
    assert [p.name for p in audio_files(app)] == [
        Path(wav_key(stuck_key)).name,
        Path(stuck_key).name,
    ]
    assert f"the recording of attempt {stuck} was not deleted" in caplog.text


@pytest.mark.asvs("8.3.8")
def test_dropping_a_transcript_drops_the_stored_metrics_that_quote_it(client, app):
    client.get("/")  # creates the local user, id 1
    attempt_id = measured_attempt(app, STORY, days_ago=40)
    with app.app_context():
        said = db.session.get(Attempt, attempt_id).metrics
        assert said["fillers"] and said["star_evidence"]["result"]  # words quoted
    client.post("/settings", data={"retention_days": "30", "retention_drops_transcripts": "on"})
    with app.app_context():
        apply_retention()
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.words == [] and attempt.tracked_values is None
        assert attempt.metrics["words"] == 0 and not attempt.metrics["fillers"]
        assert not any(attempt.metrics["star_evidence"].values())
        assert has_current_metrics(attempt)


@pytest.mark.asvs("8.3.2")
def test_an_answer_without_audio_is_exported_and_shown_without_a_recording(
    client, app, audio_fixtures, monkeypatch
):
    """The data export answered 500 for a user with such an answer, and playback 503."""
    _no_jobs(monkeypatch)
    empty = _without_audio(client, app)
    kept = upload(client, audio_fixtures / "short.wav").json["id"]
    arriving = client.post("/api/v1/attempts", json={"question_id": 1, "streaming": True}).json[
        "id"
    ]
    with client.get("/export.zip") as response:  # the zip is a file the response closes
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("rebound.json"))
    assert archive.namelist() == [f"audio/attempt-{kept}.wav", "rebound.json"]
    records = {record["id"]: record for record in data["attempts"]}
    assert set(records) == {empty, kept, arriving}
    assert "audio_file" not in records[empty] and "audio_file" not in records[arriving]
    played = client.get(f"/attempts/{empty}/audio", headers=JSON)
    assert played.status_code == 404 and "No audio arrived" in played.json["error"]
    arriving_audio = client.get(f"/attempts/{arriving}/audio", headers=JSON)
    assert (
        arriving_audio.status_code == 404 and "still being recorded" in arriving_audio.json["error"]
    )
    page = client.get(f"/attempts/{empty}").get_data(as_text=True)
    assert "No recording was kept" in page and 'id="player"' not in page


@pytest.mark.asvs("8.3.2")
def test_deleting_an_account_goes_on_when_a_file_will_not_go(
    client, app, audio_fixtures, monkeypatch
):
    """Each answer's row goes first; a file the store fails to delete then is logged and
    left to the orphan sweep, not allowed to stop the deletion of everything else."""
    _no_jobs(monkeypatch)
    _without_audio(client, app)
    first = upload(client, audio_fixtures / "short.wav").json["id"]
    upload(client, audio_fixtures / "short.wav")
    arriving = client.post("/api/v1/attempts", json={"question_id": 1, "streaming": True}).json[
        "id"
    ]
    for seq in range(2):
        put = client.put(
            f"/api/v1/attempts/{arriving}/chunks/{seq}",
            data=b"piece",
            content_type="application/octet-stream",
        )
        assert put.status_code == 204
    with app.app_context():
        first_key = db.session.get(Attempt, first).audio_key
    assert len(audio_files(app)) == 6  # two uploads and their WAVs, two pieces
    _refusing_to_delete(monkeypatch, app, {first_key})
    assert client.post("/settings/delete", data={"password": PASSWORD}).status_code == 302
    with app.app_context():
        assert find_user("a@example.com") is None
        assert db.session.execute(db.select(Attempt)).first() is None
    assert [p.name for p in audio_files(app)] == [Path(first_key).name]
    monkeypatch.undo()
    with app.app_context():
        assert sweep_orphans(older_than_s=0) == 1  # what the hourly sweep does an hour later
    assert audio_files(app) == []


def test_orphaned_pieces_of_streamed_recordings_are_swept(client, app, audio_fixtures, monkeypatch):
    """A web process killed between storing a piece and committing its row leaves the piece;
    the hourly sweep removes it once it is an hour old, and never a piece a row refers to."""
    _no_jobs(monkeypatch)
    arriving = client.post("/api/v1/attempts", json={"question_id": 1, "streaming": True}).json[
        "id"
    ]
    client.put(
        f"/api/v1/attempts/{arriving}/chunks/0",
        data=b"piece",
        content_type="application/octet-stream",
    )
    [kept] = audio_files(app)
    audio = Path(app.config["AUDIO_DIR"])
    orphan = audio / "ab" / ("ab" + "0" * 30 + ".piece")
    recent = audio / "cd" / ("cd" + "1" * 30 + ".piece")
    for path in (orphan, recent):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    for path in (orphan, kept):
        os.utime(path, (two_hours_ago, two_hours_ago))
    with app.app_context():
        assert sweep_orphans() == 1
    assert not orphan.exists() and recent.exists() and kept.exists()


def test_retention_marks_old_answers_after_a_worker_commits_during_the_sweep(
    client, app, audio_fixtures, monkeypatch
):
    # The sweep read a user's old answers, deleted their files, then marked them; a worker
    # that committed between the read and the marks left the sweep unable to write ("database
    # is locked"): the files were gone and the answers still offered them.
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    old = upload(client, audio_fixtures / "short.wav").json["id"]
    with app.app_context():
        attempt = db.session.get(Attempt, old)
        attempt.status, attempt.created_at = "done", utcnow() - timedelta(days=40)
        db.session.commit()
    client.post("/settings", data={"retention_days": "30"})
    with (
        app.app_context(),
        a_worker_commits(
            app, after="SELECT users.id", at=r"SELECT attempts\.",
            sql="UPDATE questions SET answer_seconds = 41",
        ) as worker,
    ):  # fmt: skip
        assert apply_retention() == 1
        assert db.session.get(Attempt, old).audio_deleted_at is not None
    assert worker == ["waited"]
    assert audio_files(app) == []
