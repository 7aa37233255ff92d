"""Rebound: mock-interview practice with voice. ``create_app`` builds the Flask app."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

from flask import Flask, Request, current_app, g, has_app_context, request
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from app import commands, web
from app.config import (
    ConfigError,
    check_mail_settings,
    defaults,
    from_environment,
    load_secret_key,
)
from app.extensions import csrf, db, htmx, limiter, migrate
from app.recordings.gates import RedisUploadGate
from app.recordings.storage import store_for
from app.web.params import RowId
from app.worker.queue import queue

PACKAGE_DIR = Path(__file__).resolve().parent
# Recordings, transcripts and the database are personal data: what Rebound writes is for the
# user it runs as only.
PRIVATE_UMASK, PRIVATE_FOLDER, PRIVATE_FILE = 0o077, 0o700, 0o600


def _shipped_folder(name: str) -> Path:
    """A data folder installed inside the package (wheel) or beside it (source checkout)."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


class SpoolingRequest(Request):
    """Spools large uploads into the audio folder instead of ``TMPDIR``.

    Werkzeug writes multipart files over 500 KB to a temporary file before a view runs;
    a small or full ``/tmp`` would otherwise reset the connection mid-upload.
    """

    def _get_file_stream(
        self, total_content_length, content_type, filename=None, content_length=None
    ):
        spool = Path(current_app.config["AUDIO_DIR"]) / ".incoming"
        spool.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryFile("wb+", dir=spool)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: embedded defaults, then the environment, then ``test_config``."""
    # Every file and folder this process creates from here on (database, WAL, queue,
    # recordings, spooled uploads, exports) is 0600/0700, whatever the shell's umask was.
    os.umask(PRIVATE_UMASK)
    data_dir = Path(os.environ.get("REBOUND_DATA_DIR", os.getcwd())).resolve()
    app = Flask(
        __name__,
        instance_path=str(data_dir / "instance"),
        template_folder=str(_shipped_folder("templates")),
        static_folder="static",
    )
    app.request_class = SpoolingRequest
    app.url_map.converters["int"] = RowId
    app.config.update(defaults(data_dir))
    app.config.update(QUESTION_BANKS_DIR=str(_shipped_folder("question_banks")))
    try:
        app.config.update(from_environment(os.environ))
        if test_config:
            app.config.update(test_config)
        check_mail_settings(app.config)
    except ConfigError as err:
        raise SystemExit(f"error: {err}") from err
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = load_secret_key(Path(app.instance_path))
    app.config["DATABASE_URL"] = normalise_database_url(app.config["DATABASE_URL"])
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        # A server may close idle connections (restarts, failovers): test before use.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
    if not app.config["RATELIMIT_STORAGE_URI"]:
        # Limits must be counted where every web process sees them (memory:// is per process).
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    app.config["RATELIMIT_KEY_PREFIX"] = (
        app.config["RATELIMIT_KEY_PREFIX"] or app.config["QUEUE_NAME"]
    )
    # A little room above the audio limit for the other form fields.
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_MB"] * 1024 * 1024 + 64 * 1024
    app.config["MAX_FORM_MEMORY_SIZE"] = 512 * 1024

    if app.config["TRUSTED_PROXY_HOPS"] > 0:
        # Behind a proxy every request comes from the proxy: take the client's address and
        # scheme from the headers the trusted hops add (limits are keyed on that address).
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    _require_packages(app.config)
    _prepare_folders(app)
    db.init_app(app)
    _tune_sqlite(app)
    migrate.init_app(app, db, directory=str(PACKAGE_DIR / "migrations"))
    htmx.init_app(app)
    csrf.init_app(app)
    queue.init_app(app)
    limiter.init_app(app)

    app.extensions["rebound_store"] = store_for(app.config)
    if app.config["REDIS_URL"]:
        app.extensions["rebound_upload_gate"] = RedisUploadGate(
            app.config["REDIS_URL"],
            ttl_s=int(app.config["DECODE_TIMEOUT_SECONDS"]) + 300,
            prefix=app.config["QUEUE_NAME"],
        )

    web.init_app(app)
    commands.init_app(app)
    if not app.debug and not app.testing:
        web.ops.configure_logging(app.config["LOG_FORMAT"])
    return app


def normalise_database_url(url: str) -> str:
    """Accept the URLs hosting providers hand out; PostgreSQL always goes through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _require_packages(config) -> None:
    """Name the missing package when a setting needs one, instead of an ImportError later."""
    needs = []
    if config["DATABASE_URL"].startswith("postgresql"):
        needs.append(("DATABASE_URL", "psycopg"))
    if config["REDIS_URL"]:
        needs.append(("REDIS_URL", "redis"))
    if config["S3_BUCKET"]:
        needs.append(("S3_BUCKET", "boto3"))
    for setting, package in needs:
        if importlib.util.find_spec(package) is None:
            raise SystemExit(
                f"error: {setting} is set, which needs the {package} package: "
                "pip install 'rebound[server]'"
            )


def _prepare_folders(app: Flask) -> None:
    """Create the data folders, and make those that exist already private too."""
    for folder in (Path(app.instance_path), Path(app.config["AUDIO_DIR"])):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(PRIVATE_FOLDER)
    uri = app.config["DATABASE_URL"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        database = Path(uri.removeprefix("sqlite:///"))
        database.parent.mkdir(parents=True, exist_ok=True)
        for path in (database, Path(app.config["QUEUE_PATH"])):
            if path.is_file():
                path.chmod(PRIVATE_FILE)


def _tune_sqlite(app: Flask) -> None:
    """WAL, a busy timeout, and BEGIN IMMEDIATE for transactions that will write.

    WAL plus busy_timeout alone still fails when a transaction reads before it writes (its
    snapshot may be stale, and SQLite answers "database is locked" at once). So every
    transaction of a request that changes something (any method but GET, HEAD and OPTIONS)
    takes the write lock at BEGIN, the ones after a commit halfway through included (a saved
    recording, an audit line, a token's last use): a second writer waits its turn. A GET or a
    job that will write calls ``begin_write()`` first. Reads stay DEFERRED and block no one.
    """
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @app.before_request  # before any other (registered first): nothing has read yet
    def _note_method():
        g.changes_things = request.method not in ("GET", "HEAD", "OPTIONS")
        if g.changes_things and request.mimetype == "multipart/form-data":
            # Receive an upload whole before the first read takes the write lock: a slow
            # client would otherwise hold every other writer up for as long as it sends.
            request.form  # noqa: B018

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate") or _changes_things()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _changes_things() -> bool:
    """Whether this is the app context of a request whose method changes something (a form,
    an upload, an API call that writes): every transaction it begins will write, or may. A
    job run inside the request (tests, one-off scripts) has an app context of its own."""
    return has_app_context() and g.get("changes_things", False)
