"""The follow-up rules: each trigger fires on an answer measured as the app measures it, in
order, at most two per question, closed when a follow-up answer settles it, worded from the
recruiter, then the bank, then the general wording; and deciding loads no model."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.interviewer import follow_ups
from app.interviewer.follow_ups import RULES, FollowUp, follow_up_for, possible_wordings
from app.questions.follow_ups import TRIGGERS
from app.reports.attempts import transcript_values
from tests.reports.test_metrics import words_from
from tests.reports.test_takeaway import changed
from tests.understanding.test_meaning import MANAGER, SALARY_ANSWER

# A question as the worker measures answers to it: the bank's text, with a talking point of
# our own (the bank's come with paraphrases that the stories below would touch).
COST = "the cost of the change"
QUESTION = SimpleNamespace(text=MANAGER, tags=["behavioural", "star"], answer_seconds=120,
                           talking_points=[COST], follow_ups={}, key="cf-manager")  # fmt: skip
WHY_HERE = SimpleNamespace(text="Why do you want to work here specifically?", tags=["motivation"],
                           answer_seconds=90, talking_points=[], follow_ups={}, key="mo-why")  # fmt: skip
# A story with a situation, a task and the candidate's action, and no ending; it leaves the
# talking point out.
NO_RESULT = (
    "Last year I was working in customer support for a phone company. My job was to set up the "
    "queue rules. I wrote my manager a short note with examples of reopened tickets and asked "
    "to talk it through."
)
ENDING = "In the end she dropped the target and reopened tickets fell by half."
# The same story told in "we": nobody in it did anything themselves.
TEAM = (
    "Last year our team disagreed with our manager about a new ticket target. We thought it "
    "would hurt quality. We met with her as a group and we showed her the numbers. In the end "
    "she dropped the target and reopened tickets fell by half."
)
ON_MY_OWN = "I wrote the summary of the numbers myself and I booked the meeting with her."
WHY_HERE_ANSWER = (
    "I want to work here because your products are used by people I know, and the team builds "
    "tools for nurses, which is the work I have done for the last five years. I like that you "
    "publish your research, and the role would let me keep learning."
)


def measured(text: str, question=QUESTION, seconds: float = 80.0) -> dict:
    """An answer's metrics as the worker stores them (read by meaning)."""
    return transcript_values(text, words_from(text), seconds, question)["metrics"]


def trigger(question, answers, asked=()) -> str | None:
    found = follow_up_for(question, answers, list(asked))
    return found.trigger if found else None


def test_the_rules_are_the_triggers_people_write_in_order():
    assert tuple(rule.trigger for rule in RULES) == tuple(TRIGGERS)


@pytest.mark.parametrize(
    ("text", "question", "seconds", "expected"),
    [
        (SALARY_ANSWER, QUESTION, 80.0, "relevance.off_topic"),
        (NO_RESULT, QUESTION, 80.0, "star.result"),
        (TEAM, QUESTION, 80.0, "star.action"),
        (NO_RESULT + " " + ENDING, QUESTION, 80.0, "talking_point"),
        (WHY_HERE_ANSWER, WHY_HERE, 30.0, "length.short"),
        ("I like the brand.", WHY_HERE, 60.0, "length.short"),
        (WHY_HERE_ANSWER, WHY_HERE, 200.0, "length.long"),
        (WHY_HERE_ANSWER, WHY_HERE, 70.0, None),
    ],
)
def test_each_trigger_fires_on_an_answer_measured_as_the_app_does(
    text, question, seconds, expected
):
    assert trigger(question, [measured(text, question, seconds)]) == expected


def test_a_follow_up_says_its_wording_and_why():
    found = follow_up_for(QUESTION, [measured(NO_RESULT + " " + ENDING)], [])
    assert found == FollowUp(
        "talking_point",
        f"Could you say a little about one more thing: {COST}?",
        f"The question's talking point “{COST}” was not heard in your answer.",
    )
    long = follow_up_for(WHY_HERE, [measured(WHY_HERE_ANSWER, WHY_HERE, 200.0)], [])
    assert (
        long.why
        == "Your answer ran 3:20 against a suggested 1:30: far longer than a listener follows."
    )


def test_triggers_come_in_priority_order(monkeypatch):
    monkeypatch.setattr(follow_ups, "MAX_FOLLOW_UPS", 10)
    missed = [{"point": "what you learned", "covered": False}]
    everything = changed(star={"result": False, "action": False}, talking_points=missed,
                         duration_s=40.0, length={"duration_s": 40.0, "ratio": 0.33})  # fmt: skip
    asked: list[str] = []
    while found := follow_up_for(QUESTION, [everything], asked):
        asked.append(found.trigger)
    assert asked == ["star.result", "star.action", "talking_point", "length.short"]
    away = changed(relevance={"on_topic": False, "similarity": 0.05}, talking_points=missed,
                   duration_s=200.0, length={"duration_s": 200.0, "ratio": 1.67})  # fmt: skip
    asked = []
    while found := follow_up_for(QUESTION, [away], asked):
        asked.append(found.trigger)
    # Off topic: the STAR parts and points of an answer to another question are not asked about.
    assert asked == ["relevance.off_topic", "length.long"]


def test_at_most_two_follow_ups_and_never_the_same_twice():
    everything = changed(star={"result": False, "action": False}, duration_s=40.0,
                         length={"duration_s": 40.0, "ratio": 0.33})  # fmt: skip
    assert trigger(QUESTION, [everything, everything], ["star.result"]) == "star.action"
    assert trigger(QUESTION, [everything] * 3, ["star.result", "star.action"]) is None
    assert trigger(QUESTION, [everything] * 2, ["star.action"]) == "star.result"


def test_a_follow_up_answer_that_settles_a_trigger_closes_it():
    first = measured(NO_RESULT)
    assert trigger(QUESTION, [first]) == "star.result"
    # The ending alone leaves the talking point open ...
    assert trigger(QUESTION, [first, measured(ENDING)], ["star.result"]) == "talking_point"
    # ... an ending that also says what the change cost closes it too.
    settled = measured("It cost us two weeks of overtime to change the rules. " + ENDING)
    assert trigger(QUESTION, [first, settled], ["star.result"]) is None


def test_a_story_in_we_is_asked_for_the_action_until_an_answer_says_it():
    first = measured(TEAM)
    assert trigger(QUESTION, [first]) == "star.action"
    assert trigger(QUESTION, [first, measured(ON_MY_OWN)], ["star.action"]) is None


def test_after_an_off_topic_answer_the_story_told_next_is_followed_up():
    first, back = measured(SALARY_ANSWER), measured(NO_RESULT)
    assert trigger(QUESTION, [first]) == "relevance.off_topic"
    assert trigger(QUESTION, [first, back], ["relevance.off_topic"]) == "star.result"


def test_length_is_judged_on_the_questions_own_answer_only():
    short = changed(duration_s=40.0, length={"duration_s": 40.0, "ratio": 0.33})
    fine = changed()
    assert trigger(QUESTION, [fine, short], ["star.result"]) is None
    assert trigger(QUESTION, [short, fine], ["star.result"]) == "length.short"


@pytest.mark.parametrize("last", [None, changed(words=0)])
def test_no_follow_up_after_an_answer_with_no_words(last):
    no_result = changed(star={"result": False})
    assert trigger(QUESTION, [changed(words=0)]) is None
    assert trigger(QUESTION, [no_result, last], ["star.action"]) is None
    assert trigger(QUESTION, []) is None
    # A follow-up answer in between with no words (or none measured) settles nothing.
    away = changed(relevance={"on_topic": False, "similarity": 0.05})
    assert trigger(QUESTION, [away, last, away], ["star.action"]) == "relevance.off_topic"


def test_the_recruiters_wording_wins_then_the_banks_then_the_general_one():
    no_result = [changed(star={"result": False})]
    question = SimpleNamespace(
        **{**vars(QUESTION), "follow_ups": {"star.result": "How did it end?"}}
    )
    assert follow_up_for(QUESTION, no_result, []).text.startswith("And what was the outcome?")
    assert follow_up_for(question, no_result, []).text == "How did it end?"
    mine = {"star.result": "Did your manager change the target?"}
    assert follow_up_for(question, no_result, [], mine).text == mine["star.result"]
    missed = [changed(talking_points=[{"point": "what you learned", "covered": False}])]
    said = follow_up_for(QUESTION, missed, [], {"talking_point": "And {point}, what was it?"})
    assert said.text == "And what you learned, what was it?"


def test_possible_wordings_cover_every_follow_up_that_can_be_said():
    story = possible_wordings(QUESTION)
    assert len(story) == 6
    assert f"Could you say a little about one more thing: {COST}?" in story
    two = SimpleNamespace(**{**vars(QUESTION), "talking_points": [COST, {"point": "who decided"}]})
    assert possible_wordings(two, {"talking_point": "And {point}?"})[3:5] == [
        f"And {COST}?",
        "And who decided?",
    ]
    assert "What did you do yourself?" in story
    # Not a story and no talking points: no STAR or talking-point follow-up can fire.
    plain = possible_wordings(WHY_HERE, {"length.long": "Shorter, please."})
    assert plain == [RULES[0].wording, RULES[4].wording, "Shorter, please."]
    for answers, asked in (([measured(NO_RESULT)], []), ([measured(TEAM)], [])):
        assert follow_up_for(QUESTION, answers, asked).text in story


def test_deciding_loads_no_model(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("a follow-up decision loaded the sentence model")

    monkeypatch.setattr("app.understanding.meaning.understand", refuse)
    monkeypatch.setattr("app.reports.speech.understand", refuse)
    assert trigger(QUESTION, [changed(star={"result": False})]) == "star.result"
