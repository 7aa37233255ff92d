"""A user's answers a page at a time, newest first: a history can run to thousands."""

from __future__ import annotations

from sqlalchemy import Select, and_, or_

from app.extensions import db
from app.models import Attempt

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def page_of(query: Select, before: int | None, size: int = PAGE_SIZE) -> tuple[list, int | None]:
    """Up to ``size`` attempts of ``query`` (a select of Attempt) older than the attempt
    ``before``, newest first, and the cursor of the next page (None on the last one).

    The cursor is an attempt id; the order is (created_at, id), so answers made in the same
    instant are neither skipped nor repeated.
    """
    size = max(1, min(size, MAX_PAGE_SIZE))
    if before is not None:
        cursor = db.session.get(Attempt, before)
        if cursor is not None:
            query = query.where(or_(Attempt.created_at < cursor.created_at,
                                    and_(Attempt.created_at == cursor.created_at,
                                         Attempt.id < cursor.id)))  # fmt: skip
    rows = list(db.session.execute(
        query.order_by(Attempt.created_at.desc(), Attempt.id.desc()).limit(size + 1)
    ).scalars())  # fmt: skip
    return rows[:size], (rows[size - 1].id if len(rows) > size else None)
