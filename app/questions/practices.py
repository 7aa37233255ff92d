"""Practice sessions: the questions drawn for one sitting, in order, and whose they are."""

from __future__ import annotations

from app.extensions import db
from app.models import Practice, User


def start_practice(
    owner: User, question_ids: list[int], *, think_seconds: int = 0, filters: dict | None = None
) -> Practice:
    """Save a new practice session of these questions (in this order) for ``owner``."""
    practice = Practice(
        owner_id=owner.id,
        question_ids=list(dict.fromkeys(question_ids)),
        think_seconds=think_seconds,
        filters=filters or {},
    )
    db.session.add(practice)
    db.session.commit()
    return practice


def owned_practice(user: User, practice_id: int | None) -> Practice | None:
    """The user's own practice session with this id; None for anyone else's, or none."""
    if practice_id is None:
        return None
    practice = db.session.get(Practice, practice_id)
    return practice if practice is not None and practice.owner_id == user.id else None
