"""The pushed progress of an answer (Server-Sent Events): who may follow it, what they are told,
and that a stream always ends and gives its thread, its slot and its connection back."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.exc import OperationalError

from app.accounts.identity import find_user
from app.extensions import db
from app.feedback.invitations import invite
from app.models import Attempt, AuditEvent
from app.recordings import progress
from tests.conftest import login, make_user
from tests.reports.test_feedback import STORY, make_attempt
from tests.reports.test_metrics import words_from


def pending_attempt(app, status: str = "queued", **values) -> int:
    """An answer written straight into the database, waiting for the worker."""
    attempt_id = make_attempt(app, STORY)
    set_attempt(app, attempt_id, status=status, transcript_text="", words=[], **values)
    return attempt_id


def set_attempt(app, attempt_id: int, **values) -> None:
    """What the worker would commit, from outside the stream (another process, in life)."""
    with app.app_context():
        db.session.execute(db.update(Attempt).where(Attempt.id == attempt_id).values(**values))
        db.session.commit()


def events_of(text: str) -> list[tuple[str, dict]]:
    """The named events of a Server-Sent Events body, their JSON read."""
    found = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            found.append((fields["event"], json.loads(fields["data"])))
    return found


def url(attempt_id: int) -> str:
    return f"/api/v1/attempts/{attempt_id}/events"


@pytest.fixture
def worker_steps(app, monkeypatch):
    """The stream's sleeps between checks, each replaced by the next step of a worker; the
    checks it made see no connection checked out of the pool."""
    steps: list = []
    held: list[int] = []

    def step(_seconds: float) -> None:
        with app.app_context():
            held.append(db.engine.pool.checkedout())
        if steps:
            steps.pop(0)()

    monkeypatch.setattr(progress, "sleep", step)
    return steps, held


def test_the_owner_is_told_each_change_and_the_stream_ends_with_the_transcript(
    app, client, worker_steps
):
    steps, held = worker_steps
    attempt_id = pending_attempt(app)
    words = words_from(STORY)
    steps += [
        lambda: None,  # nothing new: no event, only the next check
        lambda: set_attempt(app, attempt_id, status="transcribing", partial_text="Last year"),
        lambda: set_attempt(app, attempt_id, status="done", transcript_text=STORY, words=words),
    ]
    response = client.get(url(attempt_id))
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert body.startswith("retry: ")
    events = events_of(body)
    assert [(name, data["status"]) for name, data in events] == [
        ("status", "queued"),
        ("status", "transcribing"),
        ("done", "done"),
    ]
    assert events[1][1]["partial_text"] == "Last year"
    assert events[-1][1]["transcript"] == {"text": STORY, "words": words}
    # The stream ended by itself after the transcript, and held no connection while it slept.
    assert steps == [] and held == [0, 0, 0]


def test_a_failed_transcription_ends_the_stream_with_its_reason(app, client, worker_steps):
    steps, _ = worker_steps
    attempt_id = pending_attempt(app, status="transcribing")
    reason = "The recording could not be decoded. Record the answer again."
    steps.append(lambda: set_attempt(app, attempt_id, status="failed", error=reason))
    events = events_of(client.get(url(attempt_id)).get_data(as_text=True))
    assert events[-1] == ("failed", {"id": attempt_id, "status": "failed", "error": reason})
    assert [name for name, _ in events] == ["status", "failed"]


def test_an_answer_deleted_while_followed_ends_the_stream(app, client, worker_steps):
    steps, _ = worker_steps
    attempt_id = pending_attempt(app)
    steps.append(lambda: client.post(f"/attempts/{attempt_id}/delete"))
    events = events_of(client.get(url(attempt_id)).get_data(as_text=True))
    assert [name for name, _ in events] == ["status", "gone"]


def test_a_finished_answer_is_told_at_once(app, client):
    attempt_id = make_attempt(app, STORY)
    events = events_of(client.get(url(attempt_id)).get_data(as_text=True))
    assert [name for name, _ in events] == ["done"]


def test_a_pending_stream_ends_after_its_lifetime_and_says_when_to_come_back(app, client):
    app.config["EVENT_STREAM_SECONDS"] = 0.3
    attempt_id = pending_attempt(app)
    body = client.get(url(attempt_id)).get_data(as_text=True)  # returns: the stream ended
    assert body.startswith("retry: 500\n\n")
    assert [name for name, _ in events_of(body)] == ["status"]


def test_strangers_get_404_and_visitors_must_log_in(app, client, anon):
    attempt_id = pending_attempt(app)
    make_user(app, "b@example.com")
    stranger = app.test_client()
    login(stranger, app, "b@example.com")
    response = stranger.get(url(attempt_id))
    assert response.status_code == 404 and response.json["error"]
    assert stranger.get(url(999)).status_code == 404
    assert anon.get(url(attempt_id)).status_code == 401


def test_a_reviewer_follows_a_shared_answer_as_a_view(app, client):
    attempt_id = make_attempt(app, STORY)
    make_user(app, "coach@example.com", "recruiter")
    with app.app_context():
        invite(
            find_user("a@example.com"), "coach@example.com", everything=True
        )  # a proven coach has it at once
    coach = app.test_client()
    login(coach, app, "coach@example.com")
    events = events_of(coach.get(url(attempt_id)).get_data(as_text=True))
    assert events[-1][0] == "done"
    with app.app_context():
        actions = db.session.execute(db.select(AuditEvent.action)).scalars().all()
    assert actions == ["viewed"]


def test_streams_are_limited_per_user_and_per_process(app, client):
    """Each open stream holds a server thread: past the limits the page polls instead."""
    app.config.update(EVENT_STREAMS=2, EVENT_STREAMS_PER_USER=1)
    attempt_id = pending_attempt(app)
    first = client.get(url(attempt_id), buffered=False)
    assert first.status_code == 200
    second = client.get(url(attempt_id))
    assert second.status_code == 429 and "checks once a second" in second.json["error"]

    others = []
    for email in ("b@example.com", "c@example.com"):
        make_user(app, email)
        other = app.test_client()
        login(other, app, email)
        others.append(other)
    mine = make_attempt(app, STORY)  # owned by A; B and C follow their own below
    set_attempt(app, mine, owner_id=2)
    theirs = make_attempt(app, STORY)
    set_attempt(app, theirs, owner_id=3)
    held = others[0].get(url(mine), buffered=False)
    assert held.status_code == 200
    refused = others[1].get(url(theirs))
    assert refused.status_code == 503 and refused.headers["Retry-After"]

    first.close()  # the tab went away: its slot comes back, whether or not it was read
    held.close()
    with others[1].get(url(theirs)) as now_free, client.get(url(attempt_id)) as again:
        assert now_free.status_code == again.status_code == 200
    assert app.extensions["rebound_event_streams"].open == 0


def test_a_head_request_holds_no_stream(app, client):
    attempt_id = pending_attempt(app)
    with client.head(url(attempt_id)) as response:  # at once: the body is never started
        assert response.status_code == 200 and response.data == b""
    assert app.extensions["rebound_event_streams"].open == 0


def test_the_answer_page_follows_a_pending_answer_and_stops_when_it_is_done(app, client):
    attempt_id = pending_attempt(app, status="transcribing", partial_text="Last year")
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'data-events="{url(attempt_id)}"' in page and 'data-status="transcribing"' in page
    assert "progress.js" in page and "hx-trigger" not in page.split('id="attempt-status"')[1][:400]
    set_attempt(app, attempt_id, status="done", transcript_text=STORY, words=words_from(STORY))
    fragment = client.get(f"/attempts/{attempt_id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 286 and "data-events" not in fragment.get_data(as_text=True)


def test_a_database_error_ends_the_stream_quietly(app, client, monkeypatch, worker_steps):
    """The headers are out: the stream ends, and the browser connects again (then polls)."""
    attempt_id = pending_attempt(app)
    reads = iter([progress.read_progress, None])

    def read(attempt_id: int):
        real = next(reads)
        if real is None:
            raise OperationalError("SELECT", {}, Exception("the database went away"))
        return real(attempt_id)

    monkeypatch.setattr(progress, "read_progress", read)
    with client.get(url(attempt_id)) as response:
        assert [name for name, _ in events_of(response.get_data(as_text=True))] == ["status"]
    assert app.extensions["rebound_event_streams"].open == 0


def test_a_stream_ends_when_waitress_says_the_client_has_gone(app, client):
    """rebound serve's waitress watches the connection: a closed tab frees its thread at once."""
    attempt_id = pending_attempt(app)
    gone = {"waitress.client_disconnected": lambda: True}
    with client.get(url(attempt_id), environ_base=gone) as response:
        assert events_of(response.get_data(as_text=True)) == []
    assert app.extensions["rebound_event_streams"].open == 0
