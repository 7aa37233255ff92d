"""What the interviewer says, spoken once per text and voice and kept like a recording.

``speak`` finds the stored speech by a digest of the voice and the normalised text, or has
Piper say it (``synthesis``), encodes it as Opus, stores it with the app's audio store
(folder or S3) and records it in ``interviewer_speech``. The speech is the interviewer's,
not anyone's personal data: it is shared by every candidate who hears the same words.

When the voice cannot speak (the package is missing, or synthesis fails) ``speak`` returns
None and the pages show the text alone; ``voice_missing`` gives them a sentence to say why.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.extensions import begin_write, db
from app.interviewer.synthesis import (
    OPUS_MIME,
    VOICE,
    SynthesisFailed,
    VoiceMissing,
    encode_opus,
    synthesise,
    voice_id,
)
from app.models import InterviewerSpeech
from app.recordings.errors import StorageError

log = logging.getLogger(__name__)

# Question texts are at most 1000 characters (app/questions/banks.py); about a minute spoken.
MAX_SPOKEN_CHARS = 1000


def normalised(text: str) -> str:
    """The text as it is spoken and looked up: runs of white space made one space."""
    return " ".join(str(text or "").split())


def speech_digest(text: str) -> str:
    """The key of a text's stored speech: sha256 of the voice and the normalised text."""
    return hashlib.sha256(f"{voice_id()}\n{normalised(text)}".encode()).hexdigest()


def voice_missing() -> str | None:
    """A sentence for pages when the voice is not installed, else None."""
    reason = VOICE.missing()
    if reason is None:
        return None
    return f"The interviewer's voice is not installed ({reason}); questions are shown as text."


def stored_speech(text: str) -> InterviewerSpeech | None:
    """The speech already made for ``text`` with this voice, if any."""
    return db.session.execute(
        db.select(InterviewerSpeech).where(InterviewerSpeech.digest == speech_digest(text))
    ).scalar_one_or_none()


def speak(text: str) -> InterviewerSpeech | None:
    """The stored speech of ``text``, made now if it is new; None when the voice cannot
    say it (missing, too long, or failing: logged), so the caller shows the text instead.

    Commits the session when it stores new speech."""
    text = normalised(text)
    if not text or len(text) > MAX_SPOKEN_CHARS or voice_missing():
        return None
    found = stored_speech(text)
    if found is not None:
        return found
    # End the read before the slow part: on SQLite a transaction that read, then waited
    # seconds, may not be allowed to write (its snapshot is stale) and would hold up others.
    db.session.commit()
    store = current_app.extensions["rebound_store"]
    try:
        speech = synthesise(text)
        store.spool_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=store.spool_dir, prefix="speech-") as folder:
            encoded = Path(folder) / "speech.ogg"
            encode_opus(speech, encoded)
            key = store.new_key("ogg")
            store.save_file(key, encoded)
    except VoiceMissing:
        return None  # logged once when it was found missing
    except (SynthesisFailed, StorageError, OSError) as err:
        log.warning("the interviewer could not say %r: %s", text[:60], err)
        return None
    begin_write()
    row = InterviewerSpeech(
        digest=speech_digest(text),
        voice=voice_id(),
        text=text,
        audio_key=key,
        mime=OPUS_MIME,
        duration_s=round(speech.duration_s, 3),
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        # Another process said the same words at the same moment and stored them first:
        # serve theirs, and drop our copy (the orphan sweep would find it otherwise).
        db.session.rollback()
        _discard(store, key)
        return stored_speech(text)
    return row


def forget_speech(speech: InterviewerSpeech) -> None:
    """Drop the row of speech whose file went missing (a restored backup, a hand-cleaned
    folder), so the next ``speak`` says the words again. A write of its own: the row was read
    in a transaction that may be stale by now."""
    db.session.commit()
    begin_write()
    db.session.execute(delete(InterviewerSpeech).where(InterviewerSpeech.id == speech.id))
    db.session.commit()


def _discard(store, key: str) -> None:
    try:
        store.delete(key)
    except Exception:
        log.warning("could not remove duplicate speech %s; the orphan sweep will", key)


def prepare_speech(
    texts: Iterable[str], others_waiting: Callable[[], bool] = lambda: False
) -> tuple[int, list[str]]:
    """Make the speech of any of ``texts`` not yet stored (the next question, follow-ups),
    so it is ready when asked for. Stops after any one text while ``others_waiting()`` (a
    transcript someone waits for must not wait for the interviewer's next words). Returns how
    many were made and the texts left to make."""
    made = 0
    wanted = [t for t in dict.fromkeys(normalised(t) for t in texts) if t]
    for index, text in enumerate(wanted):
        if stored_speech(text) is None and speak(text) is not None:
            made += 1
            if index + 1 < len(wanted) and others_waiting():
                return made, wanted[index + 1 :]
    return made, []


def speak_ahead(texts: Iterable[str]) -> bool:
    """Ask a worker to prepare the speech of ``texts`` (at a low priority); False if the
    queue could not be reached (the speech is then made when first asked for)."""
    wanted = [t for t in dict.fromkeys(normalised(t) for t in texts) if t]
    if not wanted or not current_app.config["SPEAK_AHEAD"] or voice_missing():
        return False
    return current_app.extensions["rebound_queue"].enqueue_speech(wanted)
