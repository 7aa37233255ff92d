"""The one storage-key scheme for recordings.

Every stored recording is named ``ab/ab12…ef.ext``: 128 random bits, never the uploader's
file name. An upload keeps a 16 kHz WAV beside its original under the same name; a streamed
answer's pieces are stored as ``….piece`` until Stop joins them.
"""

from __future__ import annotations

import re
import uuid

# The original (any accepted container) and its 16 kHz copy; pieces are not recordings.
RECORDING_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}\.(webm|ogg|m4a|wav|mp3|flac|16k\.wav)$")
# One piece of a streamed recording, kept until Stop joins them.
PIECE_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}\.piece$")


def new_key(extension: str) -> str:
    """Return ``ab/ab12…ef.ext`` with 128 random bits."""
    name = uuid.uuid4().hex
    return f"{name[:2]}/{name}.{extension.lstrip('.')}"


def wav_key(audio_key: str) -> str:
    """The key of the 16 kHz WAV kept beside an original recording."""
    return audio_key.rsplit(".", 1)[0] + ".16k.wav"


def is_recording_key(key: str) -> bool:
    """Whether ``key`` names a recording or its WAV (and so may be swept when unreferenced)."""
    return RECORDING_KEY.match(key) is not None


def is_piece_key(key: str) -> bool:
    """Whether ``key`` names a streamed piece (swept when no piece row refers to it)."""
    return PIECE_KEY.match(key) is not None
