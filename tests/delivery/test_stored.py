"""metrics.delivery as the worker stores it and the API and a refresh hand it on."""

from __future__ import annotations

from pathlib import Path

from app.extensions import db
from app.models import Attempt, User
from app.reports.markdown import voice_lines
from app.reports.stored import refresh_metrics
from app.transcription import Transcript
from app.transcription.base import Word
from app.worker.jobs import transcribe_attempt
from tests.conftest import upload

SALARY = Path(__file__).resolve().parents[2] / "bench" / "speech_set" / "audio" / "salary.ogg"
SPAN = {"start": float, "end": float}


class Said:
    """An engine that hears the salary answer of the evaluation set, a word every 0.25 s."""

    name, model_name = "said", "test"
    text = ("I'm looking for something around ninety five thousand a year. Um, uh, I, I care "
            "more about the team, um, and the chance to grow.")  # fmt: skip

    def transcribe(self, samples, **options):
        words = [Word(" " + raw, 0.4 + i * 0.25, 0.6 + i * 0.25)
                 for i, raw in enumerate(self.text.split())]  # fmt: skip
        return Transcript(text=self.text, words=words, duration_s=14.8)


def shape(value, expected) -> bool:
    """True when ``value`` has exactly the keys of ``expected`` and values of its types."""
    if isinstance(expected, dict):
        return (
            isinstance(value, dict)
            and set(value) == set(expected)
            and all(shape(value[k], v) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return isinstance(value, list) and all(shape(item, expected[0]) for item in value)
    return isinstance(value, expected)


CONTRACT = {
    "pitch": {"median_hz": float, "spread_semitones": float, "monotone_spans": [SPAN]},
    "volume": {"mean_db": float, "too_quiet": bool, "trailing_off": [SPAN]},
    "rising_endings": [SPAN | {"text": str}],
    "filler_bursts": [SPAN | {"count": int}],
    "repetitions": [SPAN | {"text": str}],
    "rate": [SPAN | {"syllables_per_s": float}],
}


def test_the_api_gives_the_delivery_the_worker_measured(client, app, monkeypatch):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    attempt_id = upload(client, SALARY).json["id"]
    monkeypatch.setattr("app.worker.jobs.engine_for_app", lambda: Said())
    with app.app_context():
        transcribe_attempt(attempt_id)
    body = client.get(f"/api/v1/attempts/{attempt_id}").json
    delivery = body["metrics"]["delivery"]
    assert shape(delivery, CONTRACT), delivery
    # The engine hears its sentence in each segment between pauses: three fillers in each.
    fillers = [
        w for w in body["transcript"]["words"] if w["word"].strip(" ,") in {"Um", "uh", "um"}
    ]
    assert len(fillers) >= 3 and sum(b["count"] for b in delivery["filler_bursts"]) == len(fillers)
    assert {r["text"] for r in delivery["repetitions"]} == {"I, I"}
    assert 70 < delivery["pitch"]["median_hz"] < 130 and delivery["pitch"]["monotone_spans"] == []

    # Measured again under newer rules (no audio read): the delivery stays.
    with app.app_context():
        db.session.get(Attempt, attempt_id).metrics_version = "older"
        db.session.commit()
        assert refresh_metrics() == (1, None)
        assert db.session.get(Attempt, attempt_id).metrics["delivery"] == delivery


def test_the_openapi_document_describes_delivery(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert set(schemas["Delivery"]["properties"]) == set(CONTRACT)
    assert "delivery" in schemas["Metrics"]["properties"]


def test_the_answer_page_shows_the_voice_card_with_playable_spans_unless_calm(
    client, app, monkeypatch
):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    attempt_id = upload(client, SALARY).json["id"]
    monkeypatch.setattr("app.worker.jobs.engine_for_app", lambda: Said())
    with app.app_context():
        transcribe_attempt(attempt_id)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "<h3>Voice</h3>" in html and "semitones of pitch spread" in html
    assert 'class="jump restart" href="#player" data-start="' in html and "“I, I”" in html
    assert "<strong>Voice</strong>: measured from the recording with Praat" in html
    with app.app_context():
        owner = db.session.get(User, db.session.get(Attempt, attempt_id).owner_id)
        owner.calm_mode = True
        db.session.commit()
    assert "<h3>Voice</h3>" not in client.get(f"/attempts/{attempt_id}").get_data(as_text=True)


def test_a_too_quiet_answer_says_so_on_the_voice_card_with_what_to_do(client, app, monkeypatch):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    attempt_id = upload(client, SALARY).json["id"]
    monkeypatch.setattr("app.worker.jobs.engine_for_app", lambda: Said())
    with app.app_context():
        transcribe_attempt(attempt_id)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Too quiet to be heard well" not in html
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        delivery = attempt.metrics["delivery"]
        attempt.metrics = attempt.metrics | {
            "delivery": delivery | {"volume": delivery["volume"] | {"too_quiet": True}}
        }
        db.session.commit()
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Too quiet to be heard well" in html and "raise its input level" in html


def test_both_exports_carry_the_voice_unless_calm(client, app, monkeypatch):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    attempt_id = upload(client, SALARY).json["id"]
    monkeypatch.setattr("app.worker.jobs.engine_for_app", lambda: Said())
    with app.app_context():
        transcribe_attempt(attempt_id)
        delivery = db.session.get(Attempt, attempt_id).metrics["delivery"]
    spread = f"Pitch spread: {delivery['pitch']['spread_semitones']:.1f} semitones"
    markdown = client.get(f"/attempts/{attempt_id}/report.md").get_data(as_text=True)
    assert "## Voice" in markdown and f"- {spread}" in markdown
    assert 'Restarts and repeated words: "I, I" at 0:' in markdown
    printable = client.get(f"/attempts/{attempt_id}/report").get_data(as_text=True)
    assert "<h2>Voice</h2>" in printable and f"<li>{spread}" in printable
    assert "Syllables per second, 15 s at a time: " in printable
    with app.app_context():
        owner = db.session.get(User, db.session.get(Attempt, attempt_id).owner_id)
        owner.calm_mode = True
        db.session.commit()
    markdown = client.get(f"/attempts/{attempt_id}/report.md").get_data(as_text=True)
    printable = client.get(f"/attempts/{attempt_id}/report").get_data(as_text=True)
    assert "Voice" not in markdown and "Pitch spread" not in markdown
    assert "<h2>Voice</h2>" not in printable and "Pitch spread" not in printable


def test_delivery_stored_before_too_quiet_existed_still_exports():
    old = {
        "pitch": {"median_hz": None, "spread_semitones": 0.0, "monotone_spans": []},
        "volume": {"mean_db": None, "trailing_off": [{"start": 1.0, "end": 1.5}]},
        "rising_endings": [], "filler_bursts": [{"start": 0.0, "end": 9.0, "count": 3}],
        "repetitions": [], "rate": [],
    }  # fmt: skip
    assert voice_lines(old) == [
        "Pitch: too little voiced speech to measure",
        "Sentence ends that fade (10 dB or more): at 1.0–1.5 s",
        "Filler bursts (three or more within 30 s): 3 fillers at 0.0–9.0 s",
    ]
