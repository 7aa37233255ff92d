"""Filler bursts and restarts, read from timed words alone."""

import pytest

from app.delivery.wording import filler_bursts, repetitions, sentences_of


def timed(text: str, step: float = 0.4, start: float = 0.0) -> list[dict]:
    """Whisper-like words, one every ``step`` seconds."""
    return [{"word": " " + w, "start": start + i * step, "end": start + i * step + step * 0.8}
            for i, w in enumerate(text.split())]  # fmt: skip


def test_three_fillers_within_thirty_seconds_are_a_burst():
    words = timed("So um I was, uh, leading the, um, team and it went well.")
    assert filler_bursts(words) == [{"start": 0.4, "end": 3.12, "count": 3}]


def test_fillers_spread_over_more_than_thirty_seconds_are_not():
    words = (
        timed("um we shipped")
        + timed("uh it worked", start=20.0)
        + timed("hmm and then", start=40.0)
    )
    assert filler_bursts(words) == []


def test_overlapping_bursts_join_into_one_span_with_every_filler_counted():
    words = timed("um a uh b um c er d", step=5.0)
    assert filler_bursts(words) == [{"start": 0.0, "end": 34.0, "count": 4}]


def test_a_word_like_um_inside_another_word_is_not_a_filler():
    assert filler_bursts(timed("umbrella uhura hummus humid")) == []


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("I, I think we failed.", ["I, I"]),
        ("We built what we, uh, what we assumed.", ["what we, uh, what we"]),
        ("So the, the main reason", ["the, the"]),
        ("we- we went home.", ["we- we"]),
        ("we built the, we built a new service.", ["we built the, we built"]),
    ],
)
def test_restarts_and_repeated_words_are_spans(text, said):
    assert [r["text"] for r in repetitions(timed(text))] == said


@pytest.mark.parametrize(
    "text",
    [
        "It was very, very hard.",
        "No, no, that was fine.",
        "I know that that works.",
        "We tested it again and again.",
        "I led the team. I led the launch.",
    ],
)
def test_deliberate_repetition_is_not_a_restart(text):
    assert repetitions(timed(text)) == []


def test_a_repeat_span_has_the_times_of_its_words():
    (span,) = repetitions(timed("Then I, I decided.", step=0.5))
    assert (span["start"], span["end"]) == (0.5, 1.4)


def test_sentences_end_at_full_stops_question_and_exclamation_marks():
    found = sentences_of(timed("I led it. Did it work? Yes! and then"))
    assert [(s.text, s.stop) for s in found] == [
        ("I led it.", "."), ("Did it work?", "?"), ("Yes!", "!"), ("and then", "")]  # fmt: skip
