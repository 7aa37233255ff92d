"""The database each test runs on: a SQLite file by default, PostgreSQL when asked.

``TEST_DATABASE_URL`` names a PostgreSQL server and a database to connect to for
administration (``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``). The suite then
migrates one template database per run and gives every test its own copy of it
(``CREATE DATABASE ... TEMPLATE``, a file copy on the server: far quicker than migrating
per test). Copies are dropped when their test ends.

On SQLite, ``write_elsewhere`` and ``a_worker_commits`` play a second writer (a worker,
another request) at an exact moment, for the tests of who holds the write lock when.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from app.extensions import db

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "")


def using_postgres() -> bool:
    return ADMIN_URL.startswith("postgres")


def _conninfo(url) -> str:
    """A libpq connection string for a SQLAlchemy URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresDatabases:
    """Creates and drops per-test databases on the server ``TEST_DATABASE_URL`` names."""

    def __init__(self, admin_url: str) -> None:
        self.admin = make_url(admin_url).set(drivername="postgresql+psycopg")
        self.prefix = f"rebound_t{os.getpid()}_"
        self.template = self.prefix + "template"

    def _execute(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(_conninfo(self.admin), autocommit=True, connect_timeout=5) as conn:
            for statement in statements:
                conn.execute(statement)

    def url_of(self, name: str) -> str:
        return self.admin.set(database=name).render_as_string(hide_password=False)

    def prepare_template(self) -> None:
        """Create the template, with the schema and the shipped question banks."""
        from flask_migrate import upgrade

        from app import create_app
        from app.extensions import db
        from app.questions.banks import sync_banks

        self._execute(
            f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)',
            f'CREATE DATABASE "{self.template}"',
        )
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": self.url_of(self.template)}
        )
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory)
            sync_banks(Path(app.config["QUESTION_BANKS_DIR"]))
            db.session.remove()
            db.engine.dispose()

    def create(self, empty: bool = False) -> str:
        """A new database (a copy of the template unless ``empty``); returns its URL."""
        name = self.prefix + uuid.uuid4().hex[:12]
        template = "template0" if empty else self.template
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url_of(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_template(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')


def write_elsewhere(app, sql: str, params: tuple = ()) -> str:
    """Commit ``sql`` from a second SQLite connection (a worker, another request) at once:
    ``"committed"``, or ``"waited"`` when someone holds the write lock (0.3 s tried)."""
    other = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"), timeout=0.3)
    try:
        other.execute(sql, params)
        other.commit()
        return "committed"
    except sqlite3.OperationalError as err:
        assert "locked" in str(err), err
        return "waited"
    finally:
        other.close()


@contextmanager
def a_worker_commits(app, after: str, sql: str, params: tuple = (), at: str = r"SELECT\b"):
    """While inside, a second connection (a worker) commits ``sql`` on SQLite at the first
    statement matching the pattern ``at`` (any SELECT unless told) that the app runs after a
    statement that starts with ``after``: the
    moment a request that committed halfway reads again. Yields the outcome: ``["committed"]`` when the
    worker got in (the request's next read snapshot is then stale), ``["waited"]`` when the
    request already held the write lock and the worker had to wait its turn."""
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("a stale read snapshot refusing a write is SQLite's rule")
    outcome: list[str] = []
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def worker(_conn, _cursor, statement, *_rest):
        statement = statement.lstrip()
        if statement.startswith(after):
            seen.append(statement)
        elif seen and not outcome and re.match(at, statement):
            outcome.append(write_elsewhere(app, sql, params))

    event.listen(engine, "after_cursor_execute", worker)
    try:
        yield outcome
    finally:
        event.remove(engine, "after_cursor_execute", worker)


def watch_reads_that_write(app, report: Path | None = None) -> list[str]:
    """Watch for writes the app's own code makes in a SQLite transaction that began DEFERRED
    and has already read: such a write fails at once ("database is locked") whenever another
    connection committed after the read. Returns the list those made inside a request go
    to (``conftest`` fails a test whose app has any). With ``report``, every such write of
    the app's code, inside a request or not (the command line, a job), is also noted there:
    an audit run of the suite (``REBOUND_LOCK_AUDIT=FILE``)."""
    import traceback

    from flask import has_request_context

    found: list[str] = []
    with app.app_context():
        engine = db.engine

    def watch(conn, _cursor, statement, *_rest):
        head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        state = conn.info.setdefault("lock_audit", {"deferred": False, "read": False})
        if head == "BEGIN":
            state.update(deferred="IMMEDIATE" not in statement.upper(), read=False)
        elif head in ("COMMIT", "ROLLBACK"):
            state.update(deferred=False, read=False)
        elif head == "SELECT":
            state["read"] = True
        elif head in ("INSERT", "UPDATE", "DELETE") and state["deferred"] and state["read"]:
            in_request = has_request_context()
            if not in_request and report is None:
                return
            frames = [f for f in traceback.extract_stack()[:-1]
                      if "/app/" in f.filename or "/tests/" in f.filename]  # fmt: skip
            if not frames or "/app/" not in frames[-1].filename:
                return  # a test's own write, not the app's
            where = " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in frames[:-7:-1])
            line = f"{statement.split(chr(10))[0][:80]} @ {where}"
            if in_request:
                found.append(line)
            if report is not None:
                with report.open("a") as out:
                    out.write(line + "\n")

    event.listen(engine, "after_cursor_execute", watch)
    return found
