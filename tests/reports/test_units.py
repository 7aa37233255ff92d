"""One way to write durations, counts and metric values; a word diff that ignores punctuation."""

from __future__ import annotations

import pytest

from app.reports.compare import word_diff
from app.reports.units import clock, gap, metric_change, metric_value, number, plural


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00"), (46.4, "0:46"), (125, "2:05"), (None, "0:00")]
)
def test_durations_read_as_minutes_and_seconds(seconds, shown):
    assert clock(seconds) == shown


@pytest.mark.parametrize(
    ("count", "word", "shown"),
    [(0, "filler", "0 fillers"), (1, "filler", "1 filler"), (2, "filler", "2 fillers"),
     (1, "long pause", "1 long pause"), (3, "time", "3 times")],
)  # fmt: skip
def test_counts_agree_with_their_noun(count, word, shown):
    assert plural(count, word) == shown


def test_metric_values_are_rounded_as_their_definition_says():
    assert metric_value("wpm_speaking", 196.2) == "196"
    assert metric_value("fillers_per_100_words", 4.25) in ("4.2", "4.3")
    assert metric_value("long_pauses", 1) == "1"
    assert metric_value("duration_s", 46.0) == "0:46"
    assert metric_value("duration_s", None) == "–"
    assert metric_change("duration_s", -5) == "-0:05"
    assert metric_change("wpm_speaking", 12.4) == "+12"
    assert number(4.6) == "5" and number(4.25, 1) in ("4.2", "4.3")
    assert gap(1.84) == "1.8 s"


def test_the_word_diff_ignores_punctuation_and_case():
    diff = word_diff(
        "Sure, last year our team missed a deadline.", "Sure. Last year my team missed a deadline"
    )
    assert diff == [("same", "Sure. Last year"), ("removed", "our"), ("added", "my"),
                    ("same", "team missed a deadline")]  # fmt: skip
