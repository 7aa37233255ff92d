"""Pitch spread among the tracked figures: charted on Progress, compared between answers,
and never in the way of answers that have no measured voice (older ones, failed analysis)."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Attempt
from app.reports.attempts import transcript_values
from app.reports.definitions import pitch_spread, tracked_values
from app.reports.progress import compare_values
from tests.reports.test_feedback import STORY, make_attempt


def voice(spread: float | None) -> dict:
    """metrics.delivery with a pitch spread (None: too little voicing to measure)."""
    return {
        "pitch": {"median_hz": 110.0 if spread is not None else None,
                  "spread_semitones": spread or 0.0, "monotone_spans": []},
        "volume": {"mean_db": 70.0, "too_quiet": False, "trailing_off": []},
        "rising_endings": [], "filler_bursts": [], "repetitions": [], "rate": [],
    }  # fmt: skip


@pytest.fixture
def user(client):
    client.get("/")
    return 1


def stored(app, days_ago: int, delivery: dict | None, old: bool = False) -> int:
    """An answer stored as the worker stores it; ``old``: as stored before pitch spread was
    tracked (an older metrics version, no pitch_spread among its tracked values)."""
    attempt_id = make_attempt(app, STORY, days_ago=days_ago)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        values = transcript_values(attempt.transcript_text, attempt.words, attempt.duration_s,
                                   attempt.question, delivery=delivery)  # fmt: skip
        for column, value in values.items():
            setattr(attempt, column, value)
        if old:
            attempt.metrics_version = "4:" + attempt.metrics_version.split(":", 1)[1]
            attempt.tracked_values = {
                k: v for k, v in attempt.tracked_values.items() if k != "pitch_spread"
            }
        db.session.commit()
    return attempt_id


def test_pitch_spread_is_none_without_a_measured_voice():
    assert pitch_spread(voice(2.345)) == 2.345
    assert pitch_spread(voice(None)) is None
    assert pitch_spread(None) is None


def test_progress_charts_pitch_spread_and_skips_answers_without_it(client, app, user):
    stored(app, 6, voice(2.4), old=True)  # measured before pitch spread was tracked
    stored(app, 4, None)  # the voice could not be measured
    stored(app, 2, voice(None))  # too little voicing
    stored(app, 0, voice(0.8))
    html = client.get("/progress").get_data(as_text=True)
    assert html.count("<svg") == 4 and "Pitch spread (semitones)" in html
    # The chart's table lists every answer: the ones without a voice as "–".
    chart = html[html.index("Pitch spread (semitones)") :]
    chart = chart[: chart.index("</table>")]
    assert chart.count("</td></tr>") == 4 and chart.count("<td>–</td>") == 2
    assert "<td>2.4</td>" in chart and "<td>0.8</td>" in chart


def test_no_pitch_chart_when_no_answer_has_a_voice(client, app, user):
    stored(app, 2, None)
    stored(app, 0, None, old=True)
    html = client.get("/progress").get_data(as_text=True)
    assert html.count("<svg") == 3 and "Pitch spread" not in html.split("How these")[0]


def test_question_progress_and_compare_show_a_missing_spread_as_a_dash(client, app, user):
    first = stored(app, 2, None)
    latest = stored(app, 0, voice(1.5))
    with app.app_context():
        question_id = db.session.get(Attempt, first).question_id
        before = db.session.get(Attempt, first).metrics
        after = db.session.get(Attempt, latest).metrics
    (row,) = [r for r in compare_values(before, after) if r["key"] == "pitch_spread"]
    assert row | {"label": None} == {"key": "pitch_spread", "label": None, "first": None,
                                     "latest": 1.5, "delta": None, "improved": False,
                                     "worse": False}  # fmt: skip
    assert tracked_values(after)["pitch_spread"] == 1.5
    for url in (f"/questions/{question_id}", f"/questions/{question_id}/compare"):
        html = client.get(url).get_data(as_text=True)
        assert "Pitch spread (semitones)" in html, url
