"""The takeaway rules: each check fires on its own figures and not otherwise, in order; a
near-empty answer is told to answer, not to breathe; each goal is checkable on the next try."""

from __future__ import annotations

import copy
from datetime import datetime
from types import SimpleNamespace

import pytest

from app.reports.goals import goal_met
from app.reports.speech import compute
from app.reports.takeaway import (
    KEEP,
    length_note,
    measured_takeaway,
    rates_judged,
    takeaway_for,
)
from tests.reports.test_metrics import words_from

QUESTION = SimpleNamespace(text="Tell me about a time you missed a deadline.", key="q-1",
                           tags=["behavioural"], answer_seconds=120, talking_points=[])  # fmt: skip
# A good 90-second behavioural answer: every figure in its range, so no check fires.
GOOD = {
    "words": 220, "duration_s": 90.0, "speaking_s": 88.0, "wpm_total": 146.7,
    "wpm_speaking": 150.0, "fillers": [{"text": "um"}], "fillers_per_100_words": 0.5,
    "long_pauses": [], "longest_pause_s": 0.0, "hedges": [],
    "length": {"duration_s": 90.0, "target_s": 120, "ratio": 0.75},
    "ownership": {"i": 9, "we": 3}, "behavioural": True,
    "star": {"situation": True, "task": True, "action": True, "result": True},
    "talking_points": [{"point": "what you learned", "covered": True}],
}  # fmt: skip


def changed(**changes) -> dict:
    """GOOD with some figures changed (``length`` and ``star`` merged, not replaced)."""
    metrics = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(metrics.get(key), dict):
            metrics[key].update(value)
        else:
            metrics[key] = value
    return metrics


PAUSE = {"start": 1, "end": 3, "duration_s": 2.0, "after_index": 1}
HEDGE = {"text": "i guess"}
# Each check, on figures where only it should fire.
CASES = {
    "no_answer": changed(words=3, duration_s=2.0, speaking_s=1.0, wpm_speaking=180.0,
                         length={"duration_s": 2.0, "ratio": 0.02}),
    "off_topic": changed(relevance={"on_topic": False, "similarity": 0.12}),
    "star_result": changed(star={"result": False}),
    "star_action": changed(star={"action": False}),
    "talking_point": changed(talking_points=[{"point": "what you learned", "covered": False}]),
    "too_short": changed(duration_s=46.0, length={"duration_s": 46.0, "ratio": 0.38}),
    "too_long": changed(duration_s=200.0, length={"duration_s": 200.0, "ratio": 1.67}),
    "pace_fast": changed(wpm_speaking=196.0),
    "pace_slow": changed(wpm_speaking=80.0),
    "fillers": changed(fillers=[{"text": "um"}] * 14 + [{"text": "like"}] * 2,
                       fillers_per_100_words=7.3),
    "pauses": changed(long_pauses=[PAUSE] * 5, longest_pause_s=2.0),
    "hedges": changed(hedges=[HEDGE] * 8),
    "ownership": changed(ownership={"i": 1, "we": 8}),
}  # fmt: skip


def test_a_good_answer_gets_keep_it_up():
    assert measured_takeaway(GOOD) is KEEP
    assert goal_met(KEEP.carried(1), GOOD) is True


@pytest.mark.parametrize("key", CASES)
def test_each_check_fires_on_its_figures_and_its_goal_is_checkable(key):
    takeaway = takeaway_for(CASES[key], QUESTION)
    assert takeaway.key == key
    assert takeaway.headline and takeaway.why and takeaway.goal
    goal = takeaway.carried(7)
    # The same figures again do not meet the goal; the good answer (read by meaning) does.
    assert goal_met(goal, CASES[key]) is False
    assert goal_met(goal, changed(relevance={"on_topic": True, "similarity": 0.61})) is True
    assert goal["from_attempt_id"] == 7


@pytest.mark.parametrize(
    ("first", "second"),
    [("no_answer", "off_topic"), ("off_topic", "star_result"), ("star_result", "star_action"),
     ("star_action", "talking_point"), ("talking_point", "too_short"), ("too_long", "pace_fast"),
     ("pace_fast", "fillers"), ("fillers", "pauses"), ("pauses", "hedges"),
     ("hedges", "ownership")],
)  # fmt: skip
def test_the_checks_run_in_their_documented_order(first, second):
    both = copy.deepcopy(CASES[second])
    for key, value in CASES[first].items():
        if value != GOOD.get(key):
            both[key] = copy.deepcopy(value)
    assert takeaway_for(both, QUESTION).key == first


def test_a_two_second_i_dont_know_is_told_to_answer_not_to_breathe():
    metrics = compute(words_from("I don't know.", gap=0.0, length=0.3), 2.0, QUESTION)
    assert metrics["wpm_speaking"] > 165  # what the page used to judge as "breathe"
    assert not rates_judged(metrics)
    takeaway = takeaway_for(metrics, QUESTION)
    assert takeaway.key == "no_answer"
    assert "breathe" not in takeaway.why + takeaway.goal
    assert "where it happened, what you did and how it ended" in takeaway.goal
    assert "3 words in 0:02" in takeaway.why
    # The length notes of a 2-second and a 46-second answer differ.
    assert length_note(metrics).startswith("Very short: 0:02 and 3 words")
    assert length_note(CASES["too_short"]).startswith("Quite short")
    # Pace and filler goals are not met by an answer too short to measure them.
    assert goal_met({"key": "pace_fast", "target": {"max_wpm": 165}}, metrics) is False


def test_pace_and_fillers_are_judged_only_with_enough_speech():
    assert rates_judged(GOOD)
    assert not rates_judged(changed(words=25))
    assert not rates_judged(changed(speaking_s=12.0))
    assert takeaway_for(changed(words=25, wpm_speaking=200.0), QUESTION).key == "keep"
    # Fillers: from 5 per 100 words ("noticeable" on the page), not below.
    assert takeaway_for(changed(fillers_per_100_words=5.0), QUESTION).key == "fillers"
    assert takeaway_for(changed(fillers_per_100_words=4.9), QUESTION).key == "keep"
    assert takeaway_for(changed(words=25, fillers_per_100_words=20.0), QUESTION).key == "keep"


def test_relevance_counts_only_when_the_answer_was_read_by_meaning():
    # Main's keyword metrics have no relevance; the meaning branch's keyword fallback says
    # on_topic with no similarity: neither is an off-topic verdict.
    assert takeaway_for(GOOD, QUESTION).key == "keep"
    unread = changed(relevance={"on_topic": False, "similarity": None})
    assert takeaway_for(unread, QUESTION).key == "keep"
    assert goal_met({"key": "off_topic"}, GOOD) is None


def test_no_speech_and_dictations_have_no_takeaway():
    assert takeaway_for(None, QUESTION) is None
    assert takeaway_for(changed(words=0), QUESTION) is None
    dictation = SimpleNamespace(**{**vars(QUESTION), "key": "dictation-3"})
    assert takeaway_for(GOOD, dictation) is None


def person(user_id: int, name: str) -> SimpleNamespace:
    return SimpleNamespace(id=user_id, name=name)


def comment(author_id: int, suggestion: str, addressed: bool = False, minute: int = 0):
    return {"comment": SimpleNamespace(author_id=author_id, author=person(author_id, "Ana"),
                                       suggestion=suggestion, id=minute,
                                       addressed_at=datetime(2026, 1, 1) if addressed else None,
                                       created_at=datetime(2026, 1, 1, 0, minute))}  # fmt: skip


RUBRIC = SimpleNamespace(criteria=[
    {"key": "structure", "name": "Structure", "levels": ["1", "2", "3", "Easy to follow.", "5"]},
    {"key": "humour", "name": "Humour", "levels": ["1", "2", "3", "Makes them smile.", "5"]},
])  # fmt: skip


def rating(scores: dict, reviewer_id: int = 2) -> SimpleNamespace:
    return SimpleNamespace(reviewer_id=reviewer_id, reviewer=person(reviewer_id, "Ana"),
                           rubric=RUBRIC, scores=scores)  # fmt: skip


def test_a_coachs_suggestion_comes_first_and_is_checked_by_its_words():
    comments = [comment(2, "I cut the release time in half.", minute=1),
                comment(2, "Older idea.", minute=0), comment(1, "My own note.", minute=5),
                comment(2, "Already done.", addressed=True, minute=9)]  # fmt: skip
    takeaway = takeaway_for(CASES["pace_fast"], QUESTION, owner_id=1, comments=comments)
    assert takeaway.key == "coach_suggestion"
    assert takeaway.headline == "Try Ana's wording"
    assert "I cut the release time in half." in takeaway.why
    goal = takeaway.carried(1)
    said = words_from("So in the end I cut our release time in half for them.")
    assert goal_met(goal, GOOD, said) is True
    assert goal_met(goal, GOOD, words_from("We shipped it eventually.")) is False
    # The candidate's own comments and addressed suggestions are not a coach's word.
    assert takeaway_for(GOOD, QUESTION, owner_id=1, comments=comments[2:]).key == "keep"


def test_a_low_rubric_score_picks_the_measured_check_of_its_area():
    metrics = changed(star={"result": False}, wpm_speaking=196.0)
    takeaway = takeaway_for(metrics, QUESTION, owner_id=1, ratings=[rating({"structure": 2})])
    assert takeaway.key == "coach_rubric"
    assert takeaway.headline == "Work on structure: say what came of it"
    assert takeaway.why.startswith("Ana scored Structure 2 of 5")
    assert goal_met(takeaway.carried(1), metrics) is False
    assert goal_met(takeaway.carried(1), GOOD) is True
    # A criterion no figure speaks to: the rubric's bar, for the coach to judge.
    own = takeaway_for(GOOD, QUESTION, owner_id=1, ratings=[rating({"humour": 1, "structure": 4})])
    assert own.goal == "Aim for: “Makes them smile.”"
    assert goal_met(own.carried(1), GOOD) is None
    # Scores above 2, or the candidate rating themself, leave the measured checks in charge.
    assert takeaway_for(metrics, QUESTION, owner_id=1,
                        ratings=[rating({"structure": 3}), rating({"structure": 1}, 1)]
                        ).key == "star_result"  # fmt: skip


def test_a_goal_stored_under_other_rules_is_not_judged():
    assert goal_met({"key": "retired_rule", "target": {}}, GOOD) is None
    assert goal_met({"key": "too_long", "target": {}}, GOOD) is None
    assert goal_met(None, GOOD) is None
