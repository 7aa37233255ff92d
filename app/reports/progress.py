"""Progress across attempts at one question: first, best and latest, and how each number moved."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func

from app.extensions import db
from app.models import WITHOUT_WORDS_OR_METRICS, Attempt, AttemptStatus
from app.reports.attempts import attempt_tracked_values
from app.reports.definitions import BY_KEY, METRICS, change, distance_from_band, tracked_values


def best_key(values: dict) -> tuple:
    """Best attempt: most STAR parts, then fewest fillers per 100 words, then pace in band."""
    return (
        -values["star_parts"],
        values["fillers_per_100_words"],
        distance_from_band(BY_KEY["wpm_speaking"], values["wpm_speaking"]),
    )


def tracked_series(attempts: list[Attempt]) -> list[tuple[Attempt, dict]]:
    """Each transcribed attempt with words, oldest first, with its tracked numbers."""
    rows = []
    for attempt in sorted(attempts, key=lambda a: (a.created_at, a.id)):
        values = attempt_tracked_values(attempt)
        if values:
            rows.append((attempt, values))
    return rows


def question_progress(attempts: list[Attempt]) -> dict | None:
    """First, best and latest transcribed attempt at one question, and how each number moved."""
    rows = tracked_series(attempts)
    if not rows:
        return None
    first, latest = rows[0], rows[-1]
    best = min(rows, key=lambda row: best_key(row[1]))
    changes = []
    for metric in METRICS:
        before, after = first[1].get(metric.key), latest[1].get(metric.key)
        improved, worse = change(metric, before, after)
        changes.append({"key": metric.key, "label": metric.title, "first": before,
                        "best": best[1].get(metric.key), "latest": after,
                        "delta": delta(before, after), "improved": improved,
                        "worse": worse})  # fmt: skip
    return {"first": first[0], "best": best[0], "latest": latest[0], "count": len(rows),
            "changes": changes}  # fmt: skip


def compare_values(before: dict, after: dict) -> list[dict]:
    """Each tracked number of two answers' metrics, and whether it moved the better way."""
    first, second = tracked_values(before), tracked_values(after)
    rows = []
    for metric in METRICS:
        a, b = first[metric.key], second[metric.key]
        improved, worse = change(metric, a, b)
        rows.append({"key": metric.key, "label": metric.title, "first": a, "latest": b,
                     "delta": delta(a, b), "improved": improved, "worse": worse})  # fmt: skip
    return rows


def delta(before: float | None, after: float | None) -> float | None:
    """``after - before`` to one decimal, or None when either is missing."""
    return None if before is None or after is None else round(after - before, 1)


# The progress charts draw this many answers at most: the latest ones.
CHART_ANSWERS = 200


def latest_done(owner_id: int, limit: int = CHART_ANSWERS) -> list[Attempt]:
    """The user's latest ``limit`` transcribed answers, oldest first."""
    rows = db.session.execute(
        db.select(Attempt).options(*WITHOUT_WORDS_OR_METRICS)
        .where(Attempt.owner_id == owner_id, Attempt.status == AttemptStatus.DONE)
        .order_by(Attempt.created_at.desc(), Attempt.id.desc()).limit(limit)
    ).scalars().all()  # fmt: skip
    return list(reversed(rows))


def answers_per_question(owner_id: int) -> Counter:
    """How many answers the user gave to each question."""
    return Counter(dict(db.session.execute(
        db.select(Attempt.question_id, func.count(Attempt.id))
        .where(Attempt.owner_id == owner_id).group_by(Attempt.question_id)
    ).all()))  # fmt: skip


def answer_totals(owner_id: int) -> tuple[int, int]:
    """All of the user's answers, and the transcribed ones."""
    total, done = db.session.execute(
        db.select(func.count(Attempt.id),
                  func.count(Attempt.id).filter(Attempt.status == AttemptStatus.DONE))
        .where(Attempt.owner_id == owner_id)
    ).one()  # fmt: skip
    return int(total), int(done)
