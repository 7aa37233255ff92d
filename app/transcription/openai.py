"""openai-whisper (PyTorch): the second engine, run from the same bundled model files.

openai-whisper would download its checkpoints; this machine has no hub access. So the
CTranslate2 folder that ``resolve_model`` found is converted once (``convert.py``) into
``<cache_dir>/openai-whisper/<fingerprint>.pt`` and loaded from there.
"""

from __future__ import annotations

import os
import struct
import threading
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from .base import (
    FILLERS_TIMED,
    MAX_COMPRESSION_RATIO,
    MIN_AVG_LOGPROB,
    NO_SPEECH_SKIP,
    SAMPLE_RATE,
    EngineUnavailable,
    Transcript,
    TranscriptionError,
    Word,
    believed,
    prompt_with,
    unlooped,
    unprimed,
)
from .convert import convert_ct2_to_openai
from .filters import Decoded, confirm_last_fragment, fill_gaps, restore_fillers, supported_words
from .models import model_fingerprint
from .speech import drop_unlikely_tail, join_words, keep_spoken_words, speech_regions

FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
INSTALL_HINT = "openai-whisper is not installed: run pip install 'rebound[openai-whisper]'"


def checkpoint_path(model_dir: Path, cache_dir: Path) -> Path:
    """Where the converted checkpoint of ``model_dir`` lives in ``cache_dir``."""
    return cache_dir / "openai-whisper" / f"{model_fingerprint(model_dir)}.pt"


class OpenAIWhisperEngine:
    """An openai-whisper model loaded once and reused for every job in this process."""

    name = "openai-whisper"

    def __init__(
        self,
        model_dir: Path,
        model_name: str,
        cache_dir: Path,
        device: str = "auto",
        beam_size: int = 1,
        initial_prompt: str | None = None,
        cpu_threads: int = 0,
    ) -> None:
        try:
            import torch
            import whisper
        except ImportError as err:
            raise EngineUnavailable(INSTALL_HINT) from err

        self.model_name = model_name
        self.beam_size = beam_size
        self.initial_prompt = initial_prompt
        self.device = (
            ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        )
        if self.device == "cpu":
            torch.set_num_threads(cpu_threads or min(4, os.cpu_count() or 1))
        # One decode at a time: openai-whisper adds hooks to the shared model during a decode.
        self._lock = threading.Lock()
        self.checkpoint = checkpoint_path(Path(model_dir), Path(cache_dir))
        if not self.checkpoint.is_file():
            try:
                convert_ct2_to_openai(Path(model_dir), self.checkpoint)
            except (OSError, KeyError, ValueError, struct.error) as err:
                raise TranscriptionError(
                    f"cannot convert {model_dir} for openai-whisper: {err!r}"
                ) from err
        try:
            self._model = whisper.load_model(str(self.checkpoint), device=self.device)
        except (RuntimeError, KeyError, EOFError, ValueError) as err:
            raise TranscriptionError(
                f"cannot load the converted model {self.checkpoint}: {err}; delete it to rebuild"
            ) from err
        # load_model sets no alignment heads for a file path; word timings need the real ones.
        heads = torch.load(self.checkpoint, map_location="cpu", weights_only=True, mmap=True)
        dims = self._model.dims
        mask = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
        for layer, head in heads.get("alignment_heads", []):
            mask[layer, head] = True
        if mask.any():
            self._model.register_buffer(
                "alignment_heads", mask.to_sparse().to(self.device), persistent=False
            )
        # Build the (cached) tokenizer now, not in the first job. openai-whisper 20250625
        # reads its vocabulary without closing the file: hide that one ResourceWarning.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "unclosed file", ResourceWarning)
            self._tokenizer = whisper.tokenizer.get_tokenizer(
                self._model.is_multilingual,
                num_languages=self._model.num_languages,
                language="en",
                task="transcribe",
            )
        # openai-whisper's transcribe asks ``model.decode`` for each try of a window: this
        # model's tries go through ``_decode_window`` (an attribute of the instance is found
        # before the class's method).
        self._whisper_decode = whisper.decoding.decode
        self._plain: str | None = None
        self._model.decode = self._decode_window

    def transcribe(
        self, samples: np.ndarray, context: str = "", quick: bool = False, greedy: bool = False
    ) -> Transcript:
        """Transcribe with word timestamps; silence and noise give an empty transcript.

        ``quick`` changes nothing here: openai-whisper's encoder only takes 30 s windows.
        """
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        duration = samples.size / SAMPLE_RATE
        regions = speech_regions(samples)
        if not regions:
            return Transcript(text="", words=[], duration_s=duration)
        prompt = prompt_with(self.initial_prompt, context)
        segments = self._decode(samples, prompt, greedy, [regions[0][0], regions[-1][1]])
        words = supported_words(segments, samples, regions)
        words = drop_unlikely_tail(keep_spoken_words(words, regions), regions)

        def decode_alone(clip: np.ndarray, before: str, unloop: bool = True) -> list[Decoded]:
            return self._decode(clip, prompt_with(self.initial_prompt, before), unloop=unloop)

        words = confirm_last_fragment(words, samples, decode_alone)
        words = fill_gaps(words, samples, regions, decode_alone)
        # A loop of "um"s before a word still says a filler is there (as faster-whisper's).
        words = restore_fillers(
            words, samples, lambda clip, before: decode_alone(clip, before, unloop=False)
        )
        return Transcript(text=join_words(words), words=words, duration_s=duration)

    def _decode(
        self,
        samples: np.ndarray,
        prompt: str | None,
        greedy: bool = False,
        clip: list[float] | None = None,
        unloop: bool = True,
    ) -> list[Decoded]:
        """Decode; one that loops on the fillers of the engine's own prompt is asked again
        without them, as faster-whisper's is (``base.unlooped``)."""
        if not unloop:
            return self._decode_once(samples, prompt, greedy, clip, keep_loops=True)
        return unlooped(
            lambda asked: self._decode_once(samples, asked, greedy, clip),
            prompt,
            self.initial_prompt,
        )

    def _decode_window(self, mel, options):
        """One try of a window, as openai-whisper's ``decode``; a first try (temperature 0)
        that is not ``base.believed`` is tried again at temperature 0 without the engine's
        verbatim prompt, where the window carries it, and kept when that one is believed
        (faster-whisper's engine does the same). Otherwise openai-whisper goes on warmer."""
        result = self._whisper_decode(self._model, mel, options)
        if options.temperature > 0 or self._plain is None or not options.prompt:
            return result
        if _believed(result):
            return result
        words = self._tokenizer.encode(" " + self._plain) if self._plain else []
        again = self._whisper_decode(self._model, mel, replace(options, prompt=words))
        if _believed(again):
            return again
        return result

    def _decode_once(
        self,
        samples: np.ndarray,
        prompt: str | None,
        greedy: bool = False,
        clip: list[float] | None = None,
        keep_loops: bool = False,
    ) -> list[Decoded]:
        plain = unprimed(prompt, self.initial_prompt)
        try:
            with self._lock:
                # Where a loop says something (``keep_loops``), no plain retry takes it away.
                self._plain = None if keep_loops or plain == prompt else (plain or "").strip()
                result = self._model.transcribe(
                    samples,
                    language="en",
                    task="transcribe",
                    # Greedy or beam first; a decode that loops ("uh, uh, uh, …" until the
                    # token limit, seen on a 3 s clip) or is unsure is redone warmer, with
                    # the same thresholds faster-whisper uses by default.
                    temperature=FALLBACK_TEMPERATURES,
                    compression_ratio_threshold=MAX_COMPRESSION_RATIO,
                    logprob_threshold=MIN_AVG_LOGPROB,
                    no_speech_threshold=NO_SPEECH_SKIP,
                    beam_size=self.beam_size if self.beam_size > 1 and not greedy else None,
                    word_timestamps=True,
                    condition_on_previous_text=False,
                    initial_prompt=prompt,
                    # float32 on CUDA too: on an H200 half precision was no faster (0.042
                    # against 0.034 s per audio s, bench/RESULTS.md "GPU"), since the
                    # weights stay float32 and are cast at every layer.
                    fp16=False,
                    # Decode from the first speech to the last, like faster-whisper's VAD
                    # filter: otherwise the first word swallows the leading silence.
                    clip_timestamps=clip or "0",
                    verbose=None,
                )
            return [
                Decoded(
                    fillers_timed=self.model_name in FILLERS_TIMED,
                    start=float(segment["start"]),
                    end=float(segment["end"]),
                    text=segment["text"],
                    avg_logprob=float(segment["avg_logprob"]),
                    no_speech_prob=float(segment["no_speech_prob"]),
                    compression_ratio=float(segment.get("compression_ratio", 0.0)),
                    words=[
                        Word(w["word"], float(w["start"]), float(w["end"]), float(w["probability"]))
                        for w in segment.get("words", [])
                    ],  # fmt: skip
                )
                for segment in result["segments"]
            ]
        except (RuntimeError, ValueError, IndexError) as err:
            raise TranscriptionError(f"openai-whisper failed: {err}") from err


def _believed(result) -> bool:
    """``base.believed`` for one of openai-whisper's ``DecodingResult``."""
    return believed(
        result.text, result.compression_ratio, result.avg_logprob, result.no_speech_prob
    )
