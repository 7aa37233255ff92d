"""Holes an outside review found in the web layer: redirects, proxies, data-file modes and
reads that write, each reproduced here before it was fixed."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, make_user


@pytest.mark.asvs("5.1.5")
@pytest.mark.parametrize(
    "target",
    # As they arrive in the query string: %09 is a tab, %0d a carriage return, %5c a backslash.
    ["/%09/evil.example", "/%0d/evil.example", "/%0a/x", "//evil.example", "/%5cevil.example",
     "https%3a//evil.example/", "/%20/evil.example", "javascript:alert(1)", "/%e3%80%80/evil"],
)  # fmt: skip
def test_login_and_signup_never_redirect_off_site(anon, app, target):
    make_user(app, "a@example.com")
    login = anon.post(
        f"/login?next={target}", data={"email": "a@example.com", "password": PASSWORD}
    )
    assert login.status_code == 302 and login.headers["Location"] == "/"
    signup = app.test_client().post(
        f"/signup?next={target}",
        data={"email": "new@example.com", "password": PASSWORD, "display_name": "N"},
    )
    assert signup.status_code in (302, 422) and signup.headers.get("Location", "/") == "/"


def test_a_same_site_path_is_still_followed(anon, app):
    make_user(app, "a@example.com")
    response = anon.post(
        "/login", query_string={"next": "/history?question=2"},
        data={"email": "a@example.com", "password": PASSWORD},
    )  # fmt: skip
    assert response.headers["Location"] == "/history?question=2"


def _events(app, attempt_id: int) -> list[str]:
    from app.extensions import db
    from app.models import AuditEvent

    with app.app_context():
        return list(
            db.session.execute(
                db.select(AuditEvent.action).filter_by(attempt_id=attempt_id)
            ).scalars()
        )


@pytest.fixture
def shared_reader(client, app):
    """Recruiter R, with everything of candidate A shared; returns R's logged-in client."""
    from tests.conftest import login

    make_user(app, "r@example.com", "recruiter")
    assert (
        client.post("/shares", data={"email": "r@example.com", "what": "everything"}).status_code
        == 302
    )
    recruiter = app.test_client()
    login(recruiter, app, "r@example.com")
    return recruiter


@pytest.mark.asvs("8.3.5")
@pytest.mark.parametrize(
    "path, headers, action",
    [("/attempts/{id}", {"HX-Request": "true"}, "viewed"),
     ("/attempts/{id}/report", {}, "viewed"),
     ("/attempts/{id}/report.md", {}, "viewed"),
     ("/attempts/{id}/audio", {"Range": "BYTES=0-"}, "listened"),
     ("/attempts/{id}/audio", {"Range": "bytes=-100"}, "listened"),
     ("/attempts/{id}/audio", {"Range": "bytes=500-"}, "listened"),
     ("/api/v1/attempts/{id}", {}, "api")],
)  # fmt: skip
def test_every_read_by_a_recruiter_is_in_the_candidates_log(
    app, shared_reader, path, headers, action
):
    from pathlib import Path

    from tests.reports.test_feedback import STORY, make_attempt

    attempt_id = make_attempt(app, STORY)
    (Path(app.config["AUDIO_DIR"]) / "ab").mkdir(parents=True, exist_ok=True)
    (Path(app.config["AUDIO_DIR"]) / "ab" / "x.webm").write_bytes(b"audio" * 200)
    response = shared_reader.get(path.format(id=attempt_id), headers=headers)
    assert response.status_code in (200, 206, 286)
    response.close()
    assert _events(app, attempt_id) == [action]
    shared_reader.get(path.format(id=attempt_id), headers=headers).close()
    assert _events(app, attempt_id) == [action]  # once per ten minutes, not per request


@pytest.mark.asvs("8.3.5")
def test_the_compare_view_logs_both_answers_it_shows(app, shared_reader):
    from app.extensions import db
    from app.models import Attempt
    from tests.reports.test_feedback import STORY, make_attempt

    first, second = make_attempt(app, STORY), make_attempt(app, STORY + " Then we shipped.")
    with app.app_context():
        question_id = db.session.get(Attempt, first).question_id
    page = shared_reader.get(f"/questions/{question_id}/compare?candidate=1")
    assert page.status_code == 200
    assert _events(app, first) == ["viewed"] and _events(app, second) == ["viewed"]


def _fail_logins(client, address: str, times: int) -> list[int]:
    return [
        client.post(
            "/login",
            data={"email": f"nobody{n}@example.com", "password": "wrong wrong wrong"},
            headers={"X-Forwarded-For": address},
        ).status_code
        for n in range(times)
    ]


@pytest.mark.asvs("2.2.1")
def test_behind_a_trusted_proxy_each_visitor_has_their_own_login_limit(tmp_path, model_cache):
    from tests.conftest import build_app

    app = build_app(tmp_path, model_cache, TRUSTED_PROXY_HOPS=1)
    client = app.test_client()  # every request arrives from the proxy, 127.0.0.1
    assert _fail_logins(client, "203.0.113.7", 21)[-1] == 429
    assert _fail_logins(client, "198.51.100.4", 1) == [401]  # someone else is not locked out


def test_without_the_setting_forwarded_addresses_are_not_believed(tmp_path, model_cache):
    from tests.conftest import build_app

    app = build_app(tmp_path, model_cache)
    client = app.test_client()
    assert _fail_logins(client, "203.0.113.7", 21)[-1] == 429
    assert _fail_logins(client, "198.51.100.4", 1) == [429]  # a forged header changes nothing


@pytest.mark.asvs("4.1.1")
def test_behind_a_proxy_metrics_need_the_token_even_from_loopback(tmp_path, model_cache):
    from tests.conftest import build_app

    behind = build_app(tmp_path / "a", model_cache, TRUSTED_PROXY_HOPS=1).test_client()
    assert behind.get("/metrics").status_code == 403  # the proxy itself is on loopback
    assert behind.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 403
    direct = build_app(tmp_path / "b", model_cache).test_client()
    assert direct.get("/metrics").status_code == 200  # no proxy: loopback is this machine
    token = build_app(tmp_path / "c", model_cache, TRUSTED_PROXY_HOPS=1, METRICS_TOKEN="s3cret")
    assert (
        token.test_client().get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code
        == 200
    )


@pytest.mark.asvs("8.1.6", "12.3.1")
def test_data_files_and_folders_are_private_to_the_user(tmp_path, model_cache, audio_fixtures):
    import os
    import stat
    from pathlib import Path

    from tests.conftest import build_app, login, upload

    os.umask(0o022)  # a usual shell: files 0644, folders 0755 unless Rebound says otherwise
    (tmp_path / "audio").mkdir(mode=0o755)
    app = build_app(
        tmp_path, model_cache, QUEUE_IMMEDIATE=False, QUEUE_PATH=str(tmp_path / "q.sqlite3")
    )
    make_user(app, "a@example.com")
    client = app.test_client()
    login(client, app, "a@example.com")
    assert upload(client, audio_fixtures / "answer.webm").status_code == 201

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    audio = Path(app.config["AUDIO_DIR"])
    stored = [p for p in audio.rglob("*") if ".incoming" not in p.parts]
    assert stored and all(mode(p) == (0o700 if p.is_dir() else 0o600) for p in stored), {
        str(p): oct(mode(p)) for p in stored
    }
    assert mode(audio) == 0o700 and mode(Path(app.instance_path)) == 0o700
    for database in tmp_path.glob("*.sqlite3*"):
        assert mode(database) == 0o600, (database, oct(mode(database)))
    assert {p.name for p in tmp_path.glob("*.sqlite3")} >= {"test.sqlite3", "q.sqlite3"}


@pytest.mark.slow
@pytest.mark.skipif(
    __import__("os").environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="SQLite's write lock is what this checks",
)
def test_reads_that_write_never_hit_database_is_locked(app, client):
    """Eight at once: candidates opening answers (marking comments seen), API calls (noting
    the token's use) and a reviewer commenting. Every request gets its normal answer."""
    import threading

    from app.accounts.identity import create_api_token, find_user
    from tests.conftest import login
    from tests.reports.test_feedback import STORY, make_attempt

    make_user(app, "r@example.com", "recruiter")
    attempts = [make_attempt(app, STORY) for _ in range(4)]
    client.post("/shares", data={"email": "r@example.com", "what": "everything"})
    with app.app_context():
        tokens = [create_api_token(find_user("a@example.com")) for _ in range(2)]
    statuses: list[int] = []
    lock = threading.Lock()

    def run(work) -> None:
        for _ in range(25):
            code = work()
            with lock:
                statuses.append(code)

    def opener(attempt_id):
        owner = app.test_client()
        login(owner, app, "a@example.com")
        return lambda: owner.get(f"/attempts/{attempt_id}").status_code

    def api(token):
        caller = app.test_client()
        return lambda: (
            caller.get("/api/v1/attempts", headers={"Authorization": f"Bearer {token}"}).status_code
        )

    def commenter(attempt_id):
        reviewer = app.test_client()
        login(reviewer, app, "r@example.com")
        return lambda: (
            reviewer.post(
                f"/attempts/{attempt_id}/comments", data={"body": "Say the number."}
            ).status_code
        )

    works = [opener(a) for a in attempts[:3]] + [api(t) for t in tokens]
    works += [commenter(a) for a in attempts[:3]]
    threads = [threading.Thread(target=run, args=(w,)) for w in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(threads) == 8 and len(statuses) == 8 * 25
    assert set(statuses) <= {200, 302}, sorted(set(statuses))
