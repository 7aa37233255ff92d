"""A try's takeaway carried to the next try of the same question as its goal, and checked.

The goal is stored with the new try when it starts (``carry_goal``), as the candidate read it
on the recorder page (``next_goal``): the check on that try (``goal_outcome``) then reads the
goal's own stored target, so it does not move when the rules or the coach's comments change.
The web page and the API both start a try through ``carry_goal``.
"""

from __future__ import annotations

from app.extensions import begin_write, db
from app.feedback.comments import comments_for
from app.feedback.reviews import ratings_for
from app.models import Attempt, AttemptStatus
from app.reports.attempts import attempt_metrics
from app.reports.takeaway import Takeaway, goal_met, takeaway_for

# How many earlier tries to look through for one with a takeaway (a try where no speech
# was heard has none: the goal of the try before it still stands).
LOOK_BACK = 5


def attempt_takeaway(attempt: Attempt, metrics: dict | None = None) -> Takeaway | None:
    """The takeaway of one answer, with its coach's comments and ratings."""
    if metrics is None:
        metrics = attempt_metrics(attempt)
    return takeaway_for(metrics, attempt.question, owner_id=attempt.owner_id,
                        comments=comments_for(attempt), ratings=ratings_for(attempt))  # fmt: skip


def _last_takeaway(owner_id: int, question_id: int, before: int | None = None):
    """The latest transcribed try (before the id ``before``) with a takeaway, and it."""
    query = (
        db.select(Attempt)
        .where(Attempt.owner_id == owner_id, Attempt.question_id == question_id,
               Attempt.status == AttemptStatus.DONE)
        .order_by(Attempt.id.desc())
        .limit(LOOK_BACK)
    )  # fmt: skip
    if before is not None:
        query = query.where(Attempt.id < before)
    for attempt in db.session.execute(query).scalars():
        takeaway = attempt_takeaway(attempt)
        if takeaway is not None:
            return attempt, takeaway
    return None, None


def next_goal(owner_id: int, question) -> Takeaway | None:
    """The takeaway of the candidate's last try at this question: the next try's goal."""
    return _last_takeaway(owner_id, question.id)[1]


def carry_goal(attempt: Attempt) -> None:
    """Store on a new try the goal its previous try set (once; a repeated upload keeps it)."""
    if attempt.goal is not None:
        return
    previous, takeaway = _last_takeaway(attempt.owner_id, attempt.question_id, before=attempt.id)
    db.session.commit()
    if takeaway is None:
        return
    begin_write()
    attempt.goal = takeaway.carried(previous.id)
    db.session.commit()


def goal_outcome(attempt: Attempt, metrics: dict | None) -> dict | None:
    """The goal this try set out with and whether it met it (``met``: True, False, or None
    while it cannot be told; ``headline``: the goal in words without figures, for calm
    mode); None when the try carried no goal."""
    if not attempt.goal:
        return None
    met = goal_met(attempt.goal, metrics, attempt.words) if metrics else None
    goal = attempt.goal
    return {"key": goal.get("key"), "text": goal.get("text", ""), "met": met,
            "headline": goal.get("headline") or goal.get("text", ""),
            "from_attempt_id": goal.get("from_attempt_id")}  # fmt: skip
