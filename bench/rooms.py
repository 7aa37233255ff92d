"""Answers as microphones in real rooms hear them, for bench/accuracy.py (``--noise``,
``--tail``, ``--gain``) and the tests of what a quiet or noisy recording does."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from app.transcription.base import SAMPLE_RATE
from app.transcription.speech import FINE_PAUSES, speech_regions


def at_level(sound: np.ndarray, dbfs: float) -> np.ndarray:
    """``sound`` scaled to ``dbfs`` RMS, as float32."""
    return (sound / np.sqrt(np.mean(sound**2)) * 10 ** (dbfs / 20)).astype(np.float32)


def room_noise(size: int, dbfs: float, seed: int) -> np.ndarray:
    """Pink noise (power falling as 1/f, like a room and a microphone's own hiss) at ``dbfs``
    RMS, the same for the same seed."""
    white = np.random.default_rng(seed).standard_normal(size)
    spectrum = np.fft.rfft(white)
    spectrum[1:] /= np.sqrt(np.arange(1, spectrum.size))
    spectrum[0] = 0
    pink = np.fft.irfft(spectrum, size)
    return at_level(pink, dbfs)


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


def reverberant(samples: np.ndarray, rt60_s: float, seed: int) -> np.ndarray:
    """The answer in a bare room: the direct sound plus a tail of reflections that dies away
    by 60 dB in ``rt60_s`` seconds (exponentially decaying noise, the usual stand-in for a
    measured room response), at the level the direct sound had."""
    size = int(rt60_s * SAMPLE_RATE)
    t = np.arange(size) / SAMPLE_RATE
    response = np.random.default_rng(seed).standard_normal(size) * 10 ** (-3 * t / rt60_s)
    response[: int(0.005 * SAMPLE_RATE)] = 0  # the first reflection comes after 5 ms
    response *= 0.3 / np.sqrt(np.sum(response**2))  # reflections ~10 dB under the voice
    response[0] = 1.0
    n = samples.size + size - 1
    fft = 1 << (n - 1).bit_length()
    wet = np.fft.irfft(np.fft.rfft(samples, fft) * np.fft.rfft(response, fft), fft)[: samples.size]
    peak = np.max(np.abs(wet)) or 1.0
    return (wet * (np.max(np.abs(samples)) / peak)).astype(np.float32)


def by_phone(samples: np.ndarray) -> np.ndarray:
    """The answer as a telephone line (or a headset in its call mode) passes it: sampled at
    8 kHz, 300-3400 Hz, 8-bit mu-law (G.711), and back at the recorder's rate."""
    from scipy.signal import butter, resample_poly, sosfilt  # the bench's own, not the app's

    narrow = resample_poly(samples, 1, SAMPLE_RATE // 8000)
    line = butter(4, (300, 3400), "bandpass", fs=8000, output="sos")
    band = np.clip(sosfilt(line, narrow), -1.0, 1.0)
    mu = 255.0
    coded = np.round(np.sign(band) * np.log1p(mu * np.abs(band)) / np.log1p(mu) * 127) / 127
    decoded = np.sign(coded) * np.expm1(np.abs(coded) * np.log1p(mu)) / mu
    return resample_poly(decoded, SAMPLE_RATE // 8000, 1)[: samples.size].astype(np.float32)


def mains_hum(size: int, dbfs: float) -> np.ndarray:
    """A 50 Hz hum and its first harmonics, as a badly earthed microphone picks up, at
    ``dbfs`` RMS."""
    t = np.arange(size) / SAMPLE_RATE
    hum = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in (1, 2, 3, 4))
    return at_level(hum, dbfs)


def keyboard(size: int, dbfs: float, seed: int, per_s: float = 5.0) -> np.ndarray:
    """Key presses: 8 ms bursts that die away, about ``per_s`` a second at random moments,
    each peaking near ``dbfs``."""
    rng = np.random.default_rng(seed)
    out = np.zeros(size, np.float32)
    click = int(0.008 * SAMPLE_RATE)
    envelope = np.exp(-np.arange(click) / (click / 5))
    for at in rng.integers(0, max(1, size - click), int(size / SAMPLE_RATE * per_s)):
        out[at : at + click] += rng.standard_normal(click) * envelope * 10 ** (dbfs / 20)
    return out


def music(size: int, dbfs: float, seed: int) -> np.ndarray:
    """Instrumental music from another room: every half second a plucked, harmonic-rich
    chord on a random root (each ringing for two seconds) and a kick drum, at ``dbfs`` RMS."""
    rng = np.random.default_rng(seed)
    t = np.arange(size) / SAMPLE_RATE
    out = np.zeros(size)
    beat = SAMPLE_RATE // 2
    for at in range(0, size, beat):
        n = min(beat * 2, size - at)
        local = t[:n]
        root = 110 * 2 ** (rng.choice([0, 3, 5, 7, 8, 10]) / 12)
        for ratio in (1, 1.25, 1.5):  # a major triad, each note with five harmonics
            for k in range(1, 6):
                out[at : at + n] += (
                    np.sin(2 * np.pi * root * ratio * k * local) / k * np.exp(-3 * local)
                )
        out[at : at + n] += np.sin(2 * np.pi * 55 * local) * np.exp(-20 * local) * 3  # the kick
    return at_level(out, dbfs)


def conditioned(samples: np.ndarray, condition: str, seed: int) -> np.ndarray:
    """One room ``condition`` applied to an answer: ``reverb:RT60``, ``phone``,
    ``hum:DBFS``, ``keys:DBFS``, ``music:DBFS``, ``late:S`` (S seconds of silence before the
    answer) or ``think:S`` (S more seconds in its longest pause)."""
    kind, _, value = condition.partition(":")
    if kind == "reverb":
        return reverberant(samples, float(value), seed)
    if kind == "phone":
        return by_phone(samples)
    if kind == "hum":
        return np.clip(samples + mains_hum(samples.size, float(value)), -1.0, 1.0)
    if kind == "keys":
        return np.clip(samples + keyboard(samples.size, float(value), seed), -1.0, 1.0)
    if kind == "late":
        return np.concatenate([np.zeros(int(float(value) * SAMPLE_RATE), np.float32), samples])
    if kind == "music":
        return np.clip(samples + music(samples.size, float(value), seed), -1.0, 1.0)
    if kind == "think":
        return with_a_long_pause(samples, float(value))
    raise ValueError(f"unknown room condition {condition!r}")


def with_a_long_pause(samples: np.ndarray, seconds: float) -> np.ndarray:
    """The answer with ``seconds`` of silence added in its longest pause after the first
    second of speech (the candidate stops to think mid-answer), unchanged without a pause."""
    regions = speech_regions(samples, FINE_PAUSES)
    pauses = [(start - end, (start + end) / 2)
              for (_, end), (start, _) in pairwise(regions) if end > 1.0]  # fmt: skip
    if not pauses:
        return samples
    at = int(max(pauses)[1] * SAMPLE_RATE)
    silence = np.zeros(int(seconds * SAMPLE_RATE), np.float32)
    return np.concatenate([samples[:at], silence, samples[at:]])
