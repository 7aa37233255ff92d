"""Recordings in S3-compatible storage, against moto's S3 server (a stand-in, in memory).

The same contract runs against the local folder and the bucket; then the whole path
(upload, transcription, playback with seeking, export, deletion) runs with the bucket.
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import boto3
import pytest

from app import create_app
from app.extensions import db
from app.recordings.errors import RecordingMissing, StorageError
from app.recordings.storage import LocalAudioStore, S3AudioStore
from tests.conftest import JSON, audio_files, login, make_user, upload


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalAudioStore(tmp_path / "audio")
    settings = request.getfixturevalue("s3_settings")
    return S3AudioStore(
        settings["S3_BUCKET"],
        settings["S3_PREFIX"],
        spool_dir=tmp_path / "spool",
        endpoint_url=settings["S3_ENDPOINT_URL"],
    )


def test_store_contract(store, tmp_path):
    source = tmp_path / "take.webm"
    source.write_bytes(b"recorded bytes " * 1000)
    key = store.new_key("webm")
    assert key.endswith(".webm") and len(key.split("/")[1]) == 32 + 5
    assert not store.exists(key)
    store.save_file(key, source)
    assert store.exists(key)
    assert key in set(store.iter_keys(older_than_s=-60))  # a cutoff in the future: all
    assert key not in set(store.iter_keys(older_than_s=3600))  # written just now
    with store.open(key) as stream:
        assert stream.read() == source.read_bytes()
    assert store.local_path(key).read_bytes() == source.read_bytes()
    with store.local_copy(key) as copy:
        assert copy.read_bytes() == source.read_bytes()
    store.check()
    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(RecordingMissing):
        store.local_path(key)
    with pytest.raises(RecordingMissing):
        store.open(key)
    store.delete(key)  # deleting twice is not an error


@pytest.mark.parametrize("key", ["../outside.webm", "/etc/passwd", "ab/../../x.webm"])
def test_store_refuses_keys_it_did_not_make(store, key):
    with pytest.raises(StorageError):
        store.local_path(key)


def test_cached_downloads_are_swept(s3_settings, tmp_path):
    store = S3AudioStore(
        s3_settings["S3_BUCKET"],
        "p/",
        spool_dir=tmp_path / "spool",
        endpoint_url=s3_settings["S3_ENDPOINT_URL"],
    )
    source = tmp_path / "a.wav"
    source.write_bytes(b"x" * 10)
    key = store.new_key("wav")
    store.save_file(key, source)
    cached = store.local_path(key)
    assert cached.is_file() and str(cached).startswith(str(tmp_path / "spool"))
    assert store.sweep_spool(older_than_s=3600) == 0
    old = time.time() - 7200
    os.utime(cached, (old, old))
    assert store.sweep_spool(older_than_s=3600) == 1 and not cached.exists()
    assert store.exists(key)  # only the local copy went


def test_server_side_encryption_is_asked_for_when_configured(s3_settings, tmp_path):
    store = S3AudioStore(
        s3_settings["S3_BUCKET"],
        "p/",
        spool_dir=tmp_path / "spool",
        endpoint_url=s3_settings["S3_ENDPOINT_URL"],
        server_side_encryption="AES256",
    )
    source = tmp_path / "a.wav"
    source.write_bytes(b"x")
    key = store.new_key("wav")
    store.save_file(key, source)
    head = store.client.head_object(Bucket=store.bucket, Key="p/" + key)
    assert head["ServerSideEncryption"] == "AES256"


@pytest.fixture
def s3_app(tmp_path, model_cache, database_url, postgres, s3_settings):
    """The usual test app, keeping recordings in a bucket."""
    from flask_migrate import upgrade

    from app.questions.banks import sync_banks

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": database_url,
            "AUDIO_DIR": str(tmp_path / "scratch"),
            "QUEUE_IMMEDIATE": True,
            "MODEL_CACHE_DIR": str(model_cache),
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
            **s3_settings,
        }
    )
    if postgres is None:
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            sync_banks(Path(app.config["QUESTION_BANKS_DIR"]))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def objects(settings) -> list[str]:
    client = boto3.client("s3", endpoint_url=settings["S3_ENDPOINT_URL"])
    listing = client.list_objects_v2(Bucket=settings["S3_BUCKET"])
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.mark.slow
def test_the_practice_loop_keeps_recordings_in_the_bucket(s3_app, s3_settings, audio_fixtures):
    make_user(s3_app, "a@example.com")
    client = s3_app.test_client()
    login(client, s3_app, "a@example.com")

    created = upload(client, audio_fixtures / "answer.webm")
    assert created.status_code == 201, created.json
    attempt_id = created.json["id"]
    stored = objects(s3_settings)
    assert len(stored) == 2 and all(key.startswith("recordings/") for key in stored)
    assert audio_files(s3_app) == []  # nothing kept on the web machine's disk

    shown = client.get(f"/api/v1/attempts/{attempt_id}", headers=JSON).json
    assert shown["status"] == "done" and "deadline" in shown["transcript"]["text"]

    whole = client.get(f"/attempts/{attempt_id}/audio")
    assert whole.status_code == 200
    assert whole.data == (audio_fixtures / "answer.webm").read_bytes()
    whole.close()
    part = client.get(f"/attempts/{attempt_id}/audio", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == whole.data[100:200]
    part.close()

    export = client.get("/export.zip")
    with zipfile.ZipFile(io.BytesIO(export.data)) as archive:
        assert f"audio/attempt-{attempt_id}.webm" in archive.namelist()
    export.close()

    deleted = client.post(f"/attempts/{attempt_id}/delete")
    assert deleted.status_code in (302, 303)
    assert objects(s3_settings) == []


def test_an_unreachable_bucket_is_a_clear_503_and_saves_nothing(
    s3_app, s3_settings, audio_fixtures
):
    make_user(s3_app, "a@example.com")
    client = s3_app.test_client()
    login(client, s3_app, "a@example.com")
    store = s3_app.extensions["rebound_store"]
    store.bucket = "no-such-bucket-here"
    response = upload(client, audio_fixtures / "short.wav")
    assert response.status_code == 503
    assert "storage service did not answer" in response.json["error"]
    with s3_app.app_context():
        assert client.get("/api/v1/attempts", headers=JSON).json["attempts"] == []
    assert objects(s3_settings) == []


@pytest.mark.slow
def test_streamed_pieces_live_in_the_bucket_until_finish(s3_app, s3_settings, audio_fixtures):
    from tests.recordings.test_streaming import pieces_of, put, start

    make_user(s3_app, "a@example.com")
    client = s3_app.test_client()
    login(client, s3_app, "a@example.com")
    attempt_id = start(client).json["id"]
    pieces = pieces_of(audio_fixtures / "answer.webm", 4)
    for seq, piece in enumerate(pieces):
        assert put(client, attempt_id, seq, piece).status_code == 204
    assert put(client, attempt_id, 2, pieces[2]).status_code == 204  # a retry stores nothing
    stored = objects(s3_settings)
    assert len(stored) == 4 and all(key.endswith(".piece") for key in stored)
    assert client.post(f"/api/v1/attempts/{attempt_id}/finish").status_code == 202
    stored = objects(s3_settings)
    # The recording alone: the pieces are gone, and no WAV is made at Stop.
    assert len(stored) == 1 and not any(key.endswith(".piece") for key in stored)
    shown = client.get(f"/api/v1/attempts/{attempt_id}", headers=JSON).json
    assert shown["status"] == "done" and "deadline" in shown["transcript"]["text"]
    whole = client.get(f"/attempts/{attempt_id}/audio")
    assert whole.data == (audio_fixtures / "answer.webm").read_bytes()
    whole.close()
