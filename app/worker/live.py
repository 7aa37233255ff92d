"""Transcribe a streamed recording while the candidate is still speaking.

Each run decodes the pieces that have arrived (a MediaRecorder WebM cut anywhere decodes to
the part that arrived), looks for pauses after the committed boundary with the same Silero
VAD the engines use, and transcribes the audio up to the last finished pause: a pause
followed by more speech, or a silence at the end long enough that the sentence is over.
Those words are committed with absolute timings and the boundary moves to the pause; the
unfinished sentence after it waits for the next run. At finish only the audio after the
boundary is left to transcribe (``final_transcript``).

Cutting in the middle of a pause means no word is split, and each segment is long enough
(``MIN_SEGMENT_S``) to be worth the encoder's fixed cost on a 30 s window.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import av
import numpy as np

from app.transcription.base import SAMPLE_RATE, Transcript, Word
from app.transcription.speech import join_words, speech_regions

# Segments shorter than this wait for more speech (the encoder always pays for 30 s).
MIN_SEGMENT_S = 4.0
# Silence at the end of what arrived after which the last sentence counts as finished
# (measured from the end of the VAD region, which already includes 0.3 s of padding).
# Short, so the last sentence is often transcribed before the candidate reaches Stop.
TRAILING_PAUSE_S = 0.6
# Audio with no speech at all is skipped once this much has piled up.
SKIP_SILENCE_S = 10.0
# What is left at finish is transcribed in the engine's quick mode up to this length (the
# last sentence or two); a longer rest gets the full window.
QUICK_TAIL_S = 20.0


def decode_arrived(path: Path, from_s: float = 0.0) -> np.ndarray:
    """Decode whatever of a (possibly cut-off) recording arrived to 16 kHz mono float32.

    With ``from_s``, an Opus recording is decoded from just before that time only and the
    samples before it are left silent, so an index is still a time: the packets before it
    are read but not decoded (3 minutes: 0.02 s instead of 0.35 s). Live runs and the final
    job only need what follows the committed boundary.
    """
    try:
        with av.open(str(path), mode="r", timeout=10) as container:
            stream = container.streams.audio[0]
            skip_to = from_s - SETTLE_S
            head = _opus_head(stream)
            if skip_to > 0 and head is not None:
                found = _decode_after(container, stream, skip_to, head)
                if found is not None:
                    return found
        with av.open(str(path), mode="r", timeout=10) as container:
            return _decode_all(container)
    except (av.FFmpegError, ValueError, IndexError):
        return np.zeros(0, dtype=np.float32)


# A decoder started mid-stream settles within a few frames; this much is decoded first.
SETTLE_S = 0.5


def _as_float(chunks: list[np.ndarray], lead: int = 0) -> np.ndarray:
    """16-bit chunks as one float32 array, after ``lead`` samples of silence."""
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    body = np.concatenate(chunks).astype(np.float32) / 32768.0
    return np.concatenate([np.zeros(lead, dtype=np.float32), body]) if lead else body


def _resampled(resampler, frame) -> list[np.ndarray]:
    return [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]


def _decode_all(container) -> np.ndarray:
    chunks: list[np.ndarray] = []
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    try:
        for frame in container.decode(audio=0):
            chunks += _resampled(resampler, frame)
    except (av.FFmpegError, EOFError):
        pass  # the last piece may end inside a frame: keep what decoded
    return _as_float(chunks + _resampled(resampler, None))


def _opus_head(stream) -> int | None:
    """Opus's pre-skip in 48 kHz samples (from its header), or None for another codec."""
    extradata = stream.codec_context.extradata or b""
    if stream.codec_context.name != "opus" or not extradata.startswith(b"OpusHead"):
        return None
    return int.from_bytes(extradata[10:12], "little")


def _decode_after(container, stream, skip_to: float, pre_skip: int) -> np.ndarray | None:
    """Decode the packets from ``skip_to`` seconds on with a fresh decoder (None: none)."""
    decoder = av.CodecContext.create(stream.codec_context.name, "r")
    decoder.extradata = stream.codec_context.extradata
    decoder.sample_rate = stream.codec_context.sample_rate
    decoder.layout = stream.codec_context.layout
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    start = None
    try:
        for packet in container.demux(stream):
            if packet.pts is None or not packet.size:
                continue
            at = float(packet.pts * packet.time_base)
            if at < skip_to:
                continue
            start = at if start is None else start
            for frame in decoder.decode(packet):
                chunks += _resampled(resampler, frame)
    except (av.FFmpegError, EOFError):
        pass
    if start is None:
        return None
    chunks += _resampled(resampler, None)
    # The fresh decoder drops a pre-skip from its first packet as if the stream began there;
    # a whole decode dropped it once, at the real start. Within 1 ms of a whole decode for
    # files that mark the codec delay (ffmpeg's), within 7 ms for those that do not.
    lead = round((start + pre_skip / 48_000) * SAMPLE_RATE)
    return _as_float(chunks, lead)


def next_cut(samples: np.ndarray, start_s: float) -> float | None:
    """The end of the next segment worth transcribing after ``start_s``, or None to wait.

    The cut lies in the middle of the last finished pause at least ``MIN_SEGMENT_S`` after
    ``start_s``.
    """
    tail = samples[int(start_s * SAMPLE_RATE) :]
    length = tail.size / SAMPLE_RATE
    regions = speech_regions(tail)
    if not regions:
        return start_s + length - TRAILING_PAUSE_S if length >= SKIP_SILENCE_S else None
    cuts = [(end + start) / 2 for (_, end), (start, _) in pairwise(regions)]
    if length - regions[-1][1] >= TRAILING_PAUSE_S:
        cuts.append((regions[-1][1] + length) / 2)
    usable = [cut for cut in cuts if cut >= MIN_SEGMENT_S]
    return start_s + usable[-1] if usable else None


def ends_in_silence(samples: np.ndarray, cut_s: float) -> bool:
    """True when nothing is said after ``cut_s``: the candidate has stopped, maybe for good.

    A segment that ends so is transcribed quickly (``quick``): if Stop comes while it is
    being transcribed, the candidate waits for it.
    """
    return not speech_regions(samples[int(cut_s * SAMPLE_RATE) :])


def shifted(transcript: Transcript, offset_s: float) -> list[dict]:
    """The transcript's words as stored dicts, moved ``offset_s`` later."""
    words = [
        Word(w.word, w.start + offset_s, w.end + offset_s, w.probability) for w in transcript.words
    ]
    return Transcript(text="", words=words).to_dict()["words"]


def as_words(stored: list[dict]) -> list[Word]:
    """Stored word dicts back to ``Word`` values."""
    return [Word(w["word"], w["start"], w["end"], w.get("probability", 1.0)) for w in stored]


def text_of(stored: list[dict]) -> str:
    """The text of stored words, spelled as Whisper gave them."""
    return join_words(as_words(stored))


def final_transcript(
    engine, samples: np.ndarray, committed: list[dict], until_s: float
) -> Transcript:
    """The whole recording's transcript: the committed words, then the rest transcribed now."""
    duration = samples.size / SAMPLE_RATE
    rest = samples[int(until_s * SAMPLE_RATE) :]
    # The candidate is waiting for this last bit: a quick window when it is short.
    quick = rest.size < QUICK_TAIL_S * SAMPLE_RATE
    tail = (
        engine.transcribe(rest, context=text_of(committed), quick=quick, greedy=quick)
        if rest.size
        else None
    )
    words = as_words(committed) + (as_words(shifted(tail, until_s)) if tail else [])
    return Transcript(text=join_words(words), words=words, duration_s=duration)
