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
            worker.kill()


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
