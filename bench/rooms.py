"""Answers as microphones in real rooms hear them, for bench/accuracy.py (``--noise``,
``--tail``, ``--gain``) and the tests of what a quiet or noisy recording does."""

from __future__ import annotations

import numpy as np

from app.transcription.base import SAMPLE_RATE


def room_noise(size: int, dbfs: float, seed: int) -> np.ndarray:
    """Pink noise (power falling as 1/f, like a room and a microphone's own hiss) at ``dbfs``
    RMS, the same for the same seed."""
    white = np.random.default_rng(seed).standard_normal(size)
    spectrum = np.fft.rfft(white)
    spectrum[1:] /= np.sqrt(np.arange(1, spectrum.size))
    spectrum[0] = 0
    pink = np.fft.irfft(spectrum, size)
    return (pink / np.sqrt(np.mean(pink**2)) * 10 ** (dbfs / 20)).astype(np.float32)


def in_a_room(
    samples: np.ndarray, dbfs: float | None, tail_s: float, seed: int, gain_db: float = 0.0
) -> np.ndarray:
    """The answer ``gain_db`` louder, with ``tail_s`` more seconds after it and, with
    ``dbfs``, noise under all; clipped at full scale, as a recorder would."""
    out = np.concatenate([samples * np.float32(10 ** (gain_db / 20)),
                          np.zeros(int(tail_s * SAMPLE_RATE), np.float32)])  # fmt: skip
    if dbfs is not None:
        out += room_noise(out.size, dbfs, seed)
    return np.clip(out, -1.0, 1.0)
