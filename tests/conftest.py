"""Shared fixtures: a fresh app (database, audio folder) per test, audio fixtures, helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_migrate import upgrade

from app import create_app
from app.banks import sync_banks
from app.extensions import db
from app.identity import create_user, find_user
from tests.fixtures.make_fixtures import make_all

HTMX = {"HX-Request": "true"}
JSON = {"Accept": "application/json"}


@pytest.fixture(scope="session")
def audio_fixtures() -> Path:
    """The folder of generated audio fixtures (made once, reused across runs)."""
    return make_all(Path(__file__).parent / "fixtures" / "audio")


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """One model cache per test run (the joined base model lives here)."""
    return tmp_path_factory.mktemp("models")


def build_app(folder: Path, model_cache: Path, **config):
    """An app with its own SQLite database and audio folder under ``folder``, migrated and
    with the shipped banks; jobs run at once, in-process, unless ``config`` says otherwise."""
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
            **config,
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        sync_banks(Path(app.config["QUESTION_BANKS_DIR"]))
    return app


@pytest.fixture
def app(tmp_path, model_cache):
    """A fresh app per test (see ``build_app``)."""
    app = build_app(tmp_path, model_cache)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


PASSWORD = "a long enough test passphrase"


def make_user(app, email: str, role: str = "candidate") -> int:
    """Create an account and return its id."""
    with app.app_context():
        return create_user(email, PASSWORD, role).id


def login(client, app, email: str) -> None:
    """Log the test client in as ``email`` (through the session, as Flask-Login stores it)."""
    with app.app_context():
        token = find_user(email).session_token
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


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
