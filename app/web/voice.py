"""Serving the interviewer's voice: one response for any text the interviewer says.

Pages and the API call ``speech_response`` after checking who may hear the text (the
question, the interview turn); it answers with the stored Opus, made on first request.
"""

from __future__ import annotations

import io

from flask import current_app, jsonify, request, send_file

from app.interviewer.voice import forget_speech, speak, speech_digest, voice_missing
from app.recordings.errors import RecordingMissing, StorageError

# The same words in the same voice never change, so a browser may keep them a day; private:
# only the one who could hear them keeps them (a shared cache never sees who asked).
SPEECH_MAX_AGE_S = 86400
CACHE_CONTROL = f"private, max-age={SPEECH_MAX_AGE_S}"
NOT_SPOKEN = (
    "The interviewer's voice could not be made right now; the text is shown instead. "
    "Try again in a minute, or turn the voice off in Settings."
)


def _unavailable():
    response = jsonify(error=voice_missing() or NOT_SPOKEN)
    response.status_code = 503
    return response


def speech_response(text: str):
    """The interviewer saying ``text`` as ``audio/ogg; codecs=opus`` (ETag: its digest,
    304 when the browser holds it already), or 503 JSON saying why there is no voice."""
    digest = speech_digest(text)
    if request.if_none_match.contains(digest):
        # The browser has these words already: answer without touching the store.
        response = current_app.response_class(status=304)
        response.set_etag(digest)
        response.headers["Cache-Control"] = CACHE_CONTROL
        return response
    store = current_app.extensions["rebound_store"]
    for _retry in range(2):
        speech = speak(text)
        if speech is None:
            return _unavailable()
        try:
            # Tens of KB (a minute is about 180 KB): read whole, so no file stays open while
            # a slow client takes it.
            audio = store.local_path(speech.audio_key).read_bytes()
            break
        except RecordingMissing:
            # The file went: say the words again.
            forget_speech(speech)
        except (StorageError, OSError):
            return _unavailable()
    else:
        return _unavailable()
    response = send_file(
        io.BytesIO(audio),
        mimetype=speech.mime,
        conditional=True,
        etag=speech.digest,
        max_age=SPEECH_MAX_AGE_S,
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
