"""Recordings streamed in pieces: start, pieces, finish, gaps, repeats, abandoned tabs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.models import Attempt, AttemptPiece, utcnow
from app.recordings import streaming
from app.recordings.audio import probe
from app.recordings.streaming import finish_abandoned
from tests.conftest import audio_files, make_user, upload, words_of
from tests.web.test_attempts import SPOKEN


def pieces_of(path: Path, count: int) -> list[bytes]:
    """Cut a file's bytes into ``count`` pieces, as MediaRecorder's timeslices do."""
    data = path.read_bytes()
    size = -(-len(data) // count)
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.fixture
def live(app, monkeypatch):
    """Attempt ids sent for a live transcript (run for real in test_live)."""
    sent: list[int] = []
    monkeypatch.setattr(app.extensions["rebound_queue"], "enqueue_live", sent.append)
    return sent


@pytest.fixture
def queued(app, monkeypatch, live):
    """Attempt ids sent to the queue (the transcription itself is tested elsewhere)."""
    sent: list[int] = []
    monkeypatch.setattr(app.extensions["rebound_queue"], "enqueue_transcription", sent.append)
    return sent


def start(client, question_id: int = 1, **extra):
    return client.post(
        "/api/v1/attempts", json={"question_id": question_id, "streaming": True, **extra}
    )


def put(client, attempt_id: int, seq: int, body: bytes):
    return client.put(
        f"/api/v1/attempts/{attempt_id}/chunks/{seq}",
        data=body,
        content_type="application/octet-stream",
    )


def stream(client, path: Path, count: int = 8) -> int:
    attempt_id = start(client).json["id"]
    for seq, piece in enumerate(pieces_of(path, count)):
        assert put(client, attempt_id, seq, piece).status_code == 204
    return attempt_id


def test_a_streamed_recording_becomes_one_recording(client, app, audio_fixtures, queued):
    created = start(client)
    assert created.status_code == 201
    assert created.json["status"] == "recording"
    attempt_id = created.json["id"]
    shown = client.get(f"/api/v1/attempts/{attempt_id}").json
    assert shown["status"] == "recording" and shown["partial_text"] == ""
    for seq, piece in enumerate(pieces_of(audio_fixtures / "answer.webm", 8)):
        assert put(client, attempt_id, seq, piece).status_code == 204
    with app.app_context():
        assert len(db.session.execute(db.select(AttemptPiece)).all()) == 8
    finished = client.post(f"/api/v1/attempts/{attempt_id}/finish")
    assert finished.status_code == 202 and finished.json["status"] == "queued"
    assert queued == [attempt_id]
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.audio_format == "webm/opus" and attempt.duration_s > 5
        assert db.session.execute(db.select(AttemptPiece)).all() == []
    # One recording, not decoded at Stop (the final job decodes what it needs); no pieces.
    stored = audio_files(app)
    assert len(stored) == 1
    original = next(p for p in stored if p.suffix == ".webm")
    assert original.read_bytes() == (audio_fixtures / "answer.webm").read_bytes()
    # Finishing again is harmless and queues nothing more.
    again = client.post(f"/api/v1/attempts/{attempt_id}/finish")
    assert again.status_code == 202 and queued == [attempt_id]


def test_a_repeated_piece_is_stored_once_and_different_bytes_are_refused(
    client, app, audio_fixtures, queued
):
    attempt_id = start(client).json["id"]
    pieces = pieces_of(audio_fixtures / "answer.webm", 4)
    for seq, piece in enumerate(pieces):
        assert put(client, attempt_id, seq, piece).status_code == 204
    assert put(client, attempt_id, 1, pieces[1]).status_code == 204  # a retry after a hiccup
    conflict = put(client, attempt_id, 1, b"other bytes")
    assert conflict.status_code == 409 and "different content" in conflict.json["error"]
    client.post(f"/api/v1/attempts/{attempt_id}/finish")
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).size_bytes == sum(map(len, pieces))
    late = put(client, attempt_id, 4, b"more")
    assert late.status_code == 409 and "already finished" in late.json["error"]


def test_a_piece_that_arrives_while_stop_finishes_is_refused_and_not_kept(
    client, app, audio_fixtures, queued, monkeypatch
):
    """Stop finishes the recording between a piece's first check and its write: the piece is
    refused, and neither its row nor its bytes stay behind on the finished recording."""
    attempt_id = start(client).json["id"]
    pieces = pieces_of(audio_fixtures / "answer.webm", 4)
    for seq, piece in enumerate(pieces[:3]):
        assert put(client, attempt_id, seq, piece).status_code == 204
    saved: list[str] = []
    real_save = streaming._save_bytes

    def save_while_stop_finishes(body: bytes) -> str:
        saved.append(real_save(body))
        with db.engine.begin() as other:  # the finish request, on its own connection
            other.execute(
                db.update(Attempt).where(Attempt.id == attempt_id).values(status="queued")
            )
        return saved[-1]

    monkeypatch.setattr(streaming, "_save_bytes", save_while_stop_finishes)
    late = put(client, attempt_id, 3, pieces[3])
    assert late.status_code == 409 and "already finished" in late.json["error"]
    with app.app_context():
        seqs = db.session.execute(
            db.select(AttemptPiece.seq).filter_by(attempt_id=attempt_id)
        ).scalars()
        assert sorted(seqs) == [0, 1, 2]
        assert saved and not app.extensions["rebound_store"].exists(saved[0])


def test_a_gap_at_finish_names_the_missing_pieces(client, app, audio_fixtures, queued):
    attempt_id = start(client).json["id"]
    pieces = pieces_of(audio_fixtures / "answer.webm", 6)
    for seq in (0, 1, 3, 5):
        put(client, attempt_id, seq, pieces[seq])
    refused = client.post(f"/api/v1/attempts/{attempt_id}/finish")
    assert refused.status_code == 422
    assert refused.json["missing"] == [2, 4] and "2, 4" in refused.json["error"]
    assert queued == []
    for seq in (2, 4):
        put(client, attempt_id, seq, pieces[seq])
    assert client.post(f"/api/v1/attempts/{attempt_id}/finish").status_code == 202


def test_finish_without_pieces_or_with_junk_is_a_clear_422(client, app, queued):
    empty = start(client).json["id"]
    refused = client.post(f"/api/v1/attempts/{empty}/finish")
    assert refused.status_code == 422 and "No audio arrived" in refused.json["error"]
    junk = start(client).json["id"]
    put(client, junk, 0, b"not a recording at all")
    refused = client.post(f"/api/v1/attempts/{junk}/finish")
    assert refused.status_code == 422 and "not a recording we can read" in refused.json["error"]
    shown = client.get(f"/api/v1/attempts/{junk}").json
    assert shown["status"] == "failed" and "not a recording" in shown["error"]
    assert audio_files(app) == [] and queued == []


def test_size_limits_per_piece_and_in_total(client, app, queued):
    app.config.update(MAX_PIECE_KB=1, MAX_UPLOAD_MB=1)
    attempt_id = start(client).json["id"]
    too_big = put(client, attempt_id, 0, b"x" * 1025)
    assert too_big.status_code == 413 and "1 KB per piece" in too_big.json["error"]
    app.config.update(MAX_PIECE_KB=1024)
    assert put(client, attempt_id, 0, b"x" * 600_000).status_code == 204
    over = put(client, attempt_id, 1, b"x" * 600_000)
    assert over.status_code == 413 and "1 MB" in over.json["error"]
    assert put(client, attempt_id, 100_001, b"x").status_code == 422
    assert put(client, attempt_id, 2, b"").status_code == 422


def test_the_same_upload_id_starts_one_recording(client, live):
    first = start(client, upload_id="take-1").json["id"]
    assert start(client, upload_id="take-1").json["id"] == first
    assert start(client, upload_id="take-2").json["id"] != first


def test_bad_start_requests(client):
    assert client.post("/api/v1/attempts", json={"question_id": 1}).status_code == 400
    assert client.post("/api/v1/attempts", json=[1]).status_code == 400
    assert start(client, question_id=999_999).status_code == 404
    # JSON's false is no id (PostgreSQL refused "id = false" with a 500; found by fuzzing),
    # nor is a number no id column can hold: both say what question_id must be.
    for not_an_id in (False, 2**40, "1", None):
        refused = start(client, question_id=not_an_id)
        assert refused.status_code == 400 and "question_id is required" in refused.json["error"]
    assert start(client, practice_id=2**40).status_code == 201


def test_one_live_transcript_waits_per_recording_however_fast_pieces_come(
    client, app, audio_fixtures, queued, live
):
    attempt_id = stream(client, audio_fixtures / "answer.webm", 6)
    assert live == [attempt_id]  # the flag stays set until a worker takes the job
    with app.app_context():
        db.session.execute(db.update(Attempt).values(live_queued=False))
        db.session.commit()
    put(client, attempt_id, 6, b"more")
    put(client, attempt_id, 6, b"more")  # a repeat queues nothing
    assert live == [attempt_id, attempt_id]
    app.config["LIVE_TRANSCRIPTION"] = False
    with app.app_context():
        db.session.execute(db.update(Attempt).values(live_queued=False))
        db.session.commit()
    put(client, attempt_id, 7, b"more")
    assert live == [attempt_id, attempt_id]


def test_the_last_piece_queues_no_live_transcript_as_finish_follows(
    client, app, audio_fixtures, queued, live
):
    # A live run queued for the last piece held the single worker 0.05-0.1 s while the final
    # job, which the candidate waits for, queued behind it.
    pieces = pieces_of(audio_fixtures / "answer.webm", 4)
    attempt_id = start(client).json["id"]
    for seq, piece in enumerate(pieces[:-1]):
        put(client, attempt_id, seq, piece)
    assert live == [attempt_id]
    with app.app_context():
        db.session.execute(db.update(Attempt).values(live_queued=False))
        db.session.commit()
    last = client.put(
        f"/api/v1/attempts/{attempt_id}/chunks/3?last=true",
        data=pieces[-1],
        content_type="application/octet-stream",
    )
    assert last.status_code == 204 and live == [attempt_id]
    assert client.post(f"/api/v1/attempts/{attempt_id}/finish").status_code == 202
    assert queued == [attempt_id]


def test_others_cannot_send_or_finish_pieces(client, app, anon, live):
    attempt_id = start(client).json["id"]
    make_user(app, "b@example.com")
    from tests.conftest import login

    other = app.test_client()
    login(other, app, "b@example.com")
    assert put(other, attempt_id, 0, b"x").status_code == 404
    assert other.post(f"/api/v1/attempts/{attempt_id}/finish").status_code == 404
    assert put(anon, attempt_id, 0, b"x").status_code == 401
    with app.app_context():
        assert db.session.execute(db.select(AttemptPiece)).all() == []


def test_an_abandoned_recording_is_finished_with_what_arrived(client, app, audio_fixtures, queued):
    attempt_id = start(client).json["id"]
    pieces = pieces_of(audio_fixtures / "answer.webm", 8)
    for seq in (0, 1, 2, 3, 4, 6):  # piece 5 was lost with the tab; 6 cannot be used alone
        put(client, attempt_id, seq, pieces[seq])
    nothing = start(client).json["id"]
    with app.app_context():
        assert finish_abandoned() == 0  # still recording: pieces arrived just now
        later = utcnow() + timedelta(seconds=app.config["ABANDONED_RECORDING_SECONDS"] + 1)
        assert finish_abandoned(now=later) == 2
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "queued"
        assert attempt.size_bytes == sum(map(len, pieces[:5]))
        assert 0 < attempt.duration_s < 10
        empty = db.session.get(Attempt, nothing)
        assert empty.status == "failed" and "No audio arrived" in empty.error
        assert db.session.execute(db.select(AttemptPiece)).all() == []
    assert queued == [attempt_id]


def test_the_reaper_finishes_abandoned_recordings(client, app, audio_fixtures, queued):
    attempt_id = stream(client, audio_fixtures / "answer.webm", 3)
    with app.app_context():
        db.session.execute(db.update(Attempt).values(last_piece_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    app.extensions["rebound_queue"].run_reaper()
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).status == "queued"


def test_deleting_a_recording_attempt_removes_its_pieces(client, app, audio_fixtures, live):
    attempt_id = start(client).json["id"]
    for seq, piece in enumerate(pieces_of(audio_fixtures / "answer.webm", 3)):
        put(client, attempt_id, seq, piece)
    assert len(audio_files(app)) == 3
    client.post(f"/attempts/{attempt_id}/delete")
    assert audio_files(app) == []
    with app.app_context():
        assert db.session.get(Attempt, attempt_id) is None


def test_a_recording_in_progress_shows_in_pages(client, app, audio_fixtures, live):
    attempt_id = stream(client, audio_fixtures / "answer.webm", 2)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Recording" in page and f'data-events="/api/v1/attempts/{attempt_id}/events"' in page
    history = client.get("/history").get_data(as_text=True)
    assert "Recording" in history


def test_the_openapi_file_describes_streaming(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "put" in paths["/api/v1/attempts/{id}/chunks/{seq}"]
    assert "post" in paths["/api/v1/attempts/{id}/finish"]
    assert "application/json" in paths["/api/v1/attempts"]["post"]["requestBody"]["content"]


@pytest.mark.slow
def test_a_streamed_answer_is_transcribed(client, app, audio_fixtures, live):
    attempt_id = stream(client, audio_fixtures / "answer.webm", 10)
    client.post(f"/api/v1/attempts/{attempt_id}/finish")
    shown = client.get(f"/api/v1/attempts/{attempt_id}").json
    assert shown["status"] == "done" and shown["partial_text"] is None
    # No live run got to it, so the whole recording was decoded for the final job.
    assert len(SPOKEN & words_of(shown["transcript"]["text"])) >= 4
    assert [p.suffix for p in audio_files(app)] == [".webm"]


def test_a_streamed_take_can_belong_to_a_practice_session(client, app, live):
    with app.app_context():
        from app.models import Practice

        own = Practice(owner_id=1, question_ids=[1])
        other_user = make_user(app, "b@example.com")
        theirs = Practice(owner_id=other_user, question_ids=[1])
        db.session.add_all([own, theirs])
        db.session.commit()
        own_id, theirs_id = own.id, theirs.id
    mine = start(client, practice_id=own_id).json["id"]
    foreign = start(client, practice_id=theirs_id).json["id"]
    with app.app_context():
        assert db.session.get(Attempt, mine).practice_id == own_id
        assert db.session.get(Attempt, foreign).practice_id is None


@pytest.mark.asvs("12.1.2", "12.2.1")
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("four-hours-in-33-kb.flac", "longer than the limit of 10 minutes"),
        ("ffconcat-script.webm", "not a recording we can read"),
        ("timestamps-claim-12-seconds.webm", "though it claims to last 12"),
    ],
)
def test_a_piece_past_the_caps_stops_the_recording_and_says_why(client, app, corpus, name, reason):
    """Sent as piece 0, each held a worker: a four-hour FLAC bomb of 33 KB (2.3 GB decoded),
    a concat script that opened itself a thousand times, and a file whose timestamps claim
    12 s of its 20 minutes. The live transcription (run here, in the request) refuses it
    under the upload's caps and fails the recording, saying why and what to do."""
    attempt_id = start(client).json["id"]
    assert put(client, attempt_id, 0, (corpus / name).read_bytes()).status_code == 204
    shown = client.get(f"/api/v1/attempts/{attempt_id}").json
    assert shown["status"] == "failed" and reason in shown["error"], shown
    assert any(advice in shown["error"] for advice in ("Record", "Upload", "Answer"))
    page = client.get(f"/attempts/{attempt_id}")
    assert page.status_code == 200 and reason in page.get_data(as_text=True)
    assert audio_files(app) == []  # the piece went with the recording
    more = put(client, attempt_id, 1, b"more")
    assert more.status_code == 409 and reason in more.json["error"]
    finished = client.post(f"/api/v1/attempts/{attempt_id}/finish")
    assert finished.status_code == 202 and finished.json["status"] == "failed"


def test_an_answer_a_fraction_over_the_limit_is_kept_streamed_or_uploaded(
    client, app, audio_fixtures, queued
):
    """The recorder stops itself at MAX_ANSWER_SECONDS and hands over a little more."""
    path = audio_fixtures / "answer.webm"
    length = probe(path, 600).duration_s
    app.config["MAX_ANSWER_SECONDS"] = int(length)  # the answer ends a fraction past it
    assert 0 < length - int(length) < 1
    attempt_id = stream(client, path, 8)
    finished = client.post(f"/api/v1/attempts/{attempt_id}/finish")
    assert finished.status_code == 202 and finished.json["status"] == "queued", finished.json
    uploaded = upload(client, path)
    assert uploaded.status_code == 201, uploaded.json
    with app.app_context():
        for kept in (attempt_id, uploaded.json["id"]):
            assert db.session.get(Attempt, kept).duration_s > int(length)
    assert queued == [attempt_id, uploaded.json["id"]]
    # Seconds over, not a fraction: refused as before, with the limit named.
    app.config["MAX_ANSWER_SECONDS"] = int(length) - 3
    refused = upload(client, path)
    assert refused.status_code == 422 and "limit of 6 seconds" in refused.json["error"]


def test_one_recording_that_cannot_be_finished_does_not_stop_the_others(
    client, app, audio_fixtures, queued, monkeypatch, caplog
):
    """The reaper finishes abandoned recordings in a loop: one that fails is logged and
    tried again next time, and the ones after it are still finished."""
    stuck = stream(client, audio_fixtures / "answer.webm", 3)
    later = stream(client, audio_fixtures / "answer.webm", 3)
    real = streaming.finish_recording

    def failing(attempt, **kwargs):
        if attempt.id == stuck:
            raise RuntimeError("the spool folder is not writable")
        return real(attempt, **kwargs)

    monkeypatch.setattr(streaming, "finish_recording", failing)
    with app.app_context():
        db.session.execute(db.update(Attempt).values(last_piece_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    app.extensions["rebound_queue"].run_reaper()
    with app.app_context():
        assert db.session.get(Attempt, stuck).status == "recording"  # tried again next time
        assert db.session.get(Attempt, later).status == "queued"
    assert queued == [later]
    assert f"recording {stuck} could not be finished" in caplog.text


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "application/json", "multipart/form-data"]
)
def test_a_piece_sent_as_a_form_or_json_says_how_to_send_it(client, app, live, content_type):
    """curl's default type made the bytes arrive "empty", since the input checks read such a
    body as fields first; a later finish then failed the whole recording."""
    attempt_id = start(client).json["id"]
    response = client.put(
        f"/api/v1/attempts/{attempt_id}/chunks/0",
        data=b"\x1a\x45\xdf\xa3 bytes",
        content_type=content_type,
    )
    assert response.status_code == 415 and "application/octet-stream" in response.json["error"]
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).status == "recording"


def test_a_streamed_answer_that_runs_past_the_limit_keeps_its_first_minutes(
    client, app, audio_fixtures, queued
):
    """A hidden tab's timers run late, so the recorder can overshoot the limit: the answer is
    cut at the limit (within a piece) instead of failing and dropping every piece."""
    path = audio_fixtures / "answer.webm"
    length = probe(path, 600).duration_s
    app.config["MAX_ANSWER_SECONDS"] = limit = int(length) - 4  # seconds over, not a fraction
    attempt_id = stream(client, path, 16)
    finished = client.post(f"/api/v1/attempts/{attempt_id}/finish")
    assert finished.status_code == 202 and finished.json["status"] == "queued", finished.json
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert limit - 2 < attempt.duration_s <= limit + 2, attempt.duration_s
        assert attempt.size_bytes < path.stat().st_size
        assert db.session.execute(db.select(AttemptPiece)).all() == []
    assert queued == [attempt_id]
    with app.app_context():  # as the worker leaves it
        attempt = db.session.get(Attempt, attempt_id)
        attempt.status, attempt.transcript_text = "done", "My answer went on."
        attempt.words = [{"word": " My", "start": 0.5, "end": 0.8, "probability": 0.9}]
        db.session.commit()
    assert "reached the limit of" in client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    # An upload has its whole file at hand: it is still refused, saying why.
    assert upload(client, path).status_code == 422
