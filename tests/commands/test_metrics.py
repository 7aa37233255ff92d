"""``rebound metrics refresh``: stale stored metrics measured again from the command line."""

from __future__ import annotations

from app.extensions import db
from app.models import Attempt
from app.reports.attempts import has_current_metrics
from tests.reports.test_feedback import STORY, make_attempt
from tests.reports.test_stored_metrics import measured_attempt


def test_refresh_counts_then_stores_the_stale_answers(client, app, runner):
    client.get("/")  # creates the local user, id 1
    stale, current = make_attempt(app, STORY), measured_attempt(app)
    checked = runner.invoke(args=["metrics", "refresh", "--check"])
    assert checked.exit_code == 0, checked.output
    assert "1 answer(s) with stale or missing metrics" in checked.output
    with app.app_context():
        assert db.session.get(Attempt, stale).metrics is None  # --check changes nothing
    refreshed = runner.invoke(args=["metrics", "refresh"])
    assert refreshed.exit_code == 0, refreshed.output
    assert "stored the metrics of 1 answer(s)" in refreshed.output
    with app.app_context():
        for attempt_id in (stale, current):
            assert has_current_metrics(db.session.get(Attempt, attempt_id))
    again = runner.invoke(args=["metrics", "refresh"])
    assert "stored the metrics of 0 answer(s)" in again.output
