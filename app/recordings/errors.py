"""Why a recording was refused or could not be kept, each with the HTTP status it earns.

    Exception
    ├── AudioRejected (422)          the upload is not a recording we can use
    │   ├── Unreadable (422)         no recording we can read (yet: a piece may not hold the header)
    │   ├── TooManyUploads (429)     the user has too many uploads in progress at once
    │   ├── StorageUnavailable (503) the audio store did not answer; nothing was saved
    │   ├── StorageFull (507)        no room for the recording; nothing was saved
    │   ├── QuotaExceeded (413)      the user's recordings would pass MAX_STORAGE_MB
    │   ├── PieceTooLarge (413)      a streamed piece, or all of them, over the size limits
    │   ├── PieceConflict (409)      other bytes under a piece number already stored
    │   ├── NotRecording (409)       the answer was finished: it takes no more pieces
    │   └── PiecesMissing (422)      finish asked for with pieces still missing
    └── StorageError                 the audio store failed to write or read
        └── RecordingMissing         nothing is stored under that key

Every message says what was wrong and what to do next; a page or the API shows it as is.
"""

from __future__ import annotations

import errno

STORAGE_DOWN = (
    "Recordings cannot be stored right now: the storage service did not answer. Nothing "
    "was lost: keep this page open and submit again in a minute."
)
DISK_FULL = (
    "The server's disk is full, so your recording could not be saved. Nothing was "
    "lost: keep this page open and submit again later, or tell the administrator."
)


class AudioRejected(Exception):
    """An upload is not a recording we can use; the message says why and what to do."""

    status = 422


class Unreadable(AudioRejected):
    """The bytes are not a recording we can read: junk, or the start of a streamed one whose
    header has not all arrived yet."""


class TooLong(AudioRejected):
    """The recording lasts longer than an answer may (``MAX_ANSWER_SECONDS``)."""


class TooManyUploads(AudioRejected):
    """The user has too many uploads in progress at once."""

    status = 429


class StorageUnavailable(AudioRejected):
    """The place recordings are kept did not answer (nothing was saved)."""

    status = 503


class StorageFull(AudioRejected):
    """The server has no room for the recording (nothing was saved)."""

    status = 507


class QuotaExceeded(AudioRejected):
    """Keeping this recording would pass the user's storage quota (nothing was saved)."""

    status = 413


class PieceTooLarge(AudioRejected):
    """A piece, or the pieces together, are over the size limits."""

    status = 413


class PieceConflict(AudioRejected):
    """Different bytes arrived under a sequence number already stored."""

    status = 409


class NotRecording(AudioRejected):
    """The attempt no longer takes pieces: it was finished."""

    status = 409


class PiecesMissing(AudioRejected):
    """Finish was asked for while some pieces before the last one have not arrived."""

    status = 422

    def __init__(self, missing: list[int]) -> None:
        shown = ", ".join(str(seq) for seq in missing[:20]) + ("…" if len(missing) > 20 else "")
        super().__init__(
            f"Pieces {shown} of this recording have not arrived. Send them again, then finish."
        )
        self.missing = missing


# Failures after which finishing can simply be tried again: the attempt stays ``recording``.
TRANSIENT = (StorageFull, StorageUnavailable, TooManyUploads)


class StorageError(Exception):
    """A recording could not be written or read."""


class RecordingMissing(StorageError):
    """Nothing is stored under the key asked for."""


def no_space(err: OSError) -> bool:
    """Whether an OS error means the disk (or the user's quota) is full."""
    return err.errno in (errno.ENOSPC, errno.EDQUOT)
