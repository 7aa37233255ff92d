"""The interviewer says the question's words: its stored speech, decoded and transcribed by
Rebound's own engine (the app's Whisper settings), reads back as the question's text."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from app.interviewer.voice import speak
from app.models import Question
from app.recordings.audio import load_samples
from app.transcription.segments import transcribe_by_pauses
from app.worker.jobs import engine_for_app
from bench.scoring import score

pytestmark = pytest.mark.slow

# A question with a number and an abbreviation, a behavioural one in two sentences, a short
# classic, and one about money.
KEYS = (
    "cg-explain-gap",
    "cf-disagreed-with-manager",
    "cg-why-leaving",
    "sal-expectations",
)


def test_the_interviewer_says_the_bank_questions(app):
    errors = words = 0
    heard_all = []
    with app.app_context():
        for key in KEYS:
            question = db.session.execute(db.select(Question).filter_by(key=key)).scalar_one()
            speech = speak(question.text)
            samples, _info = load_samples(Path(app.config["AUDIO_DIR"]) / speech.audio_key)
            heard = transcribe_by_pauses(engine_for_app(), samples).to_dict()["text"]
            result = score(question.text, heard)
            errors, words = errors + result.errors, words + result.ref_words
            heard_all.append((question.text, heard))
    # Counted over all the questions: Piper's voice varies a little from one synthesis to
    # the next, and one word in a seven-word question would be 14 % on its own.
    assert errors / words < 0.10, heard_all
