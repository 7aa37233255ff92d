"""The real queue: a ``rebound worker`` process on SqliteHuey, and killing it mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import Attempt
from app.questions.banks import sync_banks
from tests.conftest import upload
from tests.fixtures.make_fixtures import ffmpeg

pytestmark = pytest.mark.slow


@pytest.fixture
def settings(tmp_path, model_cache, database_url) -> dict:
    return {
        "DATABASE_URL": database_url,
        "AUDIO_DIR": str(tmp_path / "audio"),
        "QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        "MODEL_CACHE_DIR": str(model_cache),
        "SECRET_KEY": "test",
        "JOB_LEASE_SECONDS": "3",
    }


@pytest.fixture
def web(settings):
    app = create_app(
        {**settings, "TESTING": True, "WTF_CSRF_ENABLED": False, "JOB_LEASE_SECONDS": 3}
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        sync_banks(Path(app.config["QUESTION_BANKS_DIR"]))
    yield app
    with app.app_context():
        db.engine.dispose()


def web_client(app):
    """A test client logged in as a candidate."""
    from tests.conftest import login, make_user

    make_user(app, "w@example.com")
    client = app.test_client()
    login(client, app, "w@example.com")
    return client


def start_worker(settings, tmp_path) -> subprocess.Popen:
    env = dict(os.environ, REBOUND_DATA_DIR=str(tmp_path), **settings)
    with (tmp_path / "worker.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "app", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        )


def status_of(app, attempt_id: int) -> str:
    with app.app_context():
        db.session.remove()
        return db.session.get(Attempt, attempt_id).status


def wait_for(app, attempt_id: int, wanted: set[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = status_of(app, attempt_id)
        if status in wanted:
            return status
        time.sleep(0.02)
    raise AssertionError(f"attempt {attempt_id} still {status!r} after {timeout} s")


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # A job still running under a loaded machine: end it, and reap the process.
            worker.kill()
            worker.wait(timeout=15)


def test_worker_process_transcribes_from_the_queue(web, settings, tmp_path, audio_fixtures):
    attempt_id = upload(web_client(web), audio_fixtures / "answer.webm").json["id"]
    assert status_of(web, attempt_id) == "queued"  # nothing runs inside the web request
    worker = start_worker(settings, tmp_path)
    try:
        assert wait_for(web, attempt_id, {"done", "failed"}, 90) == "done"
    finally:
        stop(worker)
    with web.app_context():
        assert "deadline" in db.session.get(Attempt, attempt_id).transcript_text
    assert "loaded in" in (tmp_path / "worker.log").read_text()


def test_killed_worker_loses_nothing(web, settings, tmp_path, audio_fixtures):
    long_answer = tmp_path / "story.webm"  # about a minute; Opus keeps the upload small
    ffmpeg(
        "-i", str(audio_fixtures / "story.wav"), "-c:a", "libopus", "-b:a", "24k", str(long_answer)
    )
    attempt_id = upload(web_client(web), long_answer).json["id"]

    worker = start_worker(settings, tmp_path)
    try:
        wait_for(web, attempt_id, {"transcribing"}, 90)
        time.sleep(0.3)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        stop(worker)
    # The job died with the worker; the row still says who had it, until the lease runs out.
    assert status_of(web, attempt_id) == "transcribing"
    time.sleep(3.5)
    replacement = start_worker(settings, tmp_path)
    try:
        assert wait_for(web, attempt_id, {"done", "failed"}, 120) == "done"
    finally:
        stop(replacement)
    with web.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.tries == 2
        assert "customer renewed" in attempt.transcript_text.lower()


def test_worker_with_a_broken_model_keeps_running(web, settings, tmp_path):
    worker = start_worker({**settings, "WHISPER_MODEL": str(tmp_path / "no-such-model")}, tmp_path)
    try:
        deadline = time.monotonic() + 30
        while "transcription unavailable" not in (tmp_path / "worker.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
        time.sleep(1)
        assert worker.poll() is None  # still serving the queue, not crash-looping
    finally:
        stop(worker)


# Sent as a streamed piece, each of these drove a worker to gigabytes (a 33 KB FLAC holding
# four hours: 3.7 GB in `rebound serve`), and again after every restart.
PAST_THE_CAPS = {
    "four-hours-in-33-kb.flac": "longer than the limit of 10 minutes",
    "ffconcat-script.webm": "not a recording we can read",
    "timestamps-claim-12-seconds.webm": "though it claims to last 12",
}
WORKER_PEAK_MB = 700  # the base model and its work; a decoded bomb was gigabytes


def high_water_mb(process: subprocess.Popen) -> float:
    """The most resident memory ``process`` has held so far (Linux's VmHWM), in MB."""
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def streamed(client, piece: bytes, finish: bool = False) -> int:
    """Start a streamed answer, send ``piece`` as its first piece, maybe finish it."""
    attempt_id = client.post("/api/v1/attempts", json={"question_id": 1, "streaming": True}).json[
        "id"
    ]
    sent = client.put(
        f"/api/v1/attempts/{attempt_id}/chunks/0",
        data=piece,
        content_type="application/octet-stream",
    )
    assert sent.status_code == 204
    if finish:
        assert client.post(f"/api/v1/attempts/{attempt_id}/finish").status_code == 202
    return attempt_id


@pytest.mark.asvs("12.1.1", "12.1.2", "12.2.1")
def test_pieces_past_the_caps_fail_their_answers_and_the_worker_stays_small(
    web, settings, tmp_path, audio_fixtures, corpus
):
    """A real worker takes the live transcriptions of three hostile first pieces and the
    final job of a file whose timestamps lie: each answer fails saying why, the worker's
    peak memory stays under 700 MB with the model loaded, and other candidates' answers,
    queued with them and after them, are transcribed."""
    from tests.conftest import login, make_user

    hostile = web_client(web)
    reasons = {
        streamed(hostile, (corpus / name).read_bytes()): reason
        for name, reason in PAST_THE_CAPS.items()
    }
    web.config["LIVE_TRANSCRIPTION"] = False  # only the final job decodes this one
    lying = (corpus / "timestamps-claim-12-seconds.webm").read_bytes()
    reasons[streamed(hostile, lying, finish=True)] = PAST_THE_CAPS[
        "timestamps-claim-12-seconds.webm"
    ]
    make_user(web, "c@example.com")
    candidate = web.test_client()
    login(candidate, web, "c@example.com")
    queued_with_them = upload(candidate, audio_fixtures / "answer.webm").json["id"]
    worker = start_worker(settings, tmp_path)
    try:
        for attempt_id in reasons:
            assert wait_for(web, attempt_id, {"done", "failed"}, 120) == "failed"
        queued_after = upload(candidate, audio_fixtures / "answer.webm").json["id"]
        for attempt_id in (queued_with_them, queued_after):
            assert wait_for(web, attempt_id, {"done", "failed"}, 120) == "done"
        peak_mb = high_water_mb(worker)
    finally:
        stop(worker)
    log = (tmp_path / "worker.log").read_text()
    print(f"worker peak: {peak_mb:.0f} MB")  # shown with -rP
    assert peak_mb < WORKER_PEAK_MB, (peak_mb, log[-3000:])
    assert "Traceback" not in log, log[-3000:]
    for attempt_id, reason in reasons.items():
        shown = hostile.get(f"/api/v1/attempts/{attempt_id}").json
        assert reason in shown["error"], shown
        assert any(advice in shown["error"] for advice in ("Record", "Answer", "Upload")), shown
        page = hostile.get(f"/attempts/{attempt_id}")
        assert page.status_code == 200 and reason in page.get_data(as_text=True)
