"""faster-whisper (CTranslate2): the default engine, int8 on CPU, no PyTorch."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .base import SAMPLE_RATE, Transcript, TranscriptionError, Word, prompt_with
from .speech import drop_unlikely_tail, join_words, keep_spoken_words, speech_regions


def _pick_device(device: str) -> tuple[str, str]:
    """Choose device and compute type: CUDA when asked for or present, else int8 CPU."""
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return device, ("float16" if device == "cuda" else "int8")


class FasterWhisperEngine:
    """A faster-whisper model loaded once and reused for every job in this process."""

    name = "faster-whisper"

    def __init__(
        self,
        model_dir: Path,
        model_name: str,
        device: str = "auto",
        beam_size: int = 1,
        cpu_threads: int = 0,
        initial_prompt: str | None = None,
    ) -> None:
        from faster_whisper import WhisperModel

        self.model_name = model_name
        self.beam_size = beam_size
        self.initial_prompt = initial_prompt
        self.device, self.compute_type = _pick_device(device)
        self._model = WhisperModel(
            str(model_dir),
            device=self.device,
            compute_type=self.compute_type,
            cpu_threads=cpu_threads or min(4, os.cpu_count() or 1),
        )

    def transcribe(self, samples: np.ndarray, context: str = "") -> Transcript:
        """Transcribe with word timestamps; silence and noise give an empty transcript."""
        duration = samples.size / SAMPLE_RATE
        regions = speech_regions(samples)
        if not regions:
            return Transcript(text="", words=[], duration_s=duration)
        try:
            segments, info = self._model.transcribe(
                samples,
                language="en",
                beam_size=self.beam_size,
                word_timestamps=True,
                vad_filter=True,
                condition_on_previous_text=False,
                initial_prompt=prompt_with(self.initial_prompt, context),
            )
            words = [
                Word(w.word, float(w.start), float(w.end), float(w.probability))
                for segment in segments
                for w in (segment.words or [])
            ]
        except (RuntimeError, ValueError) as err:
            raise TranscriptionError(f"faster-whisper failed: {err}") from err
        words = drop_unlikely_tail(keep_spoken_words(words, regions), regions)
        return Transcript(text=join_words(words), words=words, duration_s=duration)
