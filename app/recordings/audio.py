"""Check, measure and decode uploaded recordings.

PyAV (installed with faster-whisper) reads the container without any ffmpeg binary: it
tells audio from video, measures the length from packet timestamps and reads the channel
count and sample rate, all without decoding. pydub then decodes through the ffmpeg binary
that ``imageio-ffmpeg`` ships; we always pass the codec because pydub would otherwise run
``ffprobe``, which that package lacks.

pydub holds the decoded samples in memory at the file's own rate and channel count (a few
copies of them while it converts), so ``probe`` refuses files whose decoded size would pass
``DECODE_BUDGET_BYTES``: a 2 MB FLAC of 8-channel 192 kHz silence would otherwise decode to
gigabytes. The budget admits ten minutes of 48 kHz stereo.
"""

from __future__ import annotations

import io
import os
import shlex
import shutil
import warnings
import wave
from dataclasses import dataclass
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np

from app.recordings.errors import AudioRejected

with warnings.catch_warnings():
    # pydub warns at import that it found no ffmpeg on PATH; we point it at ours below.
    warnings.simplefilter("ignore")
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
AudioSegment.converter = FFMPEG
# 16-bit samples at the file's own rate and channels: 10 minutes of 48 kHz stereo is 110 MB.
DECODE_BUDGET_BYTES = 128 * 1024 * 1024


def use_decode_timeout(seconds: float, folder: Path) -> None:
    """Run pydub's ffmpeg under coreutils ``timeout`` so no file can hold a request for long.

    pydub waits for ffmpeg without a time limit; it runs whatever ``converter`` names, so we
    point it at a two-line script in ``folder`` (the instance folder) that adds one.
    """
    timeout = shutil.which("timeout")
    if not timeout or seconds <= 0:
        AudioSegment.converter = FFMPEG
        return
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"ffmpeg-within-{seconds:g}s"
    content = f'#!/bin/sh\nexec {shlex.quote(timeout)} --kill-after=5 {seconds:g} {shlex.quote(FFMPEG)} "$@"\n'
    if not script.is_file() or script.read_text() != content:
        partial = script.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(content)
        partial.chmod(0o700)
        partial.replace(script)
    AudioSegment.converter = str(script)


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
# PyAV container names (first alias) mapped to the extension and MIME type we serve.
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


def _scan_duration(container: av.container.InputContainer, stream, limit_s: float) -> float:
    """Length from packet timestamps, stopping as soon as it passes ``limit_s``."""
    end = 0.0
    base = stream.time_base
    start = stream.start_time * base if stream.start_time is not None else 0.0
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        packet_end = float((packet.pts + (packet.duration or 0)) * base - start)
        end = max(end, packet_end)
        if end > limit_s:
            break
    return end


def probe(path: Path, max_seconds: float) -> AudioInfo:
    """Identify the recording at ``path`` and measure its length, or raise AudioRejected."""
    if path.stat().st_size == 0:
        raise AudioRejected("The file is empty. Record your answer again, or choose another file.")
    try:
        container = av.open(str(path), mode="r", timeout=10)
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise AudioRejected(
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
            raise AudioRejected(f"This file holds no sound track. Upload {FORMATS_HELP}.")
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
            raise AudioRejected(
                f"Sound encoded as {codec!r} is not accepted. Upload {FORMATS_HELP}."
            )
        rate = stream.codec_context.sample_rate or 0
        channels = stream.codec_context.layout.nb_channels or 1
        try:
            duration = _scan_duration(container, stream, max_seconds)
        except av.FFmpegError as err:
            raise AudioRejected(
                "The recording is damaged and cannot be read. Record it again."
            ) from err
    if duration > max_seconds:
        raise AudioRejected(
            f"The recording is longer than the limit of {_minutes(max_seconds)}. "
            "Answer more briefly, or trim the file before uploading."
        )
    if (duration + 1) * rate * channels * 2 > DECODE_BUDGET_BYTES:
        raise AudioRejected(
            f"This recording has {channels} channels at {rate} Hz, more than a spoken answer "
            f"needs, and too much to decode at {_minutes(round(duration))}. Export it as mono "
            "or stereo at 48 kHz or less and upload it again."
        )
    extension, mime = CONTAINERS[name]
    return AudioInfo(
        container=name, codec=codec, duration_s=duration, extension=extension, mime=mime
    )


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"


def _decode(path: Path, info: AudioInfo) -> AudioSegment:
    """Decode with pydub, stopping just past the measured length (timestamps can understate
    it). WAV goes through a handle we close (pydub leaks its own there)."""
    if info.container == "wav":
        with path.open("rb") as handle:
            return AudioSegment.from_file(handle, format="wav")
    return AudioSegment.from_file(str(path), codec=info.codec, duration=info.duration_s + 1)


def _decode_16k(path: Path, info: AudioInfo, failure: str) -> AudioSegment:
    """Decode to 16 kHz mono 16-bit, or raise AudioRejected with ``failure``."""
    try:
        segment = _decode(path, info)
    except (CouldntDecodeError, IndexError, OSError) as err:
        raise AudioRejected(failure) from err
    if len(segment) == 0:
        raise AudioRejected("The recording holds no sound. Record your answer again.")
    return segment.set_channels(1).set_frame_rate(SAMPLE_RATE).set_sample_width(2)


def decode_to_wav(path: Path, info: AudioInfo, out: Path) -> float:
    """Decode ``path`` into a 16 kHz mono 16-bit WAV at ``out``; return its length in seconds."""
    segment = _decode_16k(
        path,
        info,
        "The recording could not be decoded; it may be damaged or cut off. Record it again.",
    )
    buffer = io.BytesIO()
    segment.export(buffer, format="wav")
    out.write_bytes(buffer.getvalue())
    return len(segment) / 1000


def read_wav_samples(path: Path) -> np.ndarray:
    """Load a 16 kHz mono 16-bit WAV written by ``decode_to_wav`` as float32 in [-1, 1]."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (SAMPLE_RATE, 1, 2):
            raise AudioRejected(f"{path.name} is not a 16 kHz mono 16-bit WAV")
        frames = wav.readframes(wav.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0


def load_samples(path: Path, max_seconds: float = 3600) -> tuple[np.ndarray, AudioInfo]:
    """Probe and decode any accepted file straight to samples (for the CLI and benchmarks)."""
    info = probe(path, max_seconds)
    segment = _decode_16k(path, info, f"{path.name} could not be decoded; it may be damaged.")
    samples = np.array(segment.get_array_of_samples(), dtype=np.float32) / 32768.0
    return samples, info
