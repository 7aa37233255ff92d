"""Speech feedback in the app: the metrics panel, calm mode, progress, API, reports, export."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Attempt, Question, utcnow
from tests.conftest import HTMX
from tests.reports.test_metrics import words_from

STORY = (
    "Last year at my previous job the project was late. My role was to fix the release. "
    "So, um, I talked to the client and, you know, I rewrote the plan. "
    "In the end we delivered on time."
)


def make_attempt(
    app,
    text: str,
    question_id: int | None = None,
    days_ago: int = 0,
    pauses: dict | None = None,
    key: str = "ab/x.webm",
) -> int:
    """A transcribed attempt written straight into the database."""
    with app.app_context():
        if question_id is None:
            questions = db.session.execute(db.select(Question).order_by(Question.id)).scalars()
            question_id = next(q.id for q in questions if "behavioural" in q.tags)
        words = words_from(text, pauses=pauses)
        attempt = Attempt(owner_id=1, question_id=question_id, status="done", audio_key=key,
                          audio_mime="audio/webm", duration_s=words[-1]["end"] + 0.5,
                          transcript_text=text, words=words,
                          created_at=utcnow() - timedelta(days=days_ago))  # fmt: skip
        db.session.add(attempt)
        db.session.commit()
        return attempt.id


@pytest.fixture
def user(client):
    client.get("/")  # creates the local user, id 1
    return 1


def test_attempt_page_shows_metrics_linked_to_words(client, app, user):
    attempt_id = make_attempt(app, STORY, pauses={12: 2.5})
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "How you sounded" in html and "words/min while speaking" in html
    # Each filler chip jumps to its word, and the word is marked in the transcript.
    assert 'class="jump filler" href="#w-18"' in html
    assert 'id="w-18" class="word filler"' in html
    assert "⏸ 2.6 s" in html
    assert "✓ Situation" in html and "✓ Result" in html
    assert "Microsoft Speaker Coach recommends 100–165" in html


def test_missing_star_part_is_named(client, app, user):
    attempt_id = make_attempt(
        app, "Last year the project was late. My role was to fix it. So I talked to the client."
    )
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "✗ Result" in html and "No result: say what happened in the end" in html


def test_htmx_status_fragment_carries_the_metrics(client, app, user):
    attempt_id = make_attempt(app, STORY)
    fragment = client.get(f"/attempts/{attempt_id}", headers=HTMX)
    assert fragment.status_code == 286
    assert "How you sounded" in fragment.get_data(as_text=True)


def test_calm_mode_hides_every_number(client, app, user):
    attempt_id = make_attempt(app, STORY)
    make_attempt(app, STORY, days_ago=1)
    assert client.post("/settings", data={"calm_mode": "on"}).status_code == 302
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "How you sounded" not in page and "per 100 words" not in page
    assert "word filler" not in page and "⏸" not in page
    assert 'class="transcript"' in page
    progress = client.get("/progress").get_data(as_text=True)
    assert "Calm mode is on" in progress and "<svg" not in progress
    question = client.get(f"/questions/{app_question(app, attempt_id)}").get_data(as_text=True)
    assert "How your answers changed" not in question
    assert client.post("/settings", data={}).status_code == 302
    assert "How you sounded" in client.get(f"/attempts/{attempt_id}").get_data(as_text=True)


def app_question(app, attempt_id: int) -> int:
    with app.app_context():
        return db.session.get(Attempt, attempt_id).question_id


def test_question_page_compares_first_best_and_latest(client, app, user):
    first = make_attempt(app, "Um, uh, we, um, did the, uh, project.", days_ago=3)
    question_id = app_question(app, first)
    make_attempt(app, STORY, question_id=question_id, days_ago=2)
    latest = make_attempt(
        app,
        "Last year my role was to fix it. So I fixed it. In the end, um, it worked.",
        question_id=question_id,
    )
    html = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "How your answers changed" in html
    assert f'href="/attempts/{first}">First' in html and f'href="/attempts/{latest}">Latest' in html
    assert "Fillers per 100 words" in html and "better" in html


def test_progress_dashboard_charts_over_time(client, app, user):
    for days in (4, 2, 0):
        make_attempt(app, STORY, days_ago=days)
    html = client.get("/progress").get_data(as_text=True)
    assert html.count("<svg") == 3 and "Pace while speaking" in html
    assert 'role="img"' in html and "Practised most" in html


def test_api_attempt_carries_the_metrics_contract(client, app, user):
    attempt_id = make_attempt(app, STORY)
    body = client.get(f"/api/v1/attempts/{attempt_id}").json
    metrics = body["metrics"]
    for key in (
        "words",
        "duration_s",
        "speaking_s",
        "wpm_total",
        "wpm_speaking",
        "fillers",
        "fillers_per_100_words",
        "long_pauses",
        "hedges",
        "star",
    ):
        assert key in metrics, key
    assert [f["text"] for f in metrics["fillers"]] == ["um", "you know"]
    assert set(metrics["fillers"][0]) >= {"text", "start", "end"}
    assert metrics["star"] == {"situation": True, "task": True, "action": True, "result": True}
    assert body["transcript"]["text"] == STORY and body["status"] == "done"
    listing = client.get("/api/v1/attempts").json["attempts"]
    assert listing[0]["id"] == attempt_id
    assert len(client.get("/api/v1/questions").json["questions"]) >= 80


def test_api_errors_are_json(client, user):
    response = client.get("/api/v1/attempts/999")
    assert response.status_code == 404 and "error" in response.json


def test_reports_as_markdown_and_printable_page(client, app, user):
    attempt_id = make_attempt(app, STORY)
    md = client.get(f"/attempts/{attempt_id}/report.md")
    assert md.mimetype == "text/markdown"
    assert "attachment" in md.headers["Content-Disposition"]
    text = md.get_data(as_text=True)
    assert (
        text.startswith("# ") and STORY in text and '"um" at' in text and "Situation: found" in text
    )
    page = client.get(f"/attempts/{attempt_id}/report").get_data(as_text=True)
    assert "Structure (STAR)" in page and "Use your browser" in page


@pytest.mark.asvs("8.3.2")
def test_export_zip_holds_json_and_audio(client, app, user, audio_fixtures, monkeypatch):
    from tests.conftest import upload

    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    uploaded = upload(client, audio_fixtures / "short.wav").json["id"]
    make_attempt(app, STORY, key="zz/missing.webm")
    with client.get("/export.zip") as response:  # the zip is a file the response closes
        assert response.mimetype == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("rebound.json"))
    assert {a["id"] for a in data["attempts"]} >= {uploaded}
    record = next(a for a in data["attempts"] if a["id"] == uploaded)
    assert archive.read(record["audio_file"]) == (audio_fixtures / "short.wav").read_bytes()
    done = next(a for a in data["attempts"] if a["status"] == "done")
    assert done["metrics"]["words"] > 0
