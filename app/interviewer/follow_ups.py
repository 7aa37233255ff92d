"""Follow-ups with reasons: what the mock interviewer asks after an answer, and why.

Each rule is named by its trigger and tried in this order, the first open one asked:

1. ``relevance.off_topic``: the answer was read as being about something else; nothing
   else is worth asking until the candidate answers the question.
2. ``star.result``, then 3. ``star.action`` (stories only): the outcome is what interviewers
   remember and candidates leave out; the action is the candidate's own part, so a story
   told in "we" (the takeaway's ``ownership`` check) asks for it too.
4. ``talking_point``: a point of the question's checklist not heard yet.
5. ``length.short`` (under 20 words, or under half the suggested time), then
   6. ``length.long`` (over 1.4 times it): read from the question's own answer only, since
   a follow-up answer is short by nature.

Whether a rule fires on one answer is decided by ``app.reports.takeaway`` (the same check
that picks the answer's takeaway), so a rule lives in one place. A trigger stays open while
it fires on the question's answer and on every follow-up answer since: the candidate may
settle it in a later answer. An answer read as off topic neither shows nor settles a STAR
part or a talking point, so it is left out of those. At most ``MAX_FOLLOW_UPS`` are asked
per question, never the same trigger twice, and never after an answer with no words.
Deciding reads stored metrics only: no model is loaded, so it takes well under a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.questions.assignments import follow_ups_for
from app.questions.follow_ups import POINT, POINT_TRIGGER, check_follow_ups
from app.reports.speech import is_behavioural
from app.reports.takeaway import check_fires, clock, missed_points, on_topic

__all__ = [
    "MAX_FOLLOW_UPS",
    "RULES",
    "FollowUp",
    "check_follow_ups",
    "follow_up_for",
    "follow_ups_for",
    "possible_wordings",
]

MAX_FOLLOW_UPS = 2


@dataclass(frozen=True)
class FollowUp:
    """A follow-up to ask: the trigger that chose it, what is said, and why (for the debrief)."""

    trigger: str
    text: str
    why: str


@dataclass(frozen=True)
class Rule:
    """One trigger (a name of ``questions.follow_ups.TRIGGERS``): its general wording, its
    reason, and the takeaway checks behind it."""

    trigger: str
    wording: str
    why: str
    checks: tuple[str, ...]
    first_answer_only: bool = False

    def fires(self, metrics: dict, question) -> bool:
        """Whether any of this rule's checks fires on one answer."""
        return any(check_fires(key, metrics, question) for key in self.checks)


RULES: tuple[Rule, ...] = (
    Rule("relevance.off_topic",
         "Let's come back to the question I asked. How would you answer that one?",
         "Your answer read as being about something other than the question.",
         ("off_topic",)),
    Rule("star.result",
         "And what was the outcome? Can you put a number on it?",
         "No result was heard in your story, and the ending is what interviewers remember.",
         ("star_result",)),
    Rule("star.action",
         "What did you do yourself?",
         "No action of your own was heard: the interviewer wanted your part, not the team's.",
         ("star_action", "ownership")),
    Rule("talking_point",
         "Could you say a little about one more thing: {point}?",
         "The question's talking point “{point}” was not heard in your answer.",
         ("talking_point",)),
    Rule("length.short",
         "Could you tell me a bit more? Take me through an example.",
         "Your answer was {words} words in {ran}: too short to show what you did.",
         ("no_answer", "too_short"), first_answer_only=True),
    Rule("length.long",
         "If you had to give me the short version in two or three sentences, what would it be?",
         "Your answer ran {ran} against a suggested {target}: far longer than a listener follows.",
         ("too_long",), first_answer_only=True),
)  # fmt: skip


def _heard(metrics: dict | None) -> bool:
    return bool(metrics and metrics.get("words"))


def _open(rule: Rule, question, answers: list[dict]) -> dict | None:
    """What fills the rule's wording when it is still open after these answers, else None."""
    if rule.first_answer_only:
        judged = answers[:1]
    elif rule.trigger == "relevance.off_topic":
        judged = [a for a in answers if _heard(a)]
    else:
        judged = [a for a in answers if _heard(a) and on_topic(a) is not False]
    if not judged:
        return None
    if rule.trigger == POINT_TRIGGER:
        # The point asked about must be missing from every answer, not merely some point.
        still = [p for p in missed_points(judged[0]) if all(p in missed_points(a) for a in judged)]
        return {"point": still[0]} if still else None
    return {} if all(rule.fires(a, question) for a in judged) else None


def _wording(trigger: str, question, overrides: dict | None) -> str:
    for written in (overrides, getattr(question, "follow_ups", None)):
        text = (written or {}).get(trigger)
        if isinstance(text, str) and text.strip():
            return text.strip()
    return next(r.wording for r in RULES if r.trigger == trigger)


def follow_up_for(
    question, answers: list[dict | None], asked: list[str], overrides: dict | None = None
) -> FollowUp | None:
    """The next follow-up after ``answers`` (the metrics of the question's answer, then of
    each follow-up answer so far; None for one not measured), or None to move on;
    ``asked``: the triggers already asked after this question."""
    if not answers or len(asked) >= MAX_FOLLOW_UPS:
        return None
    if not _heard(answers[0]) or not _heard(answers[-1]):
        return None
    first = answers[0]
    for rule in RULES:
        if rule.trigger in asked:
            continue
        fields = _open(rule, question, answers)
        if fields is None:
            continue
        text = _wording(rule.trigger, question, overrides)
        point = fields.get("point", "")
        why = rule.why.format(
            point=point,
            words=first["words"],
            ran=clock(first.get("duration_s")),
            target=clock((first.get("length") or {}).get("target_s")),
        )
        # replace, not format: a stored wording is text, and only {point} is ever filled.
        return FollowUp(rule.trigger, text.replace(POINT, point), why)
    return None


def _point_names(question) -> list[str]:
    points = getattr(question, "talking_points", None) or []
    names = [p if isinstance(p, str) else (p or {}).get("point") for p in points]
    return [n for n in names if n]


def possible_wordings(question, overrides: dict | None = None) -> list[str]:
    """Every text the interviewer might say after this question, to synthesise ahead of time:
    one per rule that can fire on it, the talking-point one once per point."""
    texts = []
    behavioural = is_behavioural(question)
    for rule in RULES:
        if rule.trigger.startswith("star.") and not behavioural:
            continue
        wording = _wording(rule.trigger, question, overrides)
        if rule.trigger == POINT_TRIGGER:
            texts += [wording.replace(POINT, point) for point in _point_names(question)]
        else:
            texts.append(wording)
    return list(dict.fromkeys(texts))
