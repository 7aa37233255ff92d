"""Who is asking. Until accounts exist, every request belongs to one local user.

Every query for attempts and user questions filters on ``g.user.id``, so adding real
accounts later changes this module, not the views.
"""

from __future__ import annotations

from flask import Flask, g, request
from sqlalchemy.exc import IntegrityError

from .extensions import begin_write, db
from .models import LOCAL_USER_EMAIL, User


def local_user() -> User:
    """Return the single local user, creating it on first use."""
    user = db.session.execute(
        db.select(User).filter_by(email=LOCAL_USER_EMAIL)
    ).scalar_one_or_none()
    if user is None:
        try:
            user = User(email=LOCAL_USER_EMAIL, display_name="You")
            db.session.add(user)
            db.session.commit()
        except IntegrityError:
            # Another request created it at the same moment.
            db.session.rollback()
            user = db.session.execute(
                db.select(User).filter_by(email=LOCAL_USER_EMAIL)
            ).scalar_one()
    return user


def init_app(app: Flask) -> None:
    """Load the user before each request."""

    @app.before_request
    def _load_user() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            begin_write()
        g.user = local_user()
