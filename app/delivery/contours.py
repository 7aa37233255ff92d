"""The pitch and intensity contours of an answer, measured with Praat.

Praat's autocorrelation pitch tracker (Boersma 1993) and its intensity contour are the
standard measurements of speech science; ``praat-parselmouth`` runs Praat's own code.
Samples are halved to 8 kHz first: pitch (below 500 Hz) and level lose nothing, and the
work is smaller (bench/delivery.py measures the cost).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import parselmouth

PITCH_STEP_S = 0.02
INTENSITY_STEP_S = 0.02  # a syllable lasts about ten of these
PITCH_FLOOR_HZ, PITCH_CEILING_HZ = 75.0, 500.0
# de Jong & Wempe (2009) measure intensity with a 50 Hz minimum pitch (a 64 ms window):
# smooth enough that each syllable gives one peak.
INTENSITY_MIN_PITCH_HZ = 50.0
MIN_SECONDS = 0.2  # shorter than Praat's analysis windows: nothing to measure
# de Jong & Wempe (2009) count a peak as a syllable where Praat finds voicing with a voicing
# threshold of 0.25, not the 0.45 of the pitch contour: unstressed vowels are weakly periodic
# and the stricter decision dropped one syllable in eight of Piper's (bench/DELIVERY.md).
NUCLEUS_VOICING = 0.25


@dataclass(frozen=True)
class Contours:
    """Pitch in Hz (0 where unvoiced) and intensity in dB, each with its frame times, and
    which pitch frames are voiced enough to hold a syllable nucleus."""

    pitch_times: np.ndarray
    pitch_hz: np.ndarray
    intensity_times: np.ndarray
    intensity_db: np.ndarray
    nucleus_voiced: np.ndarray

    def voiced_semitones(self, start: float, end: float) -> np.ndarray:
        """Semitones re 100 Hz of the voiced pitch frames between ``start`` and ``end``."""
        inside = (self.pitch_times >= start) & (self.pitch_times <= end) & (self.pitch_hz > 0)
        return 12.0 * np.log2(self.pitch_hz[inside] / 100.0)

    def levels(self, start: float, end: float) -> np.ndarray:
        """Intensity frames (dB) between ``start`` and ``end``."""
        inside = (self.intensity_times >= start) & (self.intensity_times <= end)
        return self.intensity_db[inside]

    def voiced_at(self, times: np.ndarray) -> np.ndarray:
        """True for each time that falls in a voiced pitch frame."""
        return self._frames_at(times, self.pitch_hz > 0)

    def nucleus_voiced_at(self, times: np.ndarray) -> np.ndarray:
        """True for each time whose pitch frame is voiced by de Jong & Wempe's threshold."""
        return self._frames_at(times, self.nucleus_voiced)

    def _frames_at(self, times: np.ndarray, frames: np.ndarray) -> np.ndarray:
        if self.pitch_times.size == 0:
            return np.zeros(times.shape, dtype=bool)
        nearest = np.clip(
            np.rint((times - self.pitch_times[0]) / PITCH_STEP_S).astype(int),
            0,
            self.pitch_times.size - 1,
        )
        return frames[nearest]


EMPTY = Contours(*(np.zeros(0) for _ in range(4)), nucleus_voiced=np.zeros(0, dtype=bool))


def halved(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, int]:
    """Samples at half the rate, through a short binomial low-pass (silent at the new
    Nyquist frequency); rates under 16 kHz are kept as they are."""
    x = np.asarray(samples, dtype=np.float64)
    if sample_rate < 16_000 or sample_rate % 2:
        return x, sample_rate
    smooth = np.convolve(x, np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0, mode="same")
    return smooth[::2], sample_rate // 2


def measure(samples: np.ndarray, sample_rate: int) -> Contours:
    """Praat's pitch (autocorrelation) and intensity contours of mono ``samples``."""
    if len(samples) < MIN_SECONDS * sample_rate:
        return EMPTY
    x, rate = halved(samples, sample_rate)
    sound = parselmouth.Sound(x, sampling_frequency=rate)
    pitch = sound.to_pitch_ac(
        time_step=PITCH_STEP_S, pitch_floor=PITCH_FLOOR_HZ, pitch_ceiling=PITCH_CEILING_HZ
    )
    intensity = sound.to_intensity(minimum_pitch=INTENSITY_MIN_PITCH_HZ, time_step=INTENSITY_STEP_S)
    return Contours(
        pitch_times=np.asarray(pitch.xs()),
        pitch_hz=np.asarray(pitch.selected_array["frequency"]),
        intensity_times=np.asarray(intensity.xs()),
        intensity_db=np.asarray(intensity.values[0]),
        nucleus_voiced=strongest_periodicity(pitch) >= NUCLEUS_VOICING,
    )


def strongest_periodicity(pitch: parselmouth.Pitch) -> np.ndarray:
    """Per frame, the strength of the tracker's best voiced candidate (0 to 1): the
    normalised autocorrelation that Praat compares with its voicing threshold."""
    candidates = pitch.to_array()
    voiced = (candidates["frequency"] > 0) & np.isfinite(candidates["strength"])
    return np.where(voiced, candidates["strength"], 0.0).max(axis=0)
