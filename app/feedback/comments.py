"""Comments on attempts: pinned to a moment or to words, replies, and who has seen them."""

from __future__ import annotations

import math
import re

from sqlalchemy import update

from app.extensions import begin_write, db
from app.feedback import audit
from app.feedback.errors import CommentNotAllowed, FeedbackError
from app.models import Attempt, Comment, User, utcnow

MAX_COMMENT = 5000
# Pages show a suggestion after "Try:"; a reviewer who typed it too would get "Try: Try:".
TRY_PREFIX = re.compile(r"^\s*try\s*:\s*", re.IGNORECASE)
OWNER_ONLY_REPLIES = (
    "Comments on your own answer are replies: reply to a reviewer's comment, "
    "or share this answer to get feedback."
)


def _float_or_none(raw) -> float | None:
    if isinstance(raw, bool):  # JSON's true is no time, though Python counts it as 1
        raise FeedbackError(f"{raw!r} is not a time in seconds.")
    try:
        value = None if raw in (None, "") else float(raw)
    except (TypeError, ValueError) as err:
        raise FeedbackError(f"{str(raw)[:40]!r} is not a time in seconds.") from err
    # NaN passes every range check below, and JSON cannot carry it back out.
    if value is not None and not math.isfinite(value):
        raise FeedbackError(f"{raw!r} is not a time in seconds.")
    return value


def add_comment(attempt: Attempt, author: User, body: str, *, start_s=None, end_s=None,
                word_start=None, word_end=None, suggestion: str = "",
                parent: Comment | None = None) -> Comment:  # fmt: skip
    """Save a comment after checking who may write it, its text, its time range and its words.

    The reply rule: on their own answer the candidate only replies to a reviewer's comment;
    starting a comment is a reviewer's. Once it is saved, the candidate's audit log gets a
    "commented" entry (written for a reviewer only, and never for a refused comment).
    """
    if parent is None and author.id == attempt.owner_id:
        raise CommentNotAllowed(OWNER_ONLY_REPLIES)
    body = (body or "").strip()
    suggestion = TRY_PREFIX.sub("", (suggestion or "").strip())
    if not body and not suggestion:
        raise FeedbackError("Write a comment first.")
    if len(body) > MAX_COMMENT or len(suggestion) > MAX_COMMENT:
        raise FeedbackError(f"Keep a comment under {MAX_COMMENT} characters.")
    start, end = _float_or_none(start_s), _float_or_none(end_s)
    words = attempt.words or []
    if word_start not in (None, ""):
        try:
            first, last = (
                int(word_start),
                int(word_end if word_end not in (None, "") else word_start),
            )
        except (TypeError, ValueError) as err:
            raise FeedbackError("The selected words are not valid; select them again.") from err
        first, last = min(first, last), max(first, last)
        if not (first >= 0 and last < len(words)):
            raise FeedbackError("The selected words are not in this transcript; select them again.")
        start, end = words[first]["start"], words[last]["end"]
        word_start, word_end = first, last
    else:
        word_start = word_end = None
    if start is None and end is not None:
        raise FeedbackError("A moment needs its start: send start_s with end_s.")
    if start is not None:
        end = start if end is None else end
        last = (attempt.duration_s or 0) + 1
        if start < 0 or end < start or start > last or end > last:
            raise FeedbackError("That moment is outside the recording.")
    if parent is not None and parent.attempt_id != attempt.id:
        raise FeedbackError("You can only reply to a comment on the same answer.")
    comment = Comment(attempt_id=attempt.id, author_id=author.id, body=body, suggestion=suggestion,
                      start_s=start, end_s=end, word_start=word_start, word_end=word_end,
                      parent_id=parent.id if parent else None,
                      seen_at=utcnow() if author.id == attempt.owner_id else None)  # fmt: skip
    db.session.add(comment)
    audit.note(attempt, author, "commented")
    db.session.commit()
    return comment


def comments_for(attempt: Attempt) -> list[dict]:
    """Top-level comments in time order (general ones last), each with its replies."""
    return comments_by_attempt([attempt.id])[attempt.id]


def comments_by_attempt(attempt_ids: list[int]) -> dict[int, list[dict]]:
    """``comments_for`` of several attempts in one query, by attempt id."""
    rows = (
        db.session.execute(
            db.select(Comment)
            .where(Comment.attempt_id.in_(attempt_ids))
            .order_by(Comment.created_at, Comment.id)
        )
        .scalars()
        .all()
    )
    replies: dict[int, list[Comment]] = {}
    for row in rows:
        if row.parent_id:
            replies.setdefault(row.parent_id, []).append(row)
    threads: dict[int, list[dict]] = {attempt_id: [] for attempt_id in attempt_ids}
    top = [row for row in rows if not row.parent_id]
    top.sort(key=lambda c: (c.start_s is None, c.start_s or 0, c.id))
    for c in top:
        threads[c.attempt_id].append({"comment": c, "replies": replies.get(c.id, [])})
    return threads


def mark_seen(attempt: Attempt) -> None:
    """The owner has now seen every comment on this attempt.

    A page view (a GET) that writes: the usual case, nothing new, is one read; otherwise
    the write takes the lock up front (``begin_write``), as a read that turns into a write
    fails at once on SQLite when someone else wrote meanwhile.
    """
    unseen = Comment.attempt_id == attempt.id, Comment.seen_at.is_(None)
    if db.session.execute(db.select(Comment.id).where(*unseen).limit(1)).first() is None:
        return
    db.session.commit()
    begin_write()
    db.session.execute(update(Comment).where(*unseen).values(seen_at=utcnow()))
    db.session.commit()


def unseen_feedback(user: User) -> list[Comment]:
    """Comments by others on this user's attempts that the user has not opened yet."""
    return list(db.session.execute(
        db.select(Comment).join(Attempt, Attempt.id == Comment.attempt_id)
        .where(Attempt.owner_id == user.id, Comment.author_id != user.id, Comment.seen_at.is_(None))
        .order_by(Comment.created_at.desc())
    ).scalars())  # fmt: skip


def pins(attempt: Attempt, comments: list[Comment]) -> tuple[dict[int, list[Comment]], set[int]]:
    """Where comments sit in the transcript: after which word each one is shown, and which
    words are covered by a comment on words.

    A comment on words sits after its last word; a comment on a moment after the last word
    that started before that moment; a comment on the whole answer has no place.
    """
    words = attempt.words or []
    anchors: dict[int, list[Comment]] = {}
    covered: set[int] = set()
    for comment in comments:
        if comment.word_start is not None:
            covered.update(range(comment.word_start, comment.word_end + 1))
            anchor = comment.word_end
        elif comment.start_s is not None and words:
            anchor = max(
                (i for i, w in enumerate(words) if w["start"] <= comment.start_s), default=0
            )
        else:
            continue
        # Whisper splits "5%" into "5" and "%": the marker goes after the whole token.
        while anchor + 1 < len(words) and not words[anchor + 1]["word"][:1].isspace():
            anchor += 1
        anchors.setdefault(anchor, []).append(comment)
    return anchors, covered
