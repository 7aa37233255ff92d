"""How much one user may keep: recordings count against ``MAX_STORAGE_MB`` per account.

Finished answers count by their stored size, answers still arriving by the pieces received
so far. A recording that would pass the quota is refused before it is stored, with the
figures and what to do, never half-kept.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func

from app.extensions import db
from app.models import Attempt, AttemptPiece
from app.recordings.errors import QuotaExceeded

MB = 1024 * 1024


def used_bytes(owner_id: int) -> int:
    """What this user's recordings take now, pieces of answers in progress included."""
    kept = db.session.execute(
        db.select(func.coalesce(func.sum(Attempt.size_bytes), 0)).where(
            Attempt.owner_id == owner_id, Attempt.audio_deleted_at.is_(None)
        )
    ).scalar_one()
    arriving = db.session.execute(
        db.select(func.coalesce(func.sum(AttemptPiece.size), 0))
        .join(Attempt, Attempt.id == AttemptPiece.attempt_id)
        .where(Attempt.owner_id == owner_id)
    ).scalar_one()
    return int(kept) + int(arriving)


def check_room(owner_id: int, adding: int) -> None:
    """Raise ``QuotaExceeded`` if ``adding`` more bytes would pass this user's quota."""
    quota_mb = current_app.config["MAX_STORAGE_MB"]
    if not quota_mb:
        return
    used = used_bytes(owner_id)
    if used + adding > quota_mb * MB:
        raise QuotaExceeded(
            f"Your recordings take {used / MB:,.0f} MB of the {quota_mb:,} MB each account may "
            f"keep, and this one needs {max(adding / MB, 0.1):,.1f} MB more. Delete answers you "
            "no longer need (History, or a question's page), then submit again; your recording "
            "is still in the page. An administrator can raise MAX_STORAGE_MB."
        )
