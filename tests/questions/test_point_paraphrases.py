"""A bank's talking point may be a mapping that says it in other words; only the point is
stored, so every reader of ``Question.talking_points`` still gets strings."""

from __future__ import annotations

import pytest

from app.questions.banks import BankError, parse_bank

BANK = """
questions:
  - id: q-one
    text: "Tell me about a time you missed a deadline."
    category: Failure
    difficulty: 2
    testing: "Honesty."
    tips: ["Say when you saw it.", "Say who you told."]
    answer_seconds: 90
    tags: [behavioural]
    talking_points:
      - "when they spotted the risk"
      - point: "who they told and how"
        also: ["I told my manager straight away."]
"""


def test_a_point_with_paraphrases_is_stored_as_its_text():
    (spec,) = parse_bank(BANK, "bank.yaml")
    assert spec.talking_points == ["when they spotted the risk", "who they told and how"]


@pytest.mark.parametrize(
    ("point", "problem"),
    [
        ('{point: "told", said: ["x"]}', "field 'said': a talking point takes only"),
        ('{point: "told", also: [[1]]}', "field 'also': must be text"),
        ('{also: ["I told them."]}', "field 'point': is missing or empty"),
    ],
)
def test_a_malformed_point_names_what_is_wrong(point, problem):
    bank = BANK.replace('- "when they spotted the risk"', f"- {point}")
    with pytest.raises(BankError, match=problem):
        parse_bank(bank, "bank.yaml")
