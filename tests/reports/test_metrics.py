"""Speech metrics on hand-made word timings, including the classic traps."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.reports.speech import compute, find_fillers, find_hedges, tokenise


def words_from(text: str, gap: float = 0.1, length: float = 0.3, pauses: dict | None = None):
    """Whisper-like words: a leading space each, punctuation kept, evenly timed."""
    words, t = [], 0.5
    for i, raw in enumerate(text.split()):
        t += (pauses or {}).get(i, 0.0)
        words.append({"word": " " + raw, "start": round(t, 3), "end": round(t + length, 3)})
        t += length + gap
    return words


def fillers_in(text: str) -> list[str]:
    return [f["text"] for f in find_fillers(tokenise(words_from(text)))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("So, um, I was, uh, leading the team.", ["um", "uh"]),
        ("Umm, hmm, er, ah, I guess so.", ["umm", "hmm", "er", "ah"]),
        ("I'd like to lead a team.", []),
        ("It looks like the deadline moved.", []),
        ("We did it like this.", []),
        ("I would like a bigger role.", []),
        ("It was, like, the worst week.", ["like"]),
        ("And like we had no plan.", ["like"]),
        ("You know what I did? I asked.", []),
        ("We shipped it, you know, on time.", ["you know"]),
        ("I mean the data team.", []),
        ("I mean, it was hard.", ["i mean"]),
        ("It was kind of hard and sort of messy.", ["kind of", "sort of"]),
        ("What kind of role is it? A sort of lead.", []),
        ("Basically we actually literally rebuilt it.", ["basically", "actually", "literally"]),
        ("You know, you know, like, um.", ["you know", "you know", "like", "um"]),
    ],
)
def test_fillers(text, expected):
    assert fillers_in(text) == expected


def test_multi_word_fillers_count_once_per_100_words():
    words = words_from(
        "You know, I mean, we planned it well and the team delivered the work on time."
    )
    metrics = compute(words, duration_s=10)
    assert [f["text"] for f in metrics["fillers"]] == ["you know", "i mean"]
    assert metrics["words"] == 16
    assert metrics["fillers_per_100_words"] == 12.5
    first = metrics["fillers"][0]
    assert first["index"] == 0 and first["indexes"] == [0, 1] and first["end"] > first["start"]


def test_hedges_are_found_longest_first():
    hedges = [
        h["text"]
        for h in find_hedges(
            tokenise(
                words_from("I think maybe we could, I guess, just probably try. I think it works.")
            )
        )
    ]
    assert hedges == ["i think maybe", "i guess", "just", "probably", "i think"]


def test_pace_over_total_and_speaking_time_and_long_pauses():
    # 20 words, 0.4 s apart, with one 3-second pause after word 9.
    words = words_from(" ".join(["word"] * 20), pauses={10: 3.0})
    metrics = compute(words, duration_s=14.0)
    assert metrics["words"] == 20
    assert len(metrics["long_pauses"]) == 1
    pause = metrics["long_pauses"][0]
    assert pause["duration_s"] == pytest.approx(3.1) and pause["after_index"] == 9
    span = words[-1]["end"] - words[0]["start"]
    assert metrics["speaking_s"] == pytest.approx(span - 3.1, abs=0.01)
    assert metrics["wpm_total"] == pytest.approx(20 / 14 * 60, abs=0.1)
    assert metrics["wpm_speaking"] == pytest.approx(20 / (span - 3.1) * 60, abs=0.1)
    assert metrics["longest_pause_s"] == pytest.approx(3.1)


def test_short_gaps_are_not_pauses():
    metrics = compute(words_from("one two three", gap=1.4), duration_s=6)
    assert metrics["long_pauses"] == []


def test_pace_series_shows_a_rush_at_the_end():
    slow = words_from(" ".join(["slow"] * 20), gap=0.5, length=0.3)  # 75 wpm
    start = slow[-1]["end"] + 0.1
    fast = [
        {"word": " fast", "start": start + i * 0.25, "end": start + i * 0.25 + 0.2}
        for i in range(60)
    ]
    series = compute(slow + fast, duration_s=40)["pace_series"]
    assert series[0]["wpm"] < 100 and series[-1]["wpm"] > 200


STORY = (
    "Last year at my previous job the project was late. My role was to fix the release. "
    "So I talked to the client and I rewrote the plan. In the end we delivered on time."
)


def test_star_parts_with_evidence():
    metrics = compute(words_from(STORY), duration_s=30)
    assert metrics["star"] == {"situation": True, "task": True, "action": True, "result": True}
    assert metrics["star_missing"] == []
    evidence = metrics["star_evidence"]
    assert "in the end" in [e["text"] for e in evidence["result"]]
    assert "my role" in [e["text"] for e in evidence["task"]]


def test_star_names_the_missing_result():
    metrics = compute(
        words_from(
            "Last year the project was late. My role was to fix it. So I talked to the client."
        ),
        20,
    )
    assert metrics["star"]["result"] is False
    assert metrics["star_missing"] == [
        "No result: say what happened in the end, with a number if you can."
    ]


def test_star_is_not_demanded_of_non_behavioural_questions():
    question = SimpleNamespace(
        text="What are your salary expectations?",
        tags=["salary"],
        answer_seconds=60,
        talking_points=[],
    )
    metrics = compute(words_from("Around sixty thousand, depending on the package."), 10, question)
    assert metrics["behavioural"] is False and metrics["star_missing"] == []


def test_ownership_i_versus_we():
    metrics = compute(words_from("We planned it, we built it and I tested it with our team."), 10)
    assert metrics["ownership"] == {"i": 1, "we": 3, "i_share": 0.25}


def test_length_against_the_suggested_time_and_talking_points():
    question = SimpleNamespace(
        text="Tell me about a time you failed.",
        tags=["behavioural"],
        answer_seconds=120,
        talking_points=[
            "names a real, specific failure",
            "says what they changed afterwards",
            "owns their part without blaming",
        ],
    )
    words = words_from(
        "My failure was specific: I missed a deadline. Afterwards I changed how I plan."
    )
    # The keyword rules (what a page uses for a stale answer); tests/understanding covers
    # the same decision by meaning.
    metrics = compute(words, duration_s=60, question=question, by_meaning=False)
    assert metrics["length"] == {"duration_s": 60, "target_s": 120, "ratio": 0.5}
    covered = {p["point"]: p["covered"] for p in metrics["talking_points"]}
    assert covered == {
        "names a real, specific failure": True,
        "says what they changed afterwards": True,
        "owns their part without blaming": False,
    }


def test_no_words_gives_zeros_not_errors():
    metrics = compute([], duration_s=5)
    assert metrics["words"] == 0 and metrics["wpm_speaking"] == 0 and metrics["fillers"] == []
    assert metrics["fillers_per_100_words"] == 0


def test_contract_keys():
    metrics = compute(words_from(STORY), 30)
    for key in (
        "words",
        "duration_s",
        "speaking_s",
        "wpm_total",
        "wpm_speaking",
        "fillers",
        "fillers_per_100_words",
        "long_pauses",
        "hedges",
        "star",
    ):
        assert key in metrics
    assert set(metrics["star"]) == {"situation", "task", "action", "result"}
    assert set(metrics["fillers"][0]) >= {"text", "start", "end"} if metrics["fillers"] else True
    assert all(set(p) >= {"start", "end"} for p in metrics["long_pauses"])


def test_a_word_the_decoder_doubted_is_not_evidence():
    # "reef and" for "refund": a word under UNSURE_BELOW is shown, never counted.
    words = words_from("So, um, it was, like, basically just the reef and flow.")
    doubted = {" like,", " basically", " just"}
    for w in words:
        w["probability"] = 0.2 if w["word"] in doubted else 0.9
    tokens = tokenise(words)
    assert [f["text"] for f in find_fillers(tokens)] == ["um"]
    assert find_hedges(tokens) == []
    assert compute(words, duration_s=10)["words"] == len(words)  # still said, still counted


def test_an_um_is_not_judged_by_its_probability():
    # Whisper doubts nearly every real "um" (it learned from subtitles that leave them out):
    # the audio decides those (filters.restore_fillers), not the probability.
    words = words_from("Um, I led it.")
    words[0]["probability"] = 0.1
    assert [f["text"] for f in find_fillers(tokenise(words))] == ["um"]
