"""A try's takeaway carried to the next try of the same question as its goal, and checked.

Each takeaway key has a check (``GOAL_CHECKS``) that reads the stored target against the new
try's metrics and words; ``goal_met`` answers True, False, or None when it cannot tell.

The goal is stored with the new try when it starts (``carry_goal``), as the candidate read it
on the recorder page (``next_goal``): the check on that try (``goal_outcome``) then reads the
goal's own stored target, so it does not move when the rules or the coach's comments change.
The web page and the API both start a try through ``carry_goal``.
"""

from __future__ import annotations

from collections.abc import Callable

from app.extensions import begin_write, db
from app.feedback.comments import comments_for
from app.feedback.reviews import ratings_for
from app.models import Attempt, AttemptStatus
from app.reports.attempts import attempt_metrics
from app.reports.takeaway import (
    Takeaway,
    measured_takeaway,
    on_topic,
    rates_judged,
    said,
    takeaway_for,
)


def _point_covered(m: dict, point: str) -> bool:
    return any(p["point"] == point and p.get("covered") for p in m.get("talking_points") or [])


# A stored goal's key → whether the new try's (metrics, words) meet its target; None: cannot tell.
GOAL_CHECKS: dict[str, Callable[[dict, dict, list], bool | None]] = {
    "coach_suggestion": lambda t, m, w: said(w, t["phrase"]),
    "off_topic": lambda t, m, w: on_topic(m),
    "no_answer": lambda t, m, w: m["words"] >= t["min_words"] and m["duration_s"] >= t["min_s"],
    "star_result": lambda t, m, w: bool((m.get("star") or {}).get("result")),
    "star_action": lambda t, m, w: bool((m.get("star") or {}).get("action")),
    "talking_point": lambda t, m, w: _point_covered(m, t["point"]),
    "too_short": lambda t, m, w: m["duration_s"] >= t["min_s"],
    "too_long": lambda t, m, w: m["duration_s"] <= t["max_s"],
    "pace_fast": lambda t, m, w: rates_judged(m) and m["wpm_speaking"] <= t["max_wpm"],
    "pace_slow": lambda t, m, w: rates_judged(m) and m["wpm_speaking"] >= t["min_wpm"],
    "fillers": lambda t, m, w: rates_judged(m) and m["fillers_per_100_words"] < t["max_per_100"],
    "pauses": lambda t, m, w: len(m["long_pauses"]) <= t["max"],
    "hedges": lambda t, m, w: len(m["hedges"]) <= t["max"],
    "ownership": lambda t, m, w: m["ownership"]["i"] >= m["ownership"]["we"],
    "keep": lambda t, m, w: measured_takeaway(m).key == "keep",
}


def goal_met(goal: dict | None, metrics: dict | None, words: list | None = None) -> bool | None:
    """Whether a try met the goal carried to it: True, False, or None when this cannot be
    told from what was measured (no goal, no metrics, a coach's bar a coach must judge)."""
    if not goal or not metrics:
        return None
    key, target = goal.get("key"), goal.get("target") or {}
    if key == "coach_rubric":
        key = target.get("measure")
    check = GOAL_CHECKS.get(key)
    if check is None:
        return None
    try:
        result = check(target, metrics, words or [])
    except (KeyError, TypeError):
        return None  # a goal stored under older rules whose figures are no longer measured
    return None if result is None else bool(result)


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
