"""Uploading answers through the web app, watching them transcribe, replaying them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from app.models import Attempt, Question, User
from tests.conftest import HTMX, JSON, audio_files, upload, words_of
from tests.databases import write_elsewhere

SPOKEN = {"team", "deadline", "client", "scope", "project"}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["answer.webm", "answer.m4a", "answer.ogg"])
def test_upload_transcribes_and_shows_words(client, app, audio_fixtures, name):
    response = upload(client, audio_fixtures / name)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "queued" and body["url"] == f"/attempts/{body['id']}"
    page = client.get(body["url"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="w-0" class="word' in html
    with app.app_context():
        attempt = db.session.get(Attempt, body["id"])
        assert attempt.status == "done"
        assert len(SPOKEN & words_of(attempt.transcript_text)) >= 4
        assert attempt.words[0]["start"] < attempt.words[-1]["end"] <= attempt.duration_s + 0.1
        assert attempt.engine == "faster-whisper" and attempt.model == "base"
    # The original recording and the 16 kHz WAV, both under generated names.
    names = [p.name for p in audio_files(app)]
    assert len(names) == 2 and any(n.endswith(".16k.wav") for n in names)
    assert not any(name in n for n in names)


@pytest.mark.slow
def test_silence_says_no_speech(client, audio_fixtures):
    response = upload(client, audio_fixtures / "silence.webm")
    page = client.get(response.json["url"]).get_data(as_text=True)
    assert "We heard no speech in this recording" in page
    assert 'id="w-0"' not in page


@pytest.mark.parametrize(
    ("name", "status", "reason"),
    [
        ("empty.webm", 422, "The file is empty"),
        ("random.bin", 422, "not a recording we can read"),
        ("page.html", 422, "not a recording we can read"),
        ("image.png", 422, "no sound track"),
        ("video.mp4", 422, "is a video"),
        ("truncated_header.webm", 422, "not a recording we can read"),
        ("truncated.m4a", 422, "not a recording we can read"),
        ("long.webm", 422, "longer than the limit of 10 minutes"),
    ],
)
@pytest.mark.asvs("12.1.1", "12.2.1", "12.3.1")
def test_bad_uploads_get_a_clear_4xx_and_leave_nothing(
    client, app, audio_fixtures, name, status, reason
):
    response = upload(client, audio_fixtures / name, filename="../../etc/passwd")
    assert response.status_code == status
    assert reason in response.json["error"]
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Attempt.id))).scalar() == 0
    assert audio_files(app) == []
    assert not any((Path(app.config["AUDIO_DIR"]) / ".incoming").glob("*"))


@pytest.mark.asvs("12.1.1")
def test_too_large_upload_is_413_with_the_limit(client, app, audio_fixtures):
    app.config["MAX_CONTENT_LENGTH"] = 20_000
    response = upload(client, audio_fixtures / "answer.wav")
    assert response.status_code == 413
    assert "The limit is 50 MB" in response.json["error"]
    assert audio_files(app) == []


def test_upload_without_a_file_or_to_an_unknown_question(client, audio_fixtures):
    response = client.post("/attempts", data={"question_id": "1"}, headers=JSON)
    assert response.status_code == 422 and "No recording was attached" in response.json["error"]
    assert upload(client, audio_fixtures / "answer.webm", question_id=99999).status_code == 404


def test_form_upload_without_javascript_redirects_or_rerenders(client, audio_fixtures):
    with (audio_fixtures / "page.html").open("rb") as handle:
        response = client.post("/attempts", data={"question_id": "1", "audio": (handle, "a.webm")})
    assert response.status_code == 422
    assert b"not a recording we can read" in response.data and b"<html" in response.data


@pytest.mark.slow
def test_htmx_status_polling_returns_the_block_and_stops_when_done(client, audio_fixtures):
    url = upload(client, audio_fixtures / "short.wav").json["url"]
    fragment = client.get(url, headers=HTMX)
    assert fragment.status_code == 286  # done: htmx stops polling
    assert "HX-Request" in fragment.headers["Vary"]
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="attempt-status"') and "<html" not in html
    assert "help" in html.lower()
    full = client.get(url)
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers["Vary"]


def test_pending_attempt_follows_its_progress(client, app, audio_fixtures, monkeypatch):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    body = upload(client, audio_fixtures / "short.wav").json
    fragment = client.get(body["url"], headers=HTMX)
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert f'data-events="/api/v1/attempts/{body["id"]}/events"' in html
    assert (
        'data-status="queued"' in html and "Your answer is saved" in html and "worker" not in html
    )


@pytest.mark.slow
def test_audio_is_served_with_ranges_for_seeking(client, audio_fixtures):
    url = upload(client, audio_fixtures / "answer.webm").json["url"]
    with client.get(url + "/audio") as whole:
        assert whole.status_code == 200 and whole.mimetype == "audio/webm"
        assert whole.data == (audio_fixtures / "answer.webm").read_bytes()
    with client.get(url + "/audio", headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206 and len(part.data) == 100


def test_failed_transcription_shows_reason_and_retry_works(
    client, app, audio_fixtures, monkeypatch
):
    from app.transcription import TranscriptionError

    class Broken:
        name, model_name = "broken", "none"

        def transcribe(self, samples, **options):
            raise TranscriptionError("the model file is damaged")

    monkeypatch.setattr("app.worker.jobs.engine_for_app", lambda: Broken())
    url = upload(client, audio_fixtures / "short.wav").json["url"]
    html = client.get(url).get_data(as_text=True)
    assert "Transcription failed: the model file is damaged" in html and ">Retry<" in html
    monkeypatch.undo()
    attempt_id = int(url.rsplit("/", 1)[1])
    assert client.post(f"/attempts/{attempt_id}/retry").status_code == 302
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "done" and "help" in attempt.transcript_text.lower()


@pytest.mark.asvs("4.2.1")
def test_someone_elses_attempt_is_404_everywhere(client, app, audio_fixtures):
    with app.app_context():
        other = User(email="other@example.com")
        db.session.add(other)
        db.session.commit()
        theirs = Attempt(owner_id=other.id, question_id=1, audio_key="ab/x.webm", status="done")
        db.session.add(theirs)
        db.session.commit()
        attempt_id = theirs.id
    for path in ("", "/audio"):
        assert client.get(f"/attempts/{attempt_id}{path}").status_code == 404
    for path in ("/retry", "/rating", "/delete"):
        assert client.post(f"/attempts/{attempt_id}{path}").status_code == 404
    assert b"other@example.com" not in client.get("/history").data


def test_delete_removes_row_and_files(client, app, audio_fixtures, monkeypatch):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    url = upload(client, audio_fixtures / "short.wav").json["url"]
    assert len(audio_files(app)) == 2
    assert client.post(url + "/delete").status_code == 302
    assert audio_files(app) == []
    assert client.get(url).status_code == 404


def test_history_lists_newest_first_and_filters(client, app, audio_fixtures, monkeypatch):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    with app.app_context():
        salary = (
            db.session.execute(
                db.select(Question).where(Question.category == "Salary and negotiation")
            )
            .scalars()
            .first()
        )
        other_id = (
            db.session.execute(db.select(Question.id).where(Question.category == "Conflict"))
            .scalars()
            .first()
        )
    first = upload(client, audio_fixtures / "short.wav", question_id=salary.id).json["id"]
    second = upload(client, audio_fixtures / "short.wav", question_id=other_id).json["id"]
    html = client.get("/history").get_data(as_text=True)
    assert html.index(f"/attempts/{second}") < html.index(f"/attempts/{first}")
    only = client.get("/history?category=Salary+and+negotiation", headers=HTMX)
    body = only.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="results">')
    assert f"/attempts/{first}" in body and f"/attempts/{second}" not in body
    by_question = client.get(f"/history?question={other_id}").get_data(as_text=True)
    assert f'/attempts/{second}"' in by_question and f'/attempts/{first}"' not in by_question


def test_question_page_lists_attempts_and_try_again(client, audio_fixtures, monkeypatch):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    attempt_id = upload(client, audio_fixtures / "short.wav", question_id=3).json["id"]
    html = client.get("/questions/3").get_data(as_text=True)
    assert f"/attempts/{attempt_id}" in html and "Try again" in html
    answer = client.get("/questions/3/answer").get_data(as_text=True)
    assert 'class="record primary"' in answer and ">Record</button>" in answer


def test_self_rating_is_saved_and_htmx_gets_the_block(client, app, audio_fixtures, monkeypatch):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    attempt_id = upload(client, audio_fixtures / "short.wav").json["id"]
    response = client.post(
        f"/attempts/{attempt_id}/rating", data={"rating": "struggled"}, headers=HTMX
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True).lstrip().startswith('<section id="rating"')
    assert 'value="struggled" aria-pressed="true"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).self_rating == "struggled"


def test_large_uploads_spool_onto_the_audio_disk(client, app, audio_fixtures, monkeypatch):
    import tempfile

    spooled = []
    real = tempfile.TemporaryFile

    def recording_temporary_file(*args, **kwargs):
        spooled.append(kwargs.get("dir"))
        return real(*args, **kwargs)

    monkeypatch.setattr("app.tempfile.TemporaryFile", recording_temporary_file)
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    big = audio_fixtures / "mic.wav"  # over Werkzeug's 500 KB in-memory limit
    assert big.stat().st_size > 500 * 1024
    from flask.testing import EnvironBuilder

    with big.open("rb") as handle:
        # Werkzeug's test client spools a big body to a temporary file it never closes.
        builder = EnvironBuilder(
            app,
            "/attempts",
            method="POST",
            headers=JSON,
            data={"question_id": "1", "audio": (handle, "a.wav")},
        )
        environ = builder.get_environ()
        try:
            response = client.open(environ)
        finally:
            environ["wsgi.input"].close()
            builder.close()
    assert response.status_code == 201
    assert spooled and all(Path(d) == Path(app.config["AUDIO_DIR"]) / ".incoming" for d in spooled)


def test_the_same_take_twice_makes_one_attempt(client, app, audio_fixtures, monkeypatch):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    first = upload(client, audio_fixtures / "short.wav", upload_id="take-123")
    second = upload(client, audio_fixtures / "short.wav", upload_id="take-123")
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"]
    assert len(audio_files(app)) == 2
    other = upload(client, audio_fixtures / "short.wav", upload_id="take-124")
    assert other.json["id"] != first.json["id"]


@pytest.mark.parametrize("where", ["spool", "wav", "store"])
def test_disk_full_is_a_clear_507_and_changes_nothing(
    client, app, audio_fixtures, monkeypatch, where
):
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    target = {"spool": "app.recordings.upload.tempfile.mkstemp", "wav": "wave.Wave_write.writeframesraw",
              "store": "app.recordings.storage.shutil.copyfile"}[where]  # fmt: skip
    monkeypatch.setattr(target, full)
    response = upload(client, audio_fixtures / "short.wav")
    assert response.status_code == 507
    assert "disk is full" in response.json["error"] and "Nothing was lost" in response.json["error"]
    monkeypatch.undo()
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Attempt.id))).scalar() == 0
    assert audio_files(app) == []
    assert not any((Path(app.config["AUDIO_DIR"]) / ".incoming").glob("*"))


def test_concurrent_writes_wait_instead_of_failing(client, app, audio_fixtures, monkeypatch):
    """SQLite under concurrent writers: every request succeeds (BEGIN IMMEDIATE + busy timeout)."""
    import threading

    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    attempt_id = upload(client, audio_fixtures / "short.wav").json["id"]
    from tests.conftest import login

    codes: list[int] = []

    def rate_many(n: int) -> None:
        worker = app.test_client()
        login(worker, app, "a@example.com")
        for i in range(n):
            value = ("struggled", "okay", "nailed")[i % 3]
            codes.append(
                worker.post(f"/attempts/{attempt_id}/rating", data={"rating": value}).status_code
            )
            codes.append(
                worker.post(
                    "/questions/new",
                    data={
                        "text": f"Q {threading.get_ident()} {i}?",
                        "difficulty": "2",
                        "answer_seconds": "60",
                    },
                ).status_code
            )

    threads = [threading.Thread(target=rate_many, args=(8,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(codes) == 64 and set(codes) == {302}


def test_half_received_uploads_are_swept(app):
    import os
    import time

    store = app.extensions["rebound_store"]
    store.spool_dir.mkdir(parents=True, exist_ok=True)
    old, fresh = store.spool_dir / "old.upload", store.spool_dir / "fresh.upload"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert store.sweep_spool() == 1
    assert not old.exists() and fresh.exists()


@pytest.mark.asvs("12.1.3")
def test_decoding_is_cut_off_at_the_time_limit(app, client, audio_fixtures):
    assert app.config["DECODE_TIMEOUT_SECONDS"] == 120  # the default applies to every decode
    app.config["DECODE_TIMEOUT_SECONDS"] = 0.001
    response = upload(client, audio_fixtures / "answer.webm")
    assert response.status_code == 422 and "could not be decoded" in response.json["error"]
    assert "time limit of 0.001 seconds" in response.json["error"]
    assert audio_files(app) == []
    app.config["DECODE_TIMEOUT_SECONDS"] = 120
    assert upload(client, audio_fixtures / "answer.webm").status_code == 201


@pytest.mark.asvs("12.1.3")
def test_too_many_uploads_at_once_get_a_429(client, app, audio_fixtures):
    from app.recordings.gates import upload_gate

    with app.app_context():
        gate = upload_gate()
    with gate.slot(1, 2), gate.slot(1, 2):
        response = upload(client, audio_fixtures / "short.wav")
    assert response.status_code == 429 and "uploads in progress" in response.json["error"]
    assert audio_files(app) == []


def test_a_recording_missing_from_storage_is_a_clear_404(client, app, audio_fixtures):
    attempt_id = upload(client, audio_fixtures / "short.wav").json["id"]
    for path in audio_files(app):
        path.unlink()
    response = client.get(f"/attempts/{attempt_id}/audio")
    assert response.status_code == 404
    assert "recording file is missing" in response.get_data(as_text=True)


def test_other_writers_go_on_while_an_upload_is_decoded(client, app, audio_fixtures, monkeypatch):
    # The upload's first read took SQLite's write lock (a POST does) and kept it while
    # ffmpeg decoded, up to the decode timeout: every worker and every other upload waited,
    # and past the 15 s busy timeout failed with "database is locked".
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the write lock held from BEGIN is SQLite's")
    from app.recordings import upload as uploads

    seen, decode = [], uploads.store_checked

    def decoding(*args, **kwargs):
        seen.append(write_elsewhere(app, "UPDATE questions SET answer_seconds = 41"))
        return decode(*args, **kwargs)

    monkeypatch.setattr(uploads, "store_checked", decoding)
    assert upload(client, audio_fixtures / "short.wav").status_code == 201
    assert seen == ["committed"]


def test_other_writers_go_on_while_an_api_upload_is_received(
    app, anon, audio_fixtures, monkeypatch
):
    # An API call's token was read first, which took SQLite's write lock (a POST does), and
    # the body arrived after: a slow client held every worker and upload up as it sent.
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the write lock held from BEGIN is SQLite's")
    from app import SpoolingRequest
    from app.accounts.identity import create_api_token, find_user
    from tests.conftest import make_user

    make_user(app, "script@example.com")
    with app.app_context():
        token = create_api_token(find_user("script@example.com"), "script")
    seen, receive = [], SpoolingRequest._get_file_stream

    def receiving(self, *args, **kwargs):
        seen.append(write_elsewhere(app, "UPDATE questions SET answer_seconds = 41"))
        return receive(self, *args, **kwargs)

    monkeypatch.setattr(SpoolingRequest, "_get_file_stream", receiving)
    with (audio_fixtures / "short.wav").open("rb") as handle:
        response = anon.post(
            "/api/v1/attempts",
            data={"question_id": "1", "audio": (handle, "short.wav")},
            headers={"Authorization": f"Bearer {token}", **JSON},
            content_type="multipart/form-data",
        )
    assert response.status_code == 202, response.get_json()
    assert seen == ["committed"]


@pytest.mark.parametrize("junk", [{"rating": ""}, {}, {"rating": "x"}, {"rating": "NAILED"}])
def test_a_junk_self_rating_is_refused_and_keeps_the_saved_one(
    client, app, audio_fixtures, monkeypatch, junk
):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    attempt_id = upload(client, audio_fixtures / "short.wav").json["id"]
    client.post(f"/attempts/{attempt_id}/rating", data={"rating": "struggled"})
    for headers in ({}, HTMX):
        refused = client.post(f"/attempts/{attempt_id}/rating", data=junk, headers=headers)
        assert refused.status_code == 422 and "unchanged" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).self_rating == "struggled"
