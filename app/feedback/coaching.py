"""The coach's workspace: the review queue, with why each answer waits, and where each
assignment the coach set stands (not started, answered, reviewed).

Everything here starts from ``access.shared_with_reasons``: the queue never shows an answer
the coach could not open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.extensions import db
from app.feedback.access import shared_with_reasons, shares_with
from app.models import Assignment, Attempt, AttemptStatus, Comment, Rating, User

# Why an answer waits in the queue, worded for the coach.
REASONS = {
    "new": "new answer",
    "retry": "retry",
    "assigned": "answer to your assignment",
    "reply": "replied to your comment",
}


@dataclass(frozen=True)
class QueueItem:
    """One answer waiting for the coach, why it waits, and since when."""

    attempt: Attempt
    reason: str
    since: datetime

    @property
    def reason_label(self) -> str:
        return REASONS[self.reason]


def last_reviewed(reviewer: User) -> dict[int, datetime]:
    """When this reviewer last commented on or rated each attempt."""
    latest: dict[int, datetime] = {}
    rows = list(db.session.execute(
        db.select(Comment.attempt_id, db.func.max(Comment.created_at))
        .where(Comment.author_id == reviewer.id).group_by(Comment.attempt_id)
    )) + list(db.session.execute(
        db.select(Rating.attempt_id, Rating.updated_at).where(Rating.reviewer_id == reviewer.id)
    ))  # fmt: skip
    for attempt_id, when in rows:
        if attempt_id not in latest or when > latest[attempt_id]:
            latest[attempt_id] = when
    return latest


def last_replies(attempt_ids: list[int]) -> dict[int, datetime]:
    """When each attempt's owner last replied to a comment on it."""
    if not attempt_ids:
        return {}
    return dict(db.session.execute(
        db.select(Comment.attempt_id, db.func.max(Comment.created_at))
        .join(Attempt, Attempt.id == Comment.attempt_id)
        .where(Comment.attempt_id.in_(attempt_ids), Comment.author_id == Attempt.owner_id)
        .group_by(Comment.attempt_id)
    ).all())  # fmt: skip


def review_queue(recruiter: User) -> list[QueueItem]:
    """Shared, transcribed answers waiting for this coach, most recent first.

    An answer waits until the coach comments on it or rates it; it waits again when the
    candidate replies after that. Each says why: a new answer, a retry of a question whose
    earlier answer the coach could see, an answer to the coach's assignment, or a reply.
    """
    shared = shared_with_reasons(recruiter)
    reviewed = last_reviewed(recruiter)
    replies = last_replies([a.id for a, _ in shared if a.id in reviewed])
    seen_questions: set[tuple[int, int]] = set()
    items = []
    for attempt, why in reversed(shared):  # oldest first, to know which answers are retries
        key = (attempt.owner_id, attempt.question_id)
        is_retry = key in seen_questions
        seen_questions.add(key)
        if attempt.status != AttemptStatus.DONE:
            continue
        if attempt.id not in reviewed:
            reason = "assigned" if why == "assigned" else "retry" if is_retry else "new"
            items.append(QueueItem(attempt, reason, attempt.created_at))
        elif attempt.id in replies and replies[attempt.id] > reviewed[attempt.id]:
            items.append(QueueItem(attempt, "reply", replies[attempt.id]))
    items.sort(key=lambda item: (item.since, item.attempt.id), reverse=True)
    return items


@dataclass(frozen=True)
class AssignmentState:
    """An assignment the coach set, and where it stands."""

    assignment: Assignment
    state: str  # "not started", "answered" or "reviewed"
    answer: Attempt | None  # the latest answer to it the coach can see


def assignment_states(recruiter: User, candidate_id: int | None = None) -> list[AssignmentState]:
    """The assignments this coach set (to one candidate, or all who share with them), newest
    first, each with its state: answered once an answer the coach can see came after it,
    reviewed once the coach commented on or rated such an answer."""
    candidates = {s.candidate_id for s in shares_with(recruiter)}
    if candidate_id is not None:
        candidates &= {candidate_id}
    if not candidates:
        return []
    given = db.session.execute(
        db.select(Assignment).where(Assignment.recruiter_id == recruiter.id,
                                    Assignment.candidate_id.in_(candidates))
        .order_by(Assignment.created_at.desc(), Assignment.id.desc())
    ).scalars().all()  # fmt: skip
    if not given:
        return []
    answers = [a for a, _ in shared_with_reasons(recruiter, candidate_id)
               if a.status == AttemptStatus.DONE]  # fmt: skip
    reviewed = last_reviewed(recruiter)
    states = []
    for assignment in given:
        after = [a for a in answers
                 if a.owner_id == assignment.candidate_id
                 and a.question_id == assignment.question_id
                 and a.created_at >= assignment.created_at]  # fmt: skip
        if not after:
            states.append(AssignmentState(assignment, "not started", None))
            continue
        state = "reviewed" if any(a.id in reviewed for a in after) else "answered"
        states.append(AssignmentState(assignment, state, after[0]))
    return states
