"""Health, readiness, metrics, request ids and logs; the production server."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from app.recordings.storage import LocalAudioStore
from app.web.ops import JsonFormatter, RequestIdFilter
from tests.conftest import free_port, upload


def test_health_needs_no_login(anon):
    response = anon.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_ready_when_every_part_answers(anon):
    response = anon.get("/readyz")
    assert response.status_code == 200, response.json
    assert set(response.json["checks"]) == {"database", "queue", "storage", "model"}
    assert all(part["ok"] for part in response.json["checks"].values())


@pytest.mark.asvs("7.4.1")
def test_not_ready_names_the_part_that_fails_without_details(anon, app, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    app.extensions["rebound_store"] = LocalAudioStore(blocked)
    app.config["WHISPER_MODEL"] = str(tmp_path / "no-model-here")
    response = anon.get("/readyz")
    assert response.status_code == 503 and response.json["status"] == "not ready"
    failed = {name for name, part in response.json["checks"].items() if not part["ok"]}
    assert failed == {"storage", "model"}
    assert str(tmp_path) not in response.get_data(as_text=True)  # no paths for the public


def metric_values(text: str) -> dict[tuple, float]:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def test_metrics_in_prometheus_format(anon):
    response = anon.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    values = metric_values(response.get_data(as_text=True))
    assert values[("rebound_queue_depth", ())] == 0
    assert values[("rebound_jobs_done_total", ())] == 0
    assert values[("rebound_attempts", (("status", "queued"),))] == 0


@pytest.mark.asvs("4.1.1")
def test_metrics_are_for_loopback_or_the_token_holder(anon, app):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert anon.get("/metrics", environ_base=outside).status_code == 403
    app.config["METRICS_TOKEN"] = "scrape-secret-123"
    assert anon.get("/metrics").status_code == 403  # with a token set, loopback needs it too
    wrong = {"Authorization": "Bearer nope"}
    assert anon.get("/metrics", headers=wrong, environ_base=outside).status_code == 403
    right = {"Authorization": "Bearer scrape-secret-123"}
    assert anon.get("/metrics", headers=right, environ_base=outside).status_code == 200


@pytest.mark.slow
def test_metrics_count_transcriptions(client, anon, audio_fixtures):
    assert upload(client, audio_fixtures / "short.wav").status_code == 201
    values = metric_values(anon.get("/metrics").get_data(as_text=True))
    assert values[("rebound_jobs_done_total", ())] == 1
    assert values[("rebound_attempts", (("status", "done"),))] == 1
    assert 0 < values[("rebound_transcription_seconds_total", ())] < 60
    assert values[("rebound_audio_seconds_total", ())] == pytest.approx(2.9, abs=1.5)


def test_every_response_carries_a_request_id(anon, caplog):
    caplog.set_level(logging.INFO, logger="rebound.requests")
    fresh = anon.get("/login")
    made = fresh.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    echoed = anon.get("/login", headers={"X-Request-ID": "lb-1234abcd"})
    assert echoed.headers["X-Request-ID"] == "lb-1234abcd"
    hostile = anon.get("/login", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["X-Request-ID"])
    lines = [r for r in caplog.records if r.name == "rebound.requests"]
    assert [(r.method, r.path, r.status) for r in lines] == [("GET", "/login", 200)] * 3


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("rebound.requests", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.status, record.request_id = 200, "abc123abc"
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "abc123abc" and line["status"] == 200
    assert line["message"] == "GET / 200" and line["level"] == "info" and line["pid"]


def child_pids(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == pid:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found.append((int(entry.name), command))
        except (OSError, ValueError, IndexError):
            continue
    return found


def children_of(pid: int) -> list[str]:
    """Command lines of the processes whose parent is ``pid``."""
    return [command for _pid, command in child_pids(pid)]


@pytest.mark.asvs("2.2.1")
@pytest.mark.slow
def test_production_server_shares_limits_across_processes(
    tmp_path, model_cache, database_url, redis_settings
):
    port = free_port()
    env = dict(
        os.environ,
        REBOUND_DATA_DIR=str(tmp_path),
        DATABASE_URL=database_url,
        SECRET_KEY="production-test",
        MODEL_CACHE_DIR=str(model_cache),
        LOG_FORMAT="json",
        PORT=str(port),
        **redis_settings,
    )
    log = tmp_path / "serve.log"
    with log.open("ab") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--production", "--processes", "2"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, log.read_text()
                time.sleep(0.3)
        assert requests.get(base + "/readyz", timeout=30).status_code == 200
        # The first process may answer while the second is still starting on a busy machine.
        wait_until(
            lambda: len([c for c in children_of(server.pid) if "app worker" not in c]) == 2,
            30,
            f"not two web processes: {children_of(server.pid)}",
        )
        assert not [cmd for cmd in children_of(server.pid) if "app worker" in cmd]

        # Wrong passwords on fresh connections, until both processes have answered some:
        # after the 8th, every one is refused, whichever process takes it.
        session = requests.Session()
        page = session.get(base + "/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        codes, ids = [], []
        for _ in range(30):
            reply = requests.post(
                base + "/login",
                data={"csrf_token": token, "email": "c@example.com", "password": "w" * 14},
                cookies=session.cookies,
                headers={"Connection": "close"},
                allow_redirects=False,
            )
            codes.append(reply.status_code)
            ids.append(reply.headers["X-Request-ID"])
        assert codes[:8] == [401] * 8 and set(codes[8:]) == {429}, codes
    finally:
        server.terminate()
        server.wait(timeout=30)
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    posts = [e for e in entries if e.get("path") == "/login" and e.get("method") == "POST"]
    assert {e["request_id"] for e in posts} == set(ids)
    assert len({e["pid"] for e in posts}) == 2, "one process answered every login"
    assert "pages only" in log.read_text()


def wait_until(condition, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_serve_stops_its_worker(tmp_path, model_cache, database_url, stop_with):
    env = dict(
        os.environ,
        REBOUND_DATA_DIR=str(tmp_path),
        DATABASE_URL=database_url,
        SECRET_KEY="t",
        MODEL_CACHE_DIR=str(model_cache),
        PORT=str(free_port()),
    )
    with (tmp_path / "serve.log").open("ab") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"], cwd=tmp_path, env=env, stdout=out, stderr=out
        )
    try:
        workers: list[int] = []

        def worker_started() -> bool:
            workers[:] = [pid for pid, cmd in child_pids(server.pid) if "app worker" in cmd]
            return bool(workers)

        wait_until(worker_started, 60, (tmp_path / "serve.log").read_text())
        server.send_signal(stop_with)
        server.wait(timeout=30)
        wait_until(
            lambda: (
                not Path(f"/proc/{workers[0]}").exists()
                or " Z " in Path(f"/proc/{workers[0]}/stat").read_text().split(")", 1)[1][:3]
            ),
            30,
            "the worker outlived rebound serve",
        )
    finally:
        if server.poll() is None:
            server.kill()


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db/rebound", "postgresql+psycopg://u:p@db/rebound"),
        ("postgresql://db/rebound", "postgresql+psycopg://db/rebound"),
        ("postgresql+psycopg://db/x", "postgresql+psycopg://db/x"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_from_hosting_providers_work(given, used):
    from app import normalise_database_url

    assert normalise_database_url(given) == used


def test_a_setting_whose_package_is_missing_says_what_to_install(monkeypatch, tmp_path):
    import importlib.util

    from app import create_app

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "boto3" else real(name, *a)
    )
    with pytest.raises(SystemExit, match=r"S3_BUCKET is set, which needs the boto3 package"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "S3_BUCKET": "b"})
