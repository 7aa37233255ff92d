"""The queue on Redis: several workers, a worker killed mid-job, shared limits, Redis down."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade

from app import create_app
from app.extensions import db
from app.models import Attempt, JobCounter
from app.questions.banks import sync_banks
from app.worker.queue import queue
from tests.conftest import login, make_user, upload
from tests.fixtures.make_fixtures import ffmpeg
from tests.system.test_worker import start_worker, status_of, stop, wait_for


@pytest.fixture
def settings(tmp_path, model_cache, database_url, redis_settings) -> dict:
    """What the web app and its workers share: one database, one Redis queue."""
    return {
        "DATABASE_URL": database_url,
        "AUDIO_DIR": str(tmp_path / "audio"),
        "MODEL_CACHE_DIR": str(model_cache),
        "SECRET_KEY": "test",
        "JOB_LEASE_SECONDS": "3",
        "REAP_INTERVAL_SECONDS": "1",
        **redis_settings,
    }


@pytest.fixture
def make_web(postgres):
    """Builds web apps on the shared settings; closes their connections afterwards."""
    made = []

    def make(settings, **extra):
        app = create_app({**settings, "TESTING": True, "WTF_CSRF_ENABLED": False, **extra})
        if postgres is None:
            with app.app_context():
                upgrade(directory=app.extensions["migrate"].directory)
                sync_banks(Path(app.config["QUESTION_BANKS_DIR"]))
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def web(settings, make_web):
    return make_web(settings, JOB_LEASE_SECONDS=3)


def worker_in(settings, folder: Path):
    """A ``rebound worker`` with its own data folder, as on a machine of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    return start_worker(settings, folder)


def candidate(app, email="w@example.com"):
    make_user(app, email)
    client = app.test_client()
    login(client, app, email)
    return client


def counter(app, name: str) -> float:
    with app.app_context():
        db.session.remove()
        return db.session.get(JobCounter, name).value


def test_the_queue_lives_in_redis(web, audio_fixtures):
    attempt_id = upload(candidate(web), audio_fixtures / "short.wav").json["id"]
    with web.app_context():
        assert type(queue.huey).__name__ == "RedisHuey"
        assert queue.pending() == 1
    assert status_of(web, attempt_id) == "queued"


@pytest.mark.slow
def test_a_killed_worker_is_replaced_by_another_within_the_lease(
    web, settings, tmp_path, audio_fixtures
):
    long_answer = tmp_path / "story.webm"
    ffmpeg(
        "-i", str(audio_fixtures / "story.wav"), "-c:a", "libopus", "-b:a", "24k", str(long_answer)
    )
    attempt_id = upload(candidate(web), long_answer).json["id"]
    first = worker_in(settings, tmp_path / "one")
    second = None
    try:
        wait_for(web, attempt_id, {"transcribing"}, 90)
        # A second worker on "another machine": its own folder, the same Redis and database.
        second = worker_in(settings, tmp_path / "two")
        time.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = time.monotonic()
        assert wait_for(web, attempt_id, {"done", "failed"}, 120) == "done"
        took = time.monotonic() - killed_at
    finally:
        stop(first)
        if second is not None:
            stop(second)
    with web.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.tries == 2 and "customer renewed" in attempt.transcript_text.lower()
    assert counter(web, "jobs_done") == 1  # counted once, by the worker that stored it
    # Lease (3 s) + reap interval (1 s) + loading and transcribing a minute of speech.
    assert took < 60, f"picked up after {took:.1f} s"


@pytest.mark.slow
def test_the_same_job_queued_many_times_runs_once(web, settings, tmp_path, audio_fixtures):
    attempt_id = upload(candidate(web), audio_fixtures / "short.wav").json["id"]
    with web.app_context():
        for _ in range(4):
            queue.enqueue_transcription(attempt_id)
    workers = [worker_in(settings, tmp_path / name) for name in ("one", "two")]
    try:
        assert wait_for(web, attempt_id, {"done", "failed"}, 90) == "done"
        deadline = time.monotonic() + 30
        with web.app_context():
            while queue.pending() and time.monotonic() < deadline:
                time.sleep(0.2)
        time.sleep(1)
    finally:
        for worker in workers:
            stop(worker)
    with web.app_context():
        assert db.session.get(Attempt, attempt_id).tries == 1
    assert counter(web, "jobs_done") == 1


@pytest.mark.asvs("12.1.3")
def test_the_upload_limit_is_shared_by_web_processes(settings, make_web, audio_fixtures):
    """Two app instances stand for two web processes: slots taken in one count in the other."""
    one = make_web(settings)
    two = make_web(settings)
    client = candidate(two)
    with one.app_context():
        from app.recordings.gates import upload_gate

        gate = upload_gate()
    with gate.slot(1, 2), gate.slot(1, 2):
        refused = upload(client, audio_fixtures / "short.wav")
    assert refused.status_code == 429
    assert upload(client, audio_fixtures / "short.wav").status_code == 201


def test_with_redis_down_answers_are_saved_and_queued_later(settings, make_web, audio_fixtures):
    down = {**settings, "REDIS_URL": "redis://127.0.0.1:1/0"}
    app = make_web(down)
    response = upload(candidate(app), audio_fixtures / "short.wav")
    assert response.status_code == 201, response.json
    assert status_of(app, response.json["id"]) == "queued"
    # Logins still work (limits fall back to this process's memory).
    login_page = app.test_client().post(
        "/login", data={"email": "x@example.com", "password": "p" * 12}
    )
    assert login_page.status_code == 401
    # When Redis is back, the reaper finds the row and queues it.
    back = make_web(settings)
    with back.app_context():
        assert queue.pending() == 0
        queue.run_reaper()
        assert queue.pending() == 1


@pytest.mark.slow
def test_web_and_worker_share_nothing_but_the_services(
    settings, make_web, s3_settings, tmp_path, audio_fixtures
):
    """A web "machine" and a worker "machine" with separate disks: S3, Redis and the database
    are all they have in common."""
    web = make_web({**settings, **s3_settings, "AUDIO_DIR": str(tmp_path / "web-disk")})
    attempt_id = upload(candidate(web), audio_fixtures / "answer.webm").json["id"]
    worker_settings = {**settings, **s3_settings, "AUDIO_DIR": str(tmp_path / "worker-disk")}
    worker = worker_in(worker_settings, tmp_path / "worker-machine")
    try:
        assert wait_for(web, attempt_id, {"done", "failed"}, 90) == "done"
    finally:
        stop(worker)
    with web.app_context():
        assert "deadline" in db.session.get(Attempt, attempt_id).transcript_text
    # The worker's download was for the job only; the web disk holds no recording.
    leftovers = [p for p in (tmp_path / "worker-disk").rglob("*") if p.is_file()]
    assert leftovers == []
    assert not [p for p in (tmp_path / "web-disk").rglob("*.webm")]
