"""Follow-up wordings as people write them: the trigger names, their checks and their syntax.

A question (in a bank, or written in Rebound) and a recruiter's assignment may each carry
``follow_ups``: a mapping from a trigger to what the mock interviewer says when that trigger
fires (``app.interviewer.follow_ups`` holds the rules). In a CSV cell or a form they are
written ``trigger: wording``, separated by ``|`` or by new lines::

    star.result: And how did the launch go in the end? | star.action: What was your own part?

This sits with the questions, below the interviewer, so that banks and forms can check a
mapping without reaching up to the rules that use it.
"""

from __future__ import annotations

import re

# The triggers in the order the interviewer tries them, with what each reacts to.
TRIGGERS = {
    "relevance.off_topic": "the answer was about something other than the question",
    "star.result": "a story with no result",
    "star.action": "a story with no action in the first person",
    "talking_point": "a talking point of the question not covered ({point} names it)",
    "length.short": "far too short: under 20 words or under half the suggested time",
    "length.long": "far too long: over 1.4 times the suggested time",
}
POINT = "{point}"
POINT_TRIGGER = "talking_point"
MAX_WORDING = 300  # said aloud after an answer: a sentence or two
MAX_WRITTEN = len(TRIGGERS) * (MAX_WORDING + 30)  # every trigger, worded at full length
SYNTAX = "star.result: And how did it end?"
# ``{name}`` or a lone brace: only ``{point}`` is ever filled in.
BRACES = re.compile(r"\{[^{}]*\}|[{}]")


def _shown(value, limit: int = 40) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_follow_ups(mapping) -> list[str]:
    """Everything wrong with a follow-ups mapping, each in plain words; empty when it is fine."""
    if not isinstance(mapping, dict):
        return [f"Follow-ups must map a trigger to its wording (such as “{SYNTAX}”), "
                f"not {type(mapping).__name__}."]  # fmt: skip
    errors = []
    for trigger, wording in mapping.items():
        if trigger not in TRIGGERS:
            errors.append(f"“{_shown(trigger)}” is not a follow-up trigger; use one of "
                          f"{', '.join(TRIGGERS)}.")  # fmt: skip
            continue
        if not isinstance(wording, str):
            errors.append(f"The follow-up for {trigger} must be text, not "
                          f"{type(wording).__name__}.")  # fmt: skip
            continue
        text = wording.strip()
        if not text:
            errors.append(f"The follow-up for {trigger} is empty; write what the interviewer "
                          "says, or leave the trigger out.")  # fmt: skip
        elif len(text) > MAX_WORDING:
            errors.append(f"The follow-up for {trigger} is {len(text)} characters; keep it "
                          f"under {MAX_WORDING}, since it is said aloud.")  # fmt: skip
        elif POINT in text and trigger != POINT_TRIGGER:
            errors.append(f"The follow-up for {trigger} uses {POINT}, which only "
                          f"{POINT_TRIGGER} fills in; write it without.")  # fmt: skip
        elif BRACES.search(text.replace(POINT, "")):
            found = BRACES.search(text.replace(POINT, "")).group()
            errors.append(f"The follow-up for {trigger} uses “{_shown(found)}”; the only "
                          f"placeholder is {POINT}, in {POINT_TRIGGER}. Remove the braces.")  # fmt: skip
    return errors


def clean_follow_ups(mapping: dict) -> dict:
    """A checked mapping as stored: wordings stripped, in the triggers' order."""
    return {t: mapping[t].strip() for t in TRIGGERS if t in mapping}


def parse_follow_ups(text: str) -> tuple[dict, list[str]]:
    """Read ``trigger: wording`` items (split by ``|`` or new lines) into a mapping, with
    the problems of the syntax and of the mapping (``check_follow_ups``)."""
    if len(text or "") > MAX_WRITTEN:
        return {}, [f"Follow-ups are {len(text)} characters; one wording per trigger fits in "
                    f"{MAX_WRITTEN}."]  # fmt: skip
    mapping: dict[str, str] = {}
    errors = []
    items = [item.strip() for line in (text or "").splitlines() for item in line.split("|")]
    for number, item in enumerate((i for i in items if i), start=1):
        trigger, colon, wording = item.partition(":")
        trigger = trigger.strip()
        if not colon or not trigger:
            errors.append(f"Follow-up {number} (“{_shown(item)}”) names no trigger; write it "
                          f"as “{SYNTAX}”.")  # fmt: skip
        elif trigger in mapping:
            errors.append(f"{_shown(trigger)} is given twice; keep one wording for it.")
        else:
            mapping[trigger] = wording.strip()
    return mapping, errors + check_follow_ups(mapping)


def written(mapping: dict | None) -> str:
    """A stored mapping as a form shows it again: one ``trigger: wording`` a line."""
    return "\n".join(f"{t}: {w}" for t, w in (mapping or {}).items())
