"""Speaking rate: syllable nuclei after de Jong & Wempe (2009), checked against syllables
counted from the text the voice said (bench/speaking_rate.py)."""

import numpy as np
import pytest

from app.delivery import voice
from bench.speaking_rate import counted_rate, summary, window_pairs
from tests.delivery.test_voice import RATE, SALARY, spoken


def bumps(levels: list[float], dip: float) -> np.ndarray:
    """An intensity contour: a rounded peak at each level, ``dip`` dB down between them."""
    shape = np.array([0.0, 0.5, 1.0, 0.5, 0.0])
    contour = [60.0]
    for level in levels:
        contour += list(level - dip + dip * shape)
    return np.array(contour + [60.0])


def test_each_peak_with_a_two_db_dip_before_the_next_is_a_nucleus():
    assert len(voice.peaks(bumps([70, 72, 71], dip=4.0), floor=50.0)) == 3


def test_peaks_without_a_dip_between_them_are_one_syllable():
    assert len(voice.peaks(bumps([70, 70.5, 70], dip=1.0), floor=50.0)) <= 1


def test_peaks_under_the_silence_floor_are_not_syllables():
    assert voice.peaks(bumps([70, 72], dip=4.0), floor=75.0) == []


def test_counted_rate_takes_the_words_whose_middle_is_in_the_window():
    words = [{"word": " Feels", "start": 0.0, "end": 0.4},
             {"word": " forever.", "start": 14.8, "end": 15.6}]  # fmt: skip
    assert counted_rate(words, 0.0, 15.0, talk=2.0) == 0.5  # "forever" ends after 15 s
    assert counted_rate(words, 15.0, 30.0, talk=0.0) == 0.0


def test_summary_gives_error_and_bias():
    result = summary([(4.0, 5.0), (6.0, 5.0), (3.0, 5.0)])
    assert result["mae"] == pytest.approx(4 / 3)
    assert result["bias"] == pytest.approx(-2 / 3)  # measured under counted on the whole


def test_the_measured_rate_of_a_piper_answer_is_near_its_counted_syllables():
    samples, words = spoken("salary", SALARY)
    [(measured, counted)] = window_pairs(samples, RATE, words)
    # Piper says 4-5 syllables a second; the nuclei found are about nine in ten counted.
    assert 4.0 < counted < 6.0
    assert 0.75 < measured / counted < 1.1
