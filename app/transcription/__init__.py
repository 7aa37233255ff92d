"""Speech to text: one interface, two real engines (faster-whisper, openai-whisper).

``load_engine`` caches one loaded model per process: a worker loads it once, not per job.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from .base import (
    VERBATIM_PROMPT,
    Engine,
    EngineUnavailable,
    ModelNotFound,
    Transcript,
    TranscriptionError,
    Word,
)
from .models import resolve_model

__all__ = [
    "Engine",
    "EngineUnavailable",
    "ModelNotFound",
    "Transcript",
    "TranscriptionError",
    "Word",
    "load_engine",
    "ENGINES",
]

ENGINES = ("faster-whisper", "openai-whisper")
_cache: dict[tuple, Engine] = {}
_lock = threading.Lock()


def load_engine(
    engine: str = "faster-whisper",
    model: str = "base",
    cache_dir: str | os.PathLike = ".cache/models",
    device: str = "auto",
    beam_size: int = 1,
    cpu_threads: int = 0,
    verbatim: bool = False,
) -> Engine:
    """Return the loaded engine for these settings, loading it on first use.

    ``verbatim`` prompts the decoder to keep filler words ("um", "uh") in the text.
    """
    key = (engine, model, str(cache_dir), device, beam_size, cpu_threads, verbatim)
    prompt = VERBATIM_PROMPT if verbatim else None
    with _lock:
        if key in _cache:
            return _cache[key]
        model_dir = resolve_model(model, cache_dir)
        name = model if not Path(model).is_dir() else Path(model).name
        if engine == "faster-whisper":
            from .faster import FasterWhisperEngine

            loaded: Engine = FasterWhisperEngine(
                model_dir,
                name,
                device=device,
                beam_size=beam_size,
                cpu_threads=cpu_threads,
                initial_prompt=prompt,
            )
        elif engine == "openai-whisper":
            from .openai import OpenAIWhisperEngine

            loaded = OpenAIWhisperEngine(
                model_dir,
                name,
                cache_dir=Path(cache_dir),
                device=device,
                beam_size=beam_size,
                initial_prompt=prompt,
                cpu_threads=cpu_threads,
            )
        else:
            raise EngineUnavailable(
                f"WHISPER_ENGINE={engine!r} is not an engine; choose one of {', '.join(ENGINES)}"
            )
        _cache[key] = loaded
        return loaded
