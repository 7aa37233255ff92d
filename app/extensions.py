"""Extensions, created unbound and bound to an app in ``create_app``. The job queue is the
worker's (``app.worker.queue``): it knows the tasks, which import the domain."""

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# expire_on_commit=False: a view keeps using objects after commit without a second query,
# and SQLite never needs a read inside a finished write transaction.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
htmx = HTMX()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def begin_write() -> None:
    """Start the session's next transaction as a write (BEGIN IMMEDIATE on SQLite).

    Call it before the first query of a unit of work that will write, in a GET or a job (a
    request of any other method already begins every transaction so); elsewhere, and in the
    middle of a transaction, it is a no-op.
    """
    if not db.session().in_transaction():
        db.session.connection(execution_options={"sqlite_immediate": True})
