"""Shared fixtures: a fresh app (database, audio folder) per test, audio fixtures, helpers."""

from __future__ import annotations

import os
import re
import socket
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from flask_migrate import upgrade

from app import create_app
from app.accounts.identity import create_user, find_user
from app.extensions import db
from app.questions.banks import sync_banks
from tests.databases import ADMIN_URL, PostgresDatabases, using_postgres, watch_reads_that_write
from tests.fixtures.make_fixtures import make_all
from tests.fixtures.malformed import make_corpus

HTMX = {"HX-Request": "true"}
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="session")
def audio_fixtures() -> Path:
    """The folder of generated audio fixtures (made once, reused across runs)."""
    return make_all(Path(__file__).parent / "fixtures" / "audio")


@pytest.fixture(scope="session")
def corpus(audio_fixtures) -> Path:
    """The folder of malformed uploads (``tests/fixtures/malformed.py``), made once."""
    return make_corpus(audio_fixtures / "malformed")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """One model cache per test run (the joined base model lives here)."""
    return tmp_path_factory.mktemp("models")


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use a database (scripts/run-tests.sh, on PostgreSQL: the "
        "others do not depend on the database and ran in its SQLite pass)",
    )


def pytest_collection_modifyitems(config, items):
    """With ``--database-tests-only``, leave out every test that never asks for a database.

    A test uses one exactly when it requests the ``postgres`` fixture, directly or through
    ``database_url``, ``app`` and the rest; a test that does not (a real-model decode, a rule
    on words, a file's layout) runs the same on either database, so running it twice proves
    nothing and costs half the suite's time.
    """
    if not config.getoption("--database-tests-only"):
        return
    kept, left = [], []
    for item in items:
        (kept if "postgres" in getattr(item, "fixturenames", ()) else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def pytest_report_header(config):
    if using_postgres():
        return f"database: PostgreSQL, {ADMIN_URL.rsplit('@', 1)[-1]} (TEST_DATABASE_URL)"
    return "database: SQLite (set TEST_DATABASE_URL to run on PostgreSQL)"


@pytest.fixture(scope="session")
def postgres():
    """The per-test database maker on PostgreSQL, or None when the suite runs on SQLite."""
    if not using_postgres():
        yield None
        return
    databases = PostgresDatabases(ADMIN_URL)
    try:
        databases.prepare_template()
    except Exception as err:  # a missing server must fail the run loudly, never skip it
        pytest.exit(f"PostgreSQL at TEST_DATABASE_URL is not usable: {err}", returncode=3)
    yield databases
    databases.drop_template()


@pytest.fixture
def database_url(tmp_path, postgres):
    """A fresh database for one test, migrated and holding the shipped question banks."""
    if postgres is None:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    url = postgres.create()
    yield url
    postgres.drop(url)


def build_app(folder: Path, model_cache: Path, migrate: bool = True, **config):
    """An app with its own database (SQLite under ``folder`` unless ``config`` names one) and
    audio folder, migrated and with the shipped banks; jobs run at once, in-process, unless
    ``config`` says otherwise."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{folder / 'test.sqlite3'}",
            "AUDIO_DIR": str(folder / "audio"),
            "QUEUE_IMMEDIATE": True,
            "MODEL_CACHE_DIR": str(model_cache),
            "WTF_CSRF_ENABLED": False,
            # Cheap hashing keeps the suite fast; test_auth checks the real default.
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
            # Jobs run inline here: every line an interview may say would be synthesised
            # in each test that starts one (tests/interviewer/test_voice.py turns it on).
            "SPEAK_AHEAD": False,
            **config,
        }
    )
    if migrate:
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            sync_banks(Path(app.config["QUESTION_BANKS_DIR"]))
    if app.config["DATABASE_URL"].startswith("sqlite"):
        audit = os.environ.get("REBOUND_LOCK_AUDIT")
        app.extensions["reads_that_write"] = watch_reads_that_write(
            app, Path(audit) if audit else None
        )
    return app


def check_reads_that_write(app) -> None:
    """Fail the test if a request wrote from a read snapshot (``watch_reads_that_write``)."""
    found = app.extensions.get("reads_that_write")
    assert not found, (
        "a request wrote in a SQLite transaction that began DEFERRED and had read; take the "
        "lock first (app/__init__.py, begin_write):\n" + "\n".join(found)
    )


@pytest.fixture
def app(tmp_path, model_cache, database_url, postgres):
    """A fresh app per test (see ``build_app``); PostgreSQL copies come migrated and filled."""
    app = build_app(tmp_path, model_cache, migrate=postgres is None, DATABASE_URL=database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    check_reads_that_write(app)


PASSWORD = "a long enough test passphrase"


def make_user(app, email: str, role: str = "candidate", verified: bool = True) -> int:
    """Create an account and return its id; ``verified``: as ``rebound users create`` makes
    it (its address counts as proven), else as sign-up makes it."""
    with app.app_context():
        return create_user(email, PASSWORD, role, verified=verified).id


def login(client, app, email: str) -> None:
    """Log the test client in as ``email`` (through the session, as Flask-Login stores it)."""
    with app.app_context():
        token = find_user(email).session_token
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


class Mailbox:
    """A real SMTP server (aiosmtpd, on a free port) and the messages it received."""

    USER, PASSWORD = "rebound", "mail server secret"

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = free_port()
        self.url = f"smtp://{self.USER}:{quote(self.PASSWORD)}@127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):
        assert session.authenticated, "the app sent mail without logging in"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def check_login(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = auth_data.login == self.USER.encode() and auth_data.password == self.PASSWORD.encode()
        return AuthResult(success=ok)

    def to(self, address: str) -> list[EmailMessage]:
        """Messages sent to ``address``, oldest first."""
        return [m for m in self.messages if m["To"] == address]

    def link(self, address: str, path: str) -> str:
        """The path of the last link to ``path...`` mailed to ``address``."""
        bodies = [m.get_content() for m in self.to(address)]
        found = re.findall(
            r"http://rebound\.test(" + re.escape(path) + r"[^\s]+)", "\n".join(bodies)
        )
        assert found, f"no {path} link mailed to {address}: {bodies}"
        return found[-1]


@pytest.fixture
def mailbox():
    """A mail server for one test; the app in ``mail_app`` sends through it."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=box.port, auth_required=True,
                            auth_require_tls=False, authenticator=box.check_login)  # fmt: skip
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def mail_app(tmp_path, model_cache, database_url, postgres, mailbox):
    """``app``, with mail set up (``mailbox``); links in mails start with http://rebound.test."""
    app = build_app(tmp_path, model_cache, migrate=postgres is None, DATABASE_URL=database_url,
                    SMTP_URL=mailbox.url, PUBLIC_URL="http://rebound.test")  # fmt: skip
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    check_reads_that_write(app)


@pytest.fixture
def anon(app):
    """A client nobody has logged in with."""
    return app.test_client()


@pytest.fixture
def client(app):
    """A client logged in as candidate A (user id 1)."""
    make_user(app, "a@example.com")
    client = app.test_client()
    login(client, app, "a@example.com")
    return client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def audio_files(app) -> list[Path]:
    """Every stored file under the app's audio folder (spooled uploads excluded)."""
    root = Path(app.config["AUDIO_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file() and ".incoming" not in p.parts)


def upload(client, path: Path, question_id: int = 1, filename: str | None = None, **extra):
    """Post a recording as the recorder does (JSON reply)."""
    with path.open("rb") as handle:
        data = {"question_id": str(question_id), "audio": (handle, filename or path.name), **extra}
        response = client.post(
            "/attempts", data=data, headers=JSON, content_type="multipart/form-data"
        )
    # Werkzeug's client spools a body over 500 KB to a temporary file and closes it only when
    # it follows redirects; the request is over, so close it here.
    response.request.input_stream.close()
    return response


def words_of(text: str) -> set[str]:
    """Lower-case words without punctuation."""
    return {w.strip(".,!?;:'\"").lower() for w in text.split()}


def free_port() -> int:
    """A TCP port nothing listens on right now, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_service(name: str, err: Exception) -> None:
    """Skip a test whose server is missing, except under CI, where that fails the run."""
    message = f"{name} is not reachable ({err}); see README, 'Services for the tests'"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The URL of the Redis server the tests use (``TEST_REDIS_URL``, else local db 15)."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_timeout=3).ping()
    except redis.RedisError as err:
        require_service("Redis", err)
    return url


@pytest.fixture
def redis_settings(redis_server):
    """Settings that put one test's queue, limits and counters in their own Redis keys."""
    import redis

    name = f"rebound-test-{uuid.uuid4().hex[:10]}"
    yield {"REDIS_URL": redis_server, "QUEUE_NAME": name, "RATELIMIT_KEY_PREFIX": name}
    client = redis.Redis.from_url(redis_server)
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server (a stand-in for S3, in memory) in its own process, on a free port."""
    import subprocess
    import sys
    import time

    import requests

    port = free_port()
    log = tmp_path_factory.mktemp("s3") / "moto.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(url + "/moto-api/", timeout=2)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError(log.read_text()) from None
            time.sleep(0.2)
    credentials = {
        "AWS_ACCESS_KEY_ID": "rebound-test",
        "AWS_SECRET_ACCESS_KEY": "rebound-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {key: os.environ.get(key) for key in credentials}
    os.environ.update(credentials)  # worker processes started by tests inherit them
    yield url
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_settings(s3_server):
    """A new bucket for one test, and the settings that point the app at it."""
    import boto3

    bucket = f"rebound-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket=bucket)
    return {"S3_BUCKET": bucket, "S3_PREFIX": "recordings/", "S3_ENDPOINT_URL": s3_server}
