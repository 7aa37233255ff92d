"""Progress: a dashboard of how the answers changed over time, and the data export."""

from __future__ import annotations

import math
import tempfile

from flask import Blueprint, current_app, g, send_file

from app.extensions import db
from app.feedback.reviews import mean_scores
from app.models import Attempt, Question
from app.privacy.export import export_zip
from app.questions.selection import practice_questions
from app.reports.definitions import METRICS
from app.reports.progress import (
    CHART_ANSWERS,
    answer_totals,
    answers_per_question,
    latest_done,
    tracked_series,
)
from app.web.charts import line_chart, when_labels
from app.web.rendering import render

bp = Blueprint("progress", __name__)


def _own_attempts() -> list[Attempt]:
    return list(
        db.session.execute(
            db.select(Attempt)
            .where(Attempt.owner_id == g.user.id)
            .order_by(Attempt.created_at, Attempt.id)
        ).scalars()
    )


@bp.get("/progress")
def dashboard():
    """Charts of pace, fillers and pauses over time, and the questions practised most and least.

    The charts draw the latest ``CHART_ANSWERS`` transcribed answers, and the counts come
    from the database: the page costs the same for a history of thousands.
    """
    points = tracked_series(latest_done(g.user.id, CHART_ANSWERS))
    charts = []
    if points and not g.user.calm_mode:
        labels = when_labels(points[0][0].created_at, points[-1][0].created_at)
        for metric in (m for m in METRICS if m.chart):
            # An answer without this figure (no voice measured) leaves a gap, not a zero.
            values = [(i, v[metric.key]) for i, (_, v) in enumerate(points)
                      if v.get(metric.key) is not None]  # fmt: skip
            if not values:
                continue
            charts.append({
                "title": metric.title,
                "key": metric.key,
                "svg": line_chart(values, label=metric.title, band=metric.band,
                                  integer=metric.digits == 0, x_labels=labels),
                "rows": [(a, v.get(metric.key)) for a, v in points],
            })  # fmt: skip
    rated = mean_scores(g.user.id, CHART_ANSWERS)
    if rated and not g.user.calm_mode:
        title = "Rubric score from reviewers (mean of criteria, 1–5)"
        labels = when_labels(rated[0][0].created_at, rated[-1][0].created_at)
        charts.append({
            "title": title,
            "key": None,
            "svg": line_chart([(i, s) for i, (_, s) in enumerate(rated)], label=title, y_max=5,
                              integer=True, x_labels=labels),
            "rows": rated,
        })  # fmt: skip
    counts = answers_per_question(g.user.id)
    questions = {q.id: q for q in db.session.execute(practice_questions(g.user.id)).scalars()}
    # Most and least practised split the list, so no question is named in both.
    ranked = [(questions[qid], n) for qid, n in counts.most_common() if qid in questions]
    half = min(5, math.ceil(len(ranked) / 2))
    most, least = ranked[:half], list(reversed(ranked[half:]))[:5]
    never = len(questions) - len(counts)
    total, done = answer_totals(g.user.id)
    return render("progress/dashboard.html", charts=charts, most=most, least=least, never=never,
                  total=total, done=done, practised=len(counts), shown=len(points),
                  chart_answers=CHART_ANSWERS)  # fmt: skip


@bp.get("/export.zip")
def export_all():
    """All of the user's data: recordings plus a JSON file of questions, attempts and metrics."""
    own = (
        db.session.execute(db.select(Question).where(Question.owner_id == g.user.id))
        .scalars()
        .all()
    )
    store = current_app.extensions["rebound_store"]
    store.spool_dir.mkdir(parents=True, exist_ok=True)
    # Built on the audio disk, not in memory: an account can hold hours of recordings.
    # send_file closes the file once the response is sent, so no `with` here.
    archive = tempfile.TemporaryFile(dir=store.spool_dir)  # noqa: SIM115
    try:
        export_zip(g.user, _own_attempts(), own, store, archive)
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name="rebound-export.zip", max_age=0)  # fmt: skip
