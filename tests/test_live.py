"""Transcribing a streamed recording while it arrives, and finishing from the boundary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.audio import load_samples
from app.extensions import db
from app.jobs import engine_for_app
from app.live import MIN_SEGMENT_S, TRAILING_PAUSE_S, decode_arrived, final_transcript, next_cut
from app.models import Attempt
from app.transcription.base import SAMPLE_RATE, Transcript, Word
from app.transcription.speech import speech_regions
from bench.common import word_errors
from tests.fixtures.make_fixtures import SPEECH
from tests.test_streaming import pieces_of, put, start


def test_whatever_arrived_decodes(audio_fixtures, tmp_path):
    data = (audio_fixtures / "paused.webm").read_bytes()
    whole = decode_arrived(audio_fixtures / "paused.webm")
    assert 50 < whole.size / SAMPLE_RATE < 60
    cut = tmp_path / "cut.webm"
    cut.write_bytes(data[: len(data) // 3 + 17])  # ends inside a frame
    part = decode_arrived(cut)
    assert 10 < part.size / SAMPLE_RATE < 25
    # The part is the start of the whole: the same samples, up to codec rounding.
    assert np.abs(part[: 5 * SAMPLE_RATE] - whole[: 5 * SAMPLE_RATE]).max() < 1e-3
    cut.write_bytes(b"junk")
    assert decode_arrived(cut).size == 0


def test_segments_are_cut_in_pauses(audio_fixtures):
    samples = decode_arrived(audio_fixtures / "paused.webm")
    cut = next_cut(samples, 0.0)
    assert cut is not None and cut >= MIN_SEGMENT_S
    # No speech around the cut: no word is split.
    window = samples[int((cut - 0.15) * SAMPLE_RATE) : int((cut + 0.15) * SAMPLE_RATE)]
    assert speech_regions(np.concatenate([np.zeros(SAMPLE_RATE, np.float32), window])) == []
    # Too little after the boundary: wait for more.
    assert next_cut(samples[: int(3 * SAMPLE_RATE)], 0.0) is None
    # A long silence is skipped without transcribing it.
    silence = np.zeros(12 * SAMPLE_RATE, dtype=np.float32)
    assert next_cut(silence, 0.0) == pytest.approx(12 - TRAILING_PAUSE_S)
    assert next_cut(silence[: 5 * SAMPLE_RATE], 0.0) is None


def test_the_final_transcript_joins_committed_words_and_the_rest():
    class Engine:
        def transcribe(self, samples, context=""):
            self.context = context
            return Transcript("later", [Word(" later", 0.5, 0.9)], duration_s=samples.size / 16000)

    engine = Engine()
    committed = [{"word": " Earlier", "start": 1.0, "end": 1.4, "probability": 0.9}]
    samples = np.zeros(10 * SAMPLE_RATE, dtype=np.float32)
    result = final_transcript(engine, samples, committed, 6.0)
    assert result.text == "Earlier later" and engine.context == "Earlier"
    assert [(w.start, w.end) for w in result.words] == [(1.0, 1.4), (6.5, 6.9)]
    assert result.duration_s == 10


@pytest.mark.slow
def test_streamed_transcript_appears_while_recording_and_matches_batch(client, app, audio_fixtures):
    """The real engine, the real API, jobs run as each piece arrives (immediate queue)."""
    source = audio_fixtures / "paused.webm"
    attempt_id = start(client).json["id"]
    partials = []
    for seq, piece in enumerate(pieces_of(source, 30)):
        assert put(client, attempt_id, seq, piece).status_code == 204
        partials.append(client.get(f"/api/v1/attempts/{attempt_id}").json["partial_text"])
    assert partials[5] == "" or len(partials[5]) < len(partials[-1])
    assert "customer" in partials[-1].lower()  # words shown before Stop
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        boundary, committed = attempt.live_until_s, len(attempt.live_words)
    assert boundary > 30 and committed > 50
    client.post(f"/api/v1/attempts/{attempt_id}/finish")
    shown = client.get(f"/api/v1/attempts/{attempt_id}").json
    assert shown["status"] == "done" and shown["metrics"]["words"] > 100
    words = shown["transcript"]["words"]
    assert all(a["start"] <= b["start"] for a, b in zip(words, words[1:], strict=False))
    assert words[-1]["end"] <= shown["duration_s"] + 0.1
    with app.app_context():
        samples, _ = load_samples(Path(source))
        batch = engine_for_app().transcribe(samples).text
    streamed_errors, total = word_errors(SPEECH["story"], shown["transcript"]["text"])
    batch_errors, _ = word_errors(SPEECH["story"], batch)
    # As good as the batch transcript of the same audio (within two words in 150).
    assert streamed_errors <= batch_errors + 2, (shown["transcript"]["text"], batch)
    assert streamed_errors / total < 0.1


def test_a_final_transcript_goes_before_live_ones_in_the_sqlite_queue(tmp_path):
    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "AUDIO_DIR": str(tmp_path / "audio"),
            "QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        }
    )
    jobs = app.extensions["rebound_queue"]
    jobs.enqueue_live(1)
    jobs.enqueue_live(2)
    jobs.enqueue_transcription(3)
    first = jobs.huey.dequeue()
    assert first.name == "transcribe_attempt" and first.args == (3,)
    assert jobs.huey.dequeue().name == "transcribe_live"
