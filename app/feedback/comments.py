"""Human feedback on attempts: comments pinned to moments or words, rubric ratings, diffs."""

from __future__ import annotations

import difflib
import math
import re

from app.extensions import db
from app.models import Attempt, Comment, Rating, Rubric, User, utcnow

MAX_COMMENT = 5000

DEFAULT_RUBRIC = [
    {"key": "structure", "name": "Structure", "levels": [
        "No recognisable order; the listener gets lost.",
        "Some order, but the point arrives late or not at all.",
        "A clear beginning and end; the middle wanders.",
        "Easy to follow: situation, what you did, what came of it.",
        "Tight and well paced; every part earns its place."]},
    {"key": "relevance", "name": "Relevance", "levels": [
        "Does not answer the question asked.",
        "Touches the question, mostly talks about something else.",
        "Answers it, with detours.",
        "Answers what was asked, and what was meant.",
        "Answers it directly and shows why it matters for this role."]},
    {"key": "evidence", "name": "Specificity and evidence", "levels": [
        "Only general claims.",
        "One vague example.",
        "A real example, light on detail.",
        "A specific example with your own actions and a result.",
        "Specific, measurable, and clearly your own contribution."]},
    {"key": "clarity", "name": "Clarity", "levels": [
        "Hard to understand.",
        "Understandable with effort; jargon or long sentences.",
        "Mostly clear.",
        "Clear, plain words.",
        "Clear, concise and memorable."]},
    {"key": "delivery", "name": "Delivery", "levels": [
        "Very hesitant or rushed; hard to listen to.",
        "Noticeable fillers, pauses or pace problems.",
        "Steady, with some hesitation.",
        "Confident, even pace.",
        "Calm, confident and engaging."]},
]  # fmt: skip


class FeedbackError(Exception):
    """Feedback that cannot be saved; the message says why."""


def default_rubric() -> Rubric:
    """The shipped rubric (created on first use)."""
    rubric = (
        db.session.execute(db.select(Rubric).where(Rubric.owner_id.is_(None))).scalars().first()
    )
    if rubric is None:
        rubric = Rubric(owner_id=None, name="Rebound default", criteria=DEFAULT_RUBRIC)
        db.session.add(rubric)
        db.session.commit()
    return rubric


def rubrics_for(reviewer: User) -> list[Rubric]:
    """The default rubric and the reviewer's own ones."""
    own = (
        db.session.execute(db.select(Rubric).where(Rubric.owner_id == reviewer.id)).scalars().all()
    )
    return [default_rubric(), *own]


def parse_rubric(name: str, text: str, owner: User) -> Rubric:
    """A rubric from a form: one criterion a line, ``Name: level 1 | level 2 | … | level 5``."""
    criteria = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        title, _, rest = line.partition(":")
        levels = [level.strip() for level in rest.split("|")] if rest.strip() else []
        if not title.strip() or (levels and len(levels) != 5):
            raise FeedbackError(f"Line {number}: write 'Name: level 1 | level 2 | level 3 | level 4 | level 5' "
                                "(or just the name).")  # fmt: skip
        key = re.sub(r"[^a-z0-9]+", "-", title.strip().lower()).strip("-")[:40] or f"c{number}"
        criteria.append({"key": key, "name": title.strip()[:80], "levels": levels or [""] * 5})
    if not criteria:
        raise FeedbackError("Add at least one criterion, one per line.")
    if len({c["key"] for c in criteria}) != len(criteria):
        raise FeedbackError("Two criteria have the same name.")
    rubric = Rubric(owner_id=owner.id, name=(name or "My rubric").strip()[:120], criteria=criteria)
    db.session.add(rubric)
    db.session.commit()
    return rubric


def _float_or_none(raw) -> float | None:
    try:
        value = None if raw in (None, "") else float(raw)
    except (TypeError, ValueError) as err:
        raise FeedbackError(f"{raw!r} is not a time in seconds.") from err
    # NaN passes every range check below, and JSON cannot carry it back out.
    if value is not None and not math.isfinite(value):
        raise FeedbackError(f"{raw!r} is not a time in seconds.")
    return value


def add_comment(attempt: Attempt, author: User, body: str, *, start_s=None, end_s=None,
                word_start=None, word_end=None, suggestion: str = "",
                parent: Comment | None = None) -> Comment:  # fmt: skip
    """Save a comment after checking its text, its time range and its words."""
    body = (body or "").strip()
    suggestion = (suggestion or "").strip()
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
    if start is not None:
        end = start if end is None else end
        if start < 0 or end < start or start > attempt.duration_s + 1:
            raise FeedbackError("That moment is outside the recording.")
    if parent is not None and parent.attempt_id != attempt.id:
        raise FeedbackError("You can only reply to a comment on the same answer.")
    comment = Comment(attempt_id=attempt.id, author_id=author.id, body=body, suggestion=suggestion,
                      start_s=start, end_s=end, word_start=word_start, word_end=word_end,
                      parent_id=parent.id if parent else None,
                      seen_at=utcnow() if author.id == attempt.owner_id else None)  # fmt: skip
    db.session.add(comment)
    db.session.commit()
    return comment


def comments_for(attempt: Attempt) -> list[dict]:
    """Top-level comments in time order (general ones last), each with its replies."""
    rows = (
        db.session.execute(
            db.select(Comment)
            .where(Comment.attempt_id == attempt.id)
            .order_by(Comment.created_at, Comment.id)
        )
        .scalars()
        .all()
    )
    replies: dict[int, list[Comment]] = {}
    for row in rows:
        if row.parent_id:
            replies.setdefault(row.parent_id, []).append(row)
    top = [row for row in rows if not row.parent_id]
    top.sort(key=lambda c: (c.start_s is None, c.start_s or 0, c.id))
    return [{"comment": c, "replies": replies.get(c.id, [])} for c in top]


def mark_seen(attempt: Attempt) -> None:
    """The owner has now seen every comment on this attempt."""
    unseen = (
        db.session.execute(
            db.select(Comment).where(Comment.attempt_id == attempt.id, Comment.seen_at.is_(None))
        )
        .scalars()
        .all()
    )
    for comment in unseen:
        comment.seen_at = utcnow()
    if unseen:
        db.session.commit()


def unseen_feedback(user: User) -> list[Comment]:
    """Comments by others on this user's attempts that the user has not opened yet."""
    return list(db.session.execute(
        db.select(Comment).join(Attempt, Attempt.id == Comment.attempt_id)
        .where(Attempt.owner_id == user.id, Comment.author_id != user.id, Comment.seen_at.is_(None))
        .order_by(Comment.created_at.desc())
    ).scalars())  # fmt: skip


def rate(attempt: Attempt, reviewer: User, rubric: Rubric, form_scores: dict, note: str) -> Rating:
    """Create or update this reviewer's rating of the attempt."""
    scores = {}
    for criterion in rubric.criteria:
        raw = form_scores.get(criterion["key"])
        if raw in (None, ""):
            continue
        if str(raw) not in {"1", "2", "3", "4", "5"}:
            raise FeedbackError(f"{criterion['name']}: choose a score from 1 to 5.")
        scores[criterion["key"]] = int(raw)
    if not scores and not (note or "").strip():
        raise FeedbackError("Choose at least one score or write a note.")
    rating = db.session.execute(
        db.select(Rating).filter_by(attempt_id=attempt.id, reviewer_id=reviewer.id)
    ).scalar_one_or_none()
    if rating is None:
        rating = Rating(attempt_id=attempt.id, reviewer_id=reviewer.id)
        db.session.add(rating)
    rating.rubric_id, rating.scores, rating.note = (
        rubric.id,
        scores,
        (note or "").strip()[:MAX_COMMENT],
    )
    rating.updated_at = utcnow()
    db.session.commit()
    return rating


def ratings_for(attempt: Attempt) -> list[Rating]:
    """Every reviewer's rating of the attempt."""
    return list(db.session.execute(
        db.select(Rating).where(Rating.attempt_id == attempt.id).order_by(Rating.updated_at)
    ).scalars())  # fmt: skip


def reviewed_attempt_ids(reviewer: User) -> set[int]:
    """Attempts this reviewer has commented on or rated."""
    commented = db.session.execute(
        db.select(Comment.attempt_id).where(Comment.author_id == reviewer.id)
    ).scalars()
    rated = db.session.execute(
        db.select(Rating.attempt_id).where(Rating.reviewer_id == reviewer.id)
    ).scalars()
    return set(commented) | set(rated)


def latest_feedback(user_id: int, question_id: int) -> dict | None:
    """The comments and ratings on the user's latest reviewed attempt at this question."""
    attempts = db.session.execute(
        db.select(Attempt).where(Attempt.owner_id == user_id, Attempt.question_id == question_id)
        .order_by(Attempt.created_at.desc(), Attempt.id.desc())
    ).scalars()  # fmt: skip
    for attempt in attempts:
        comments, ratings = comments_for(attempt), ratings_for(attempt)
        if comments or ratings:
            return {"attempt": attempt, "comments": comments, "ratings": ratings}
    return None


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Word-level diff of two transcripts as (kind, text) pieces: same, removed, added."""
    a, b = before.split(), after.split()
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", " ".join(a[i1:i2])))
        else:
            if i2 > i1:
                pieces.append(("removed", " ".join(a[i1:i2])))
            if j2 > j1:
                pieces.append(("added", " ".join(b[j1:j2])))
    return pieces
