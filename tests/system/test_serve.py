"""``rebound serve`` killed in the middle of an upload: nothing half-saved, and the retry works.

The server (waitress, with its supervised worker) runs as a subprocess in its own process
group; SIGKILL to the group stands in for a crash or an out-of-memory kill of the machine's
web service. The client is a raw socket, so it can stop half-way through the body.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.accounts.identity import create_api_token, find_user
from app.extensions import db
from app.models import Attempt
from app.recordings.keys import wav_key
from tests.conftest import build_app, free_port, make_user
from tests.fixtures.make_fixtures import ffmpeg

pytestmark = pytest.mark.slow

BOUNDARY = "rebound-test-boundary"


@pytest.fixture
def site(tmp_path, model_cache, database_url):
    """Settings for a served site in ``tmp_path``, its database ready, and an API token."""
    settings = {
        "DATABASE_URL": database_url,
        "AUDIO_DIR": str(tmp_path / "audio"),
        "QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        "SECRET_KEY": "test",
        "PORT": str(free_port()),
        # The worker cannot load this model, so it starts at once, sweeps the spool, and
        # leaves answers queued: this test is about the upload, not the transcription.
        "WHISPER_MODEL": str(tmp_path / "no-model"),
    }
    app = build_app(tmp_path, model_cache, **settings, QUEUE_IMMEDIATE=False)
    make_user(app, "serve@example.com")
    with app.app_context():
        token = create_api_token(find_user("serve@example.com"))
    yield {"settings": settings, "token": token, "app": app, "folder": tmp_path}
    with app.app_context():
        db.engine.dispose()


def start(site) -> subprocess.Popen:
    """``python -m app serve`` in a new process group; returns once it answers."""
    env = dict(os.environ, REBOUND_DATA_DIR=str(site["folder"]), **site["settings"])
    log = (site["folder"] / "serve.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--threads", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", int(site["settings"]["PORT"])), 1):
                return process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                kill(process)
                raise AssertionError((site["folder"] / "serve.log").read_text()) from None
            time.sleep(0.2)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the server and its worker (the whole group we started), and reap it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def multipart(path: Path, upload_id: str) -> bytes:
    fields = {"question_id": "1", "upload_id": upload_id}
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="audio"; filename="{path.name}"'
        "\r\nContent-Type: audio/wav\r\n\r\n".encode()
    )
    return b"".join(parts) + path.read_bytes() + f"\r\n--{BOUNDARY}--\r\n".encode()


def request_head(site, body: bytes) -> bytes:
    return (
        "POST /api/v1/attempts HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{site['settings']['PORT']}\r\n"
        f"Authorization: Bearer {site['token']}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()


def post(site, body: bytes) -> tuple[int, dict]:
    """The whole upload over http.client, as a client's retry would send it."""
    conn = http.client.HTTPConnection("127.0.0.1", int(site["settings"]["PORT"]), timeout=60)
    try:
        head = request_head(site, body).decode().split("\r\n")[1:-2]
        headers = dict(line.split(": ", 1) for line in head)
        conn.request("POST", "/api/v1/attempts", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def stored(site) -> tuple[list[Attempt], list[Path], list[Path]]:
    """Attempt rows; files in the audio folder; files in its spool."""
    app = site["app"]
    with app.app_context():
        db.session.remove()
        rows = db.session.execute(db.select(Attempt)).scalars().all()
    root = Path(site["settings"]["AUDIO_DIR"])
    files = [p for p in root.rglob("*") if p.is_file()]
    spool = [p for p in files if ".incoming" in p.parts]
    return rows, [p for p in files if p not in spool], spool


def wait_for(condition, timeout: float, what: str, step: float = 0.002):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(step)
    return found


def test_server_killed_mid_upload_saves_nothing_and_the_retry_makes_one_attempt(site):
    """Killed while the body arrives, and again while the app works on it: no attempt, no
    orphan, the spool swept at the next start, and the retry with the same upload id makes
    exactly one attempt."""
    answer = site["folder"] / "long-answer.wav"
    # About 48 MB (four minutes of 48 kHz stereo): the upload takes long enough to interrupt.
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000", "-t", "250",
           "-ac", "2", str(answer))  # fmt: skip
    body = multipart(answer, upload_id="take-1")
    spool = Path(site["settings"]["AUDIO_DIR"]) / ".incoming"

    # 1. Half the body sent, then the server dies.
    server = start(site)
    try:
        with socket.create_connection(("127.0.0.1", int(site["settings"]["PORT"]))) as client:
            client.sendall(request_head(site, body) + body[: len(body) // 2])
            time.sleep(0.5)  # let the server read what was sent
            kill(server)
    finally:
        kill(server)
    rows, files, _ = stored(site)
    assert rows == [] and files == []

    # 2. The whole body sent; killed once the app is copying or decoding it.
    server = start(site)
    try:
        with socket.create_connection(("127.0.0.1", int(site["settings"]["PORT"]))) as client:
            client.sendall(request_head(site, body) + body)
            wait_for(lambda: list(spool.glob("*.upload")), 30, "the upload never reached the app")
            kill(server)
    finally:
        kill(server)
    rows, files, leftovers = stored(site)
    assert rows == [] and files == [], (rows, files)
    assert leftovers  # what the dead process was working on stays in the spool, and only there

    # The next start sweeps leftovers old enough that no live upload can own them.
    two_hours_ago = time.time() - 7200
    for path in leftovers:
        os.utime(path, (two_hours_ago, two_hours_ago))
    server = start(site)
    try:
        wait_for(lambda: not any(spool.iterdir()), 60, "the spool was not swept", step=0.2)
        log = (site["folder"] / "serve.log").read_text()
        assert f"removed {len(leftovers)} half-received upload(s)" in log

        # 3. The client retries with the same upload id: one attempt, however many retries.
        status, first = post(site, body)
        assert status == 202, first
        status, again = post(site, body)
        assert status == 202 and again["id"] == first["id"]
    finally:
        kill(server)
    rows, files, leftovers = stored(site)
    assert [(a.id, a.upload_id) for a in rows] == [(first["id"], "take-1")]
    root = Path(site["settings"]["AUDIO_DIR"])
    keys = sorted(p.relative_to(root).as_posix() for p in files)
    assert keys == sorted([rows[0].audio_key, wav_key(rows[0].audio_key)])
    assert leftovers == []


def test_a_body_over_the_limit_gets_the_apps_own_413_from_the_real_server(site):
    """Waitress answered a file just over the limit itself, in plain text ("exceeds
    max_body"), before the app could say what the limit is and what to do."""
    limit = site["app"].config["MAX_CONTENT_LENGTH"]
    too_big = site["folder"] / "too-big.wav"
    too_big.write_bytes(b"\0" * (limit + 200_000))
    body = multipart(too_big, upload_id="too-big")
    server = start(site)
    try:
        with socket.create_connection(("127.0.0.1", int(site["settings"]["PORT"])), 60) as client:
            client.sendall(request_head(site, body) + body)
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                chunk = client.recv(65536)
                if not chunk:
                    break
                reply += chunk
    finally:
        kill(server)
    status_line, _, rest = reply.partition(b"\r\n")
    assert b" 413 " in status_line, reply[:300]
    body = rest.partition(b"\r\n\r\n")[2]
    assert "The file is too large. The limit is" in json.loads(body)["error"]
