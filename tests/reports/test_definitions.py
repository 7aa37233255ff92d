"""One table of metric definitions, read by every place that names or explains a metric."""

from __future__ import annotations

from app.reports.definitions import BY_KEY, METRICS, change, tracked_values
from app.reports.speech import compute
from tests.reports.test_feedback import STORY, make_attempt
from tests.reports.test_metrics import words_from


def test_every_tracked_metric_is_measured_by_compute():
    metrics = compute(words_from(STORY), 12.0)
    values = tracked_values(metrics)
    assert set(values) == {m.key for m in METRICS}
    assert values["fillers_per_100_words"] == metrics["fillers_per_100_words"]
    assert values["long_pauses"] == len(metrics["long_pauses"])


def test_better_direction_and_band():
    pace, fillers, length = (
        BY_KEY["wpm_speaking"],
        BY_KEY["fillers_per_100_words"],
        BY_KEY["duration_s"],
    )
    assert change(pace, 190, 150) == (True, False) and change(pace, 120, 90) == (False, True)
    assert change(fillers, 6, 3) == (True, False)
    assert change(length, 40, 90) == (False, False)


def test_pages_and_the_api_description_read_the_table(client, app):
    client.get("/")
    first = make_attempt(app, STORY)
    second = make_attempt(app, STORY + " Then, um, we shipped it.")
    page = client.get(f"/attempts/{second}").get_data(as_text=True)
    for metric in METRICS:  # "How these are measured" lists each metric under its one label
        assert f"<strong>{metric.label}</strong>" in page
    progress = client.get("/progress").get_data(as_text=True)
    # These answers have no measured voice: pitch spread has nothing to chart
    # (tests/delivery/test_progress.py charts it for answers that have one).
    for metric in (m for m in METRICS if m.chart):
        assert (f"<h2>{metric.title}</h2>" in progress) is (metric.key != "pitch_spread")
    with app.app_context():
        from app.extensions import db
        from app.models import Attempt

        question_id = db.session.get(Attempt, first).question_id
    compare = client.get(f"/questions/{question_id}/compare").get_data(as_text=True)
    for metric in METRICS:
        assert f'<th scope="row">{metric.title}</th>' in compare
    described = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    properties = next(
        s["properties"] for s in described.values() if "wpm_speaking" in s.get("properties", {})
    )
    for metric in (m for m in METRICS if m.schema):
        assert properties[metric.key] == metric.schema
