"""Decode recordings to 16 kHz mono samples, within the caps every decode shares.

A whole upload (``decode_to_wav``), the pieces of a streamed answer while it arrives and its
final transcription (``decode_arrived``), and the command line (``load_samples``) all decode
here, and each starts with the same probe (``app.recordings.probe``: the allow-lists, the
length the container claims, the decode budget). PyAV then decodes one packet at a time,
in this process and without any ffmpeg binary, resampling each frame to 16 kHz mono as it
comes. The samples are counted as they are made: a file whose timestamps claim less than
it holds is refused as soon as it passes ``DecodeLimits.max_samples``, so no decode holds
more than the longest answer allowed (19 MB of 16-bit samples for ten minutes) whatever the
file says. The probe's ``Deadline`` runs on through the decode (``DECODE_TIMEOUT_SECONDS``).
pydub then writes what was decoded as the 16 kHz WAV kept beside an upload.
"""

from __future__ import annotations

import io
import itertools
import warnings
import wave
from collections.abc import Iterable, Iterator
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np

from app.recordings.errors import AudioRejected, Unreadable
from app.recordings.probe import (
    FORMATS_HELP,
    SAMPLE_RATE,
    AudioInfo,
    Deadline,
    DecodeLimits,
    minutes,
    open_recording,
    probe,
)

with warnings.catch_warnings():
    # pydub warns at import that it found no ffmpeg on PATH; it gets the bundled one below.
    warnings.simplefilter("ignore")
    from pydub import AudioSegment

# pydub writes the 16 kHz WAV a transcript is made from (a plain WAV needs no ffmpeg); any
# encoding it does goes through the ffmpeg that imageio-ffmpeg ships, never one on PATH.
AudioSegment.converter = imageio_ffmpeg.get_ffmpeg_exe()

__all__ = [
    "AudioInfo",
    "DecodeLimits",
    "decode_arrived",
    "decode_to_wav",
    "load_samples",
    "probe",
    "read_wav_samples",
]

# A decoder started mid-stream settles within a few frames; this much is decoded first.
SETTLE_S = 0.5
NO_SOUND = (
    "The recording holds no sound, or could not be decoded: it may be damaged or cut off. "
    "Record your answer again."
)


def _checked(path: Path, limits: DecodeLimits, arrived: bool = False) -> tuple[AudioInfo, Deadline]:
    """The probe every decode starts with, and the deadline the decode goes on under."""
    deadline = limits.deadline()
    return probe(path, limits.max_seconds, deadline=deadline, arrived=arrived), deadline


def _too_long(limits: DecodeLimits, info: AudioInfo) -> AudioRejected:
    return AudioRejected(
        f"The recording holds more sound than the limit of {minutes(limits.max_seconds)}, "
        f"though it claims to last {minutes(round(info.duration_s, 1))}: it is damaged or "
        f"was made to mislead. Record your answer again, or upload it as {FORMATS_HELP}."
    )


def _capped(chunks: Iterable[np.ndarray], limits: DecodeLimits, info: AudioInfo):
    """Pass ``chunks`` on, refusing the recording once they pass the most samples allowed."""
    made = 0
    for chunk in chunks:
        made += chunk.size
        if made > limits.max_samples:
            raise _too_long(limits, info)
        yield chunk


class _To16k:
    """Frames at any rate and layout to 16 kHz mono 16-bit chunks.

    PyAV's resampler takes one input format; a file that changes rate or layout midway gets
    a fresh one from there.
    """

    def __init__(self) -> None:
        self._resampler = None
        self._source = None

    def __call__(self, frame) -> list[np.ndarray]:
        """Chunks for ``frame``; None flushes what the resampler still holds."""
        if frame is None:
            return self._flush()
        chunks = []
        source = (frame.format.name, frame.layout.name, frame.sample_rate)
        if source != self._source:
            chunks = self._flush()
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            self._source = source
        return chunks + [f.to_ndarray().reshape(-1) for f in self._resampler.resample(frame)]

    def _flush(self) -> list[np.ndarray]:
        if self._resampler is None:
            return []
        return [f.to_ndarray().reshape(-1) for f in self._resampler.resample(None)]


def _packets(container, stream, deadline: Deadline) -> Iterator[av.Packet]:
    """The stream's packets as they are read, under the deadline."""
    try:
        for packet in container.demux(stream):
            deadline.check()
            yield packet
    except (av.FFmpegError, EOFError):
        return  # the file ends inside a packet (a piece cut anywhere): keep what came before


def _frames(packets: Iterable[av.Packet], decoder, to16k: _To16k) -> Iterator[np.ndarray]:
    """16 kHz chunks of each packet in turn, then what the resampler still holds."""
    for packet in packets:
        try:
            frames = decoder.decode(packet)
        except (av.FFmpegError, EOFError):
            continue  # a damaged packet: skip it, as ffmpeg does
        for frame in frames:
            yield from to16k(frame)
    yield from to16k(None)


def _whole(container, deadline: Deadline) -> Iterator[np.ndarray]:
    stream = container.streams.audio[0]
    return _frames(_packets(container, stream, deadline), stream.codec_context, _To16k())


def _opus_head(stream) -> int | None:
    """Opus's pre-skip in 48 kHz samples (from its header), or None for another codec."""
    extradata = stream.codec_context.extradata or b""
    if stream.codec_context.name != "opus" or not extradata.startswith(b"OpusHead"):
        return None
    return int.from_bytes(extradata[10:12], "little")


def _after(container, skip_to: float, pre_skip: int, deadline: Deadline, cap: int):
    """Silence up to the first packet from ``skip_to`` seconds on, then the packets from
    there with a fresh decoder (nothing at all when no packet starts after it)."""
    stream = container.streams.audio[0]

    def wanted(packet) -> bool:
        return packet.pts is not None and packet.size and packet.pts * packet.time_base >= skip_to

    packets = (p for p in _packets(container, stream, deadline) if wanted(p))
    first = next(packets, None)
    if first is None:
        return
    # The fresh decoder drops a pre-skip from its first packet as if the stream began there;
    # a whole decode dropped it once, at the real start. Within 1 ms of a whole decode for
    # files that mark the codec delay (ffmpeg's), within 7 ms for those that do not.
    lead = round((float(first.pts * first.time_base) + pre_skip / 48_000) * SAMPLE_RATE)
    if lead > cap:
        return  # the whole decode counts it and refuses it
    yield np.zeros(lead, dtype=np.int16)
    decoder = av.CodecContext.create(stream.codec_context.name, "r")
    decoder.extradata = stream.codec_context.extradata
    decoder.sample_rate = stream.codec_context.sample_rate
    decoder.layout = stream.codec_context.layout
    yield from _frames(itertools.chain([first], packets), decoder, _To16k())


def _as_float(chunks: list[np.ndarray]) -> np.ndarray:
    """16-bit chunks as one float32 array in [-1, 1]."""
    samples = np.empty(sum(c.size for c in chunks), dtype=np.float32)
    at = 0
    for chunk in chunks:
        samples[at : at + chunk.size] = chunk
        at += chunk.size
    samples *= 1 / 32768
    return samples


def decode_arrived(path: Path, limits: DecodeLimits, from_s: float = 0.0) -> np.ndarray:
    """Decode whatever of a (possibly cut-off) recording arrived to 16 kHz mono float32.

    Bytes that are not yet readable (the first piece may not hold the whole header) give no
    samples; a recording the caps refuse raises AudioRejected, whatever has arrived.

    With ``from_s``, an Opus recording is decoded from just before that time only and the
    samples before it are left silent, so an index is still a time: the packets before it
    are read but not decoded (3 minutes: 0.02 s instead of 0.35 s). Live runs and the final
    job only need what follows the committed boundary.
    """
    try:
        info, deadline = _checked(path, limits, arrived=True)
    except Unreadable:
        return np.zeros(0, dtype=np.float32)
    chunks: list[np.ndarray] = []
    with open_recording(path) as container:
        head = _opus_head(container.streams.audio[0])
        if from_s - SETTLE_S > 0 and head is not None:
            tail = _after(container, from_s - SETTLE_S, head, deadline, limits.max_samples)
            chunks = list(_capped(tail, limits, info))
    if not chunks:
        with open_recording(path) as container:
            chunks = list(_capped(_whole(container, deadline), limits, info))
    return _as_float(chunks)


def decode_to_wav(path: Path, out: Path, limits: DecodeLimits) -> tuple[AudioInfo, float]:
    """Probe ``path`` and decode it into a 16 kHz mono 16-bit WAV at ``out``, one frame at a
    time; return what the probe found and the decoded length in seconds."""
    info, deadline = _checked(path, limits)
    with open_recording(path) as container:
        pcm = b"".join(
            chunk.astype("<i2", copy=False).tobytes()
            for chunk in _capped(_whole(container, deadline), limits, info)
        )
    if not pcm:
        raise AudioRejected(NO_SOUND)
    # At most max_samples of 16-bit mono (19 MB for ten minutes): the cap came first.
    speech = AudioSegment(data=pcm, sample_width=2, frame_rate=SAMPLE_RATE, channels=1)
    # Built in memory, then written in one go: pydub leaves its file half-open when a write
    # fails, and a full disk shows up here as the OSError the caller turns into a 507.
    wav = io.BytesIO()
    speech.export(wav, format="wav")
    out.write_bytes(wav.getbuffer())
    return info, speech.frame_count() / SAMPLE_RATE


def load_samples(
    path: Path, max_seconds: float = 3600, timeout_s: float = 0.0
) -> tuple[np.ndarray, AudioInfo]:
    """Probe and decode any accepted file straight to samples (the CLI, the worker when an
    answer has no WAV, benchmarks)."""
    limits = DecodeLimits(max_seconds, timeout_s)
    info, deadline = _checked(path, limits)
    with open_recording(path) as container:
        samples = _as_float(list(_capped(_whole(container, deadline), limits, info)))
    if samples.size == 0:
        raise AudioRejected(NO_SOUND)
    return samples, info


def read_wav_samples(path: Path) -> np.ndarray:
    """Load a 16 kHz mono 16-bit WAV written by ``decode_to_wav`` as float32 in [-1, 1]."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (SAMPLE_RATE, 1, 2):
            raise AudioRejected(f"{path.name} is not a 16 kHz mono 16-bit WAV")
        frames = wav.readframes(wav.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
