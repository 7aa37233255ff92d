"""Small pieces every blueprint's views share: htmx-aware rendering and owned lookups."""

from __future__ import annotations

from flask import abort, g, render_template
from jinja2_fragments.flask import render_block
from werkzeug.routing import IntegerConverter

from .extensions import db, htmx
from .models import Attempt, Question
from .selection import visible_questions


def render(template: str, block: str | None = None, **context) -> str:
    """The full page, or only ``block`` when htmx asks (one URL, two renderings)."""
    if block and htmx:
        return render_block(template, block, **context)
    return render_template(template, **context)


def owned_attempt(attempt_id: int) -> Attempt:
    """The current user's attempt, or 404 (never 403: ids leak nothing)."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.owner_id != g.user.id:
        abort(404)
    return attempt


# Id columns are INTEGER: 32-bit signed on PostgreSQL (64-bit on SQLite). A larger number
# can name no row on either, and PostgreSQL would refuse it with an error, not an empty result.
MAX_ID = 2**31 - 1


class RowId(IntegerConverter):
    """``<int:...>`` in every URL, limited to what a database id can be (larger is a 404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def int_arg(raw: str | None, default: int | None = None) -> int | None:
    """Parse an optional integer form or query value; junk, or a number no id can be, gives
    the default."""
    try:
        value = int(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        return default
    return value if value is None or abs(value) <= MAX_ID else default


def json_id(value) -> int | None:
    """An id from a JSON body: a whole number an id column can hold (JSON's true and false
    are not numbers here, though Python counts them as ints); anything else is None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None


def visible_question(question_id: int) -> Question:
    """A bank question, one of the user's own, or one a recruiter assigned them; else 404."""
    from .models import Assignment

    question = db.session.execute(
        visible_questions(g.user.id).where(Question.id == question_id)
    ).scalar_one_or_none()
    if question is None:
        assigned = (
            db.session.execute(
                db.select(Assignment).where(
                    Assignment.candidate_id == g.user.id, Assignment.question_id == question_id
                )
            )
            .scalars()
            .first()
        )
        if assigned is None:
            abort(404)
        question = assigned.question
    return question
