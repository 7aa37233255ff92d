"""Reviews: rubric ratings (the shipped rubric and reviewers' own), their means, and what a
reviewer has reviewed or a candidate got back last."""

from __future__ import annotations

import re

from app.extensions import begin_write, db
from app.feedback import audit
from app.feedback.comments import MAX_COMMENT, comments_for
from app.feedback.errors import FeedbackError
from app.models import WITHOUT_WORDS_OR_METRICS, Attempt, Comment, Rating, Rubric, User, utcnow

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


def default_rubric() -> Rubric:
    """The shipped rubric (created on first use, by whichever request gets the lock first)."""
    shipped = db.select(Rubric).where(Rubric.owner_id.is_(None))
    rubric = db.session.execute(shipped).scalars().first()
    if rubric is None:
        db.session.commit()
        begin_write()
        rubric = db.session.execute(shipped).scalars().first()
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


def rate(attempt: Attempt, reviewer: User, rubric: Rubric, form_scores: dict, note: str) -> Rating:
    """Create or update this reviewer's rating of the attempt, and note it in the audit log."""
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
    audit.note(attempt, reviewer, "rated")
    db.session.commit()
    return rating


def ratings_for(attempt: Attempt) -> list[Rating]:
    """Every reviewer's rating of the attempt."""
    return ratings_by_attempt([attempt.id])[attempt.id]


def ratings_by_attempt(attempt_ids: list[int]) -> dict[int, list[Rating]]:
    """``ratings_for`` of several attempts in one query, by attempt id."""
    ratings: dict[int, list[Rating]] = {attempt_id: [] for attempt_id in attempt_ids}
    for rating in db.session.execute(
        db.select(Rating).where(Rating.attempt_id.in_(attempt_ids)).order_by(Rating.updated_at)
    ).scalars():
        ratings[rating.attempt_id].append(rating)
    return ratings


def reviewed_attempt_ids(reviewer: User) -> set[int]:
    """Attempts this reviewer has commented on or rated."""
    commented = db.session.execute(
        db.select(Comment.attempt_id).where(Comment.author_id == reviewer.id)
    ).scalars()
    rated = db.session.execute(
        db.select(Rating.attempt_id).where(Rating.reviewer_id == reviewer.id)
    ).scalars()
    return set(commented) | set(rated)


def mean_scores(owner_id: int, limit: int) -> list[tuple[Attempt, float]]:
    """The user's latest ``limit`` rated answers with their mean score, oldest first."""
    rated = db.session.execute(
        db.select(Attempt).options(*WITHOUT_WORDS_OR_METRICS)
        .where(Attempt.owner_id == owner_id, Attempt.id.in_(db.select(Rating.attempt_id)))
        .order_by(Attempt.created_at.desc(), Attempt.id.desc()).limit(limit)
    ).scalars().all()  # fmt: skip
    scores: dict[int, list[int]] = {}
    for rating in db.session.execute(
        db.select(Rating).where(Rating.attempt_id.in_([a.id for a in rated]))
    ).scalars():
        scores.setdefault(rating.attempt_id, []).extend(rating.scores.values())
    return [
        (attempt, round(sum(values) / len(values), 2))
        for attempt in reversed(rated)
        if (values := scores.get(attempt.id))
    ]


def criterion_means(ratings: list[Rating]) -> dict[str, float]:
    """Each criterion's mean score over every reviewer."""
    totals: dict[str, list[int]] = {}
    for rating in ratings:
        for key, value in rating.scores.items():
            totals.setdefault(key, []).append(value)
    return {key: round(sum(v) / len(v), 1) for key, v in totals.items()}


def criterion_names(ratings: list[Rating]) -> dict[str, str]:
    """Criterion keys to names, from the rubrics the ratings were made with."""
    names: dict[str, str] = {}
    for rating in ratings:
        for criterion in rating.rubric.criteria:
            names.setdefault(criterion["key"], criterion["name"])
    return names


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
