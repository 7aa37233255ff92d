"""What a recording is, read from its container without decoding it, and the caps on decoding.

Every decode starts here (``app.recordings.audio``): a whole upload, the pieces of a streamed
answer while it arrives, and the final transcription. PyAV (installed with faster-whisper)
opens the file with only the demuxers in ``CONTAINERS`` allowed and only the local file
protocol, so a concat script (``ffconcat``) or a playlist is refused before it opens anything;
then the probe tells audio from video, reads the codec, rate and channels, and measures the
length from packet timestamps, all without decoding.

Two caps are checked before any decoding: the length (``max_seconds`` and a small grace, see
``LENGTH_GRACE_S``) and ``DECODE_BUDGET_BYTES``. Timestamps are only what the file claims,
so the decoder counts the samples it makes as well (``DecodeLimits.max_samples``), and a
``Deadline`` bounds the time one recording may take (``DECODE_TIMEOUT_SECONDS``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import av

from app.recordings.errors import AudioRejected, TooLong, Unreadable

SAMPLE_RATE = 16_000

# Codecs that browsers record or people commonly upload, and the extension we store under.
ACCEPTED_CODECS = {
    "opus": "opus",
    "vorbis": "ogg",
    "aac": "m4a",
    "mp3": "mp3",
    "flac": "flac",
    "alac": "m4a",
    "pcm_s16le": "wav",
    "pcm_s24le": "wav",
    "pcm_s32le": "wav",
    "pcm_f32le": "wav",
    "pcm_u8": "wav",
}
# PyAV container names (first alias) mapped to the extension and MIME type we serve. Only
# these demuxers may open a file at all (``format_whitelist``).
CONTAINERS = {
    "matroska": ("webm", "audio/webm"),
    "webm": ("webm", "audio/webm"),
    "ogg": ("ogg", "audio/ogg"),
    "mov": ("m4a", "audio/mp4"),
    "mp4": ("m4a", "audio/mp4"),
    "wav": ("wav", "audio/wav"),
    "mp3": ("mp3", "audio/mpeg"),
    "flac": ("flac", "audio/flac"),
}
FORMATS_HELP = "WebM or Ogg (Opus), MP4/M4A (AAC), WAV, MP3 or FLAC"
# Samples at the file's own rate and channels that one decode may work through (16-bit):
# ten minutes of 48 kHz stereo is 110 MB. A 2 MB FLAC of 8-channel 192 kHz silence would be
# gigabytes of samples to decode, and is refused from its header figures instead.
DECODE_BUDGET_BYTES = 128 * 1024 * 1024
# The recorder stops itself at MAX_ANSWER_SECONDS, but what it hands over runs a little
# past that: its clock is checked every 250 ms (at best once a second in a background tab),
# and MediaRecorder adds its last frame after stop(). An answer up to this much over the
# limit is kept whole rather than refused: cutting it would lose the last words, and
# refusing it would lose the whole answer. It is small against the caps it widens.
LENGTH_GRACE_S = 2.0
_OPEN_OPTIONS = {"format_whitelist": ",".join(CONTAINERS), "protocol_whitelist": "file"}


@dataclass(frozen=True)
class DecodeLimits:
    """The caps every decode shares: the longest answer, and the time one decode may take
    (0: none, for the command line and benchmarks on local files)."""

    max_seconds: float
    timeout_s: float = 0.0

    @classmethod
    def of(cls, config) -> DecodeLimits:
        """The limits in an app's settings: MAX_ANSWER_SECONDS, DECODE_TIMEOUT_SECONDS."""
        return cls(float(config["MAX_ANSWER_SECONDS"]), float(config["DECODE_TIMEOUT_SECONDS"]))

    @property
    def allowed_s(self) -> float:
        """The longest recording kept: the limit and its grace."""
        return self.max_seconds + LENGTH_GRACE_S

    @property
    def max_samples(self) -> int:
        """The most 16 kHz samples one decode may make."""
        return int(self.allowed_s * SAMPLE_RATE)

    def deadline(self) -> Deadline:
        """A deadline for one recording, starting now."""
        return Deadline(self.timeout_s)


class Deadline:
    """The moment a decode must be finished by; ``check`` refuses the recording after it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds if seconds > 0 else math.inf

    def check(self) -> None:
        """Raise AudioRejected once the time is up."""
        if time.monotonic() > self.at:
            raise AudioRejected(
                f"The recording could not be decoded within the time limit of "
                f"{minutes(self.seconds)}; it may be damaged. Record it again, or upload it "
                f"as {FORMATS_HELP}."
            )


@dataclass(frozen=True)
class AudioInfo:
    """What the container says, read without decoding the audio."""

    container: str
    codec: str
    duration_s: float
    extension: str
    mime: str

    @property
    def label(self) -> str:
        """A short description such as ``webm/opus``."""
        return f"{self.extension}/{self.codec}"


def open_recording(path: Path) -> av.container.InputContainer:
    """Open ``path`` with only the accepted demuxers and the local file protocol allowed.

    Raises AudioRejected for a file of another type (``ffconcat``, a playlist, an image)
    and lets PyAV's errors for unreadable bytes through.
    """
    try:
        return av.open(str(path), mode="r", timeout=10, options=dict(_OPEN_OPTIONS))
    except av.ArgumentError as err:
        # FFmpeg recognised the file, as a type not on the allow-list, and opened nothing.
        raise AudioRejected(
            "This file is not a recording we can read: it holds no sound track of a type we "
            f"accept. Upload {FORMATS_HELP}."
        ) from err


def _scan_duration(container, stream, limit_s: float, deadline: Deadline, arrived: bool) -> float:
    """Length from packet timestamps, stopping as soon as it passes ``limit_s``."""
    end = 0.0
    base = stream.time_base
    start = stream.start_time * base if stream.start_time is not None else 0.0
    try:
        for packet in container.demux(stream):
            deadline.check()
            if packet.pts is None:
                continue
            end = max(end, float((packet.pts + (packet.duration or 0)) * base - start))
            if end > limit_s:
                break
    except (av.FFmpegError, EOFError) as err:
        if not arrived:
            raise AudioRejected(
                "The recording is damaged and cannot be read. Record it again."
            ) from err
        # Pieces of a recording still arriving end anywhere: what came before is measured.
    return end


def probe(
    path: Path, max_seconds: float, *, deadline: Deadline | None = None, arrived: bool = False
) -> AudioInfo:
    """Identify the recording at ``path`` and measure its length, or raise AudioRejected.

    With ``arrived`` (the pieces of a recording so far), a file that ends anywhere is
    measured up to where it ends, and one whose start is not yet readable raises
    ``Unreadable``: more pieces may make it readable.
    """
    deadline = deadline or Deadline(0)
    if path.stat().st_size == 0:
        raise AudioRejected("The file is empty. Record your answer again, or choose another file.")
    try:
        container = open_recording(path)
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise Unreadable(
            f"This file is not a recording we can read. Upload {FORMATS_HELP}."
        ) from err
    with container:
        name = container.format.name.split(",")[0]
        audio = container.streams.audio
        videos = [
            s
            for s in container.streams.video
            if not s.disposition & av.stream.Disposition.attached_pic
        ]
        if not audio:
            # The first pieces of a recording may stop before its track is described.
            refused = Unreadable if arrived else AudioRejected
            raise refused(f"This file holds no sound track. Upload {FORMATS_HELP}.")
        if videos:
            raise AudioRejected(f"This file is a video. Upload the sound alone: {FORMATS_HELP}.")
        if len(audio) > 1:
            raise AudioRejected(
                f"This file holds {len(audio)} sound tracks; an answer is one. "
                f"Upload a recording with a single sound track: {FORMATS_HELP}."
            )
        if name not in CONTAINERS:
            raise AudioRejected(
                f"Files of type {container.format.long_name or name!r} are not accepted. "
                f"Upload {FORMATS_HELP}."
            )
        stream = audio[0]
        codec = stream.codec_context.codec.canonical_name
        if codec not in ACCEPTED_CODECS:
            if name == "wav":  # "Upload … WAV" alone reads oddly to someone holding a WAV
                raise AudioRejected(
                    f"This WAV file holds sound encoded as {codec!r}, which is not accepted. "
                    "Export it again as 16-bit PCM WAV (the usual kind), or upload "
                    f"{FORMATS_HELP}."
                )
            raise AudioRejected(
                f"Sound encoded as {codec!r} is not accepted. Upload {FORMATS_HELP}."
            )
        rate = stream.codec_context.sample_rate or 0
        channels = stream.codec_context.layout.nb_channels or 1
        allowed = max_seconds + LENGTH_GRACE_S
        duration = _scan_duration(container, stream, allowed, deadline, arrived)
    if duration > allowed:
        raise TooLong(
            f"The recording is longer than the limit of {minutes(max_seconds)}. "
            "Answer more briefly, or trim the file before uploading."
        )
    if (duration + 1) * rate * channels * 2 > DECODE_BUDGET_BYTES:
        raise AudioRejected(
            f"This recording has {channels} channels at {rate} Hz, more than a spoken answer "
            f"needs, and too much to decode at {minutes(round(duration))}. Export it as mono "
            "or stereo at 48 kHz or less and upload it again."
        )
    extension, mime = CONTAINERS[name]
    return AudioInfo(
        container=name, codec=codec, duration_s=duration, extension=extension, mime=mime
    )


def minutes(seconds: float) -> str:
    """``600`` → ``10 minutes``, ``60`` → ``1 minute``, ``30`` → ``30 seconds``."""
    amount, unit = (seconds / 60, "minute") if seconds >= 60 else (seconds, "second")
    return f"{amount:g} {unit}" + ("" if amount == 1 else "s")
