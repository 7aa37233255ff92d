"""One takeaway per answer: the single most useful thing to change next, and its goal.

``takeaway_for`` walks an ordered list of checks and returns the first that fires. Each
takeaway has a ``key``, a ``headline`` said to the candidate, one sentence of ``why`` with the
figure behind it, and a ``goal`` for the next try of the same question that ``goals.goal_met``
can check on that try's metrics. The order, and why:

1. **A coach's suggested wording** (a reviewer's comment with "Try: …", not yet marked
   addressed): a person listened and wrote the better sentence; nothing measured beats it.
2. **A coach's low rubric score** (2 of 5 or less, the lowest one): the coach judged the
   whole answer. Its goal is the measured check of that criterion's area when one fires
   (structure → the result, delivery → pace or fillers …), else the rubric's own bar.
3. **No answer yet** (under 20 words, such as "I don't know."): pace or fillers of three
   words mean nothing, and nor does the meaning of one sentence; the useful advice is a
   structure to start from.
4. **Off topic** (``relevance.on_topic`` is False, when the answer was read by meaning):
   polishing an answer to another question is wasted effort.
5. **No result**, then **no action** (behavioural questions, STAR): the result is what
   interviewers remember and what candidates most often leave out; the action is their part.
6. **A talking point missed**: the question's own checklist of what a good answer covers.
7. **Too short** (under half the suggested time), **too long** (over 1.4 times it).
8. **Pace** outside 100–165 words a minute, then **fillers** at 5 per 100 words or more: both
   only when the answer is long enough to measure them (``rates_judged``).
9. **Long pauses** (4 or more), **hedges** (3 or more, over 3 per 100 words), **"we" hiding
   "I"**: delivery details that matter once the content is there.
10. Nothing fired: **keep it**, with the goal that no check fires on the next try either.

Content comes before delivery because a fluent answer that says nothing still fails, and
one change at a time is what a candidate can carry into the next try.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.questions.debriefs import DICTATION_PREFIX
from app.reports.speech import (
    FILLERS_FLUENT,
    LONG_PAUSE_S,
    PACE_BAND,
    talking_points_covered,
    tokenise,
)

NEAR_EMPTY_WORDS = 20  # fewer words than this is not an answer yet
# Rates (pace, fillers per 100 words) need this much speech to mean anything: one filler in
# three words is "33 per 100", and three words in a second is "180 words a minute".
RATES_MIN_WORDS, RATES_MIN_SPEAKING_S = 30, 15.0
SHORT_RATIO, LONG_RATIO = 0.5, 1.4
LOW_RUBRIC_SCORE = 2
MANY_PAUSES, MANY_HEDGES, HEDGES_PER_100 = 4, 3, 3.0
GIVEN_ANSWER_WORDS, GIVEN_ANSWER_S = 40, 20  # the goal after an answer that was near-empty
# A rubric criterion's area, as the measured checks that speak to it (shipped rubric keys).
RUBRIC_AREAS = {
    "structure": ("star_result", "star_action", "too_long", "too_short"),
    "relevance": ("off_topic", "talking_point"),
    "evidence": ("star_result", "star_action", "ownership", "too_short"),
    "clarity": ("fillers", "hedges", "too_long"),
    "delivery": ("pace_fast", "pace_slow", "fillers", "pauses", "hedges"),
}


@dataclass(frozen=True)
class Takeaway:
    """The one thing to change next; ``target`` holds what ``goal_met`` checks."""

    key: str
    headline: str
    why: str
    goal: str
    target: dict = field(default_factory=dict)

    def record(self) -> dict:
        """As the API and the Markdown report give it."""
        return {"key": self.key, "headline": self.headline, "why": self.why, "goal": self.goal}

    def carried(self, from_attempt_id: int) -> dict:
        """As stored with the next try: the goal's words and what checks it, kept as they
        were, so the check on that try does not move when these rules change."""
        return {"key": self.key, "text": self.goal, "headline": self.headline,
                "target": self.target, "from_attempt_id": from_attempt_id}  # fmt: skip


def clock(seconds: float | None) -> str:
    """A duration as the player shows it: ``46`` → ``0:46``."""
    whole = int(max(seconds or 0, 0))
    return f"{whole // 60}:{whole % 60:02d}"


def rates_judged(metrics: dict) -> bool:
    """Whether the answer is long enough for pace and fillers per 100 words to mean anything."""
    return metrics["words"] >= RATES_MIN_WORDS and metrics["speaking_s"] >= RATES_MIN_SPEAKING_S


def length_note(metrics: dict) -> str:
    """The length of the answer in words, telling a 2-second answer from a 46-second one."""
    ratio = metrics["length"].get("ratio")
    if metrics["words"] < NEAR_EMPTY_WORDS:
        return (f"Very short: {clock(metrics['duration_s'])} and {metrics['words']} words is "
                "not an answer yet.")  # fmt: skip
    if ratio is None:
        return ""
    if ratio < SHORT_RATIO:
        return "Quite short: there may be room for an example or a result."
    if ratio > LONG_RATIO:
        return "Long: interviewers start to drift after two minutes."
    return "About right."


def on_topic(metrics: dict) -> bool | None:
    """True or False when the answer was read by meaning; None when it was not."""
    relevance = metrics.get("relevance") or {}
    if relevance.get("similarity") is None or "on_topic" not in relevance:
        return None
    return bool(relevance["on_topic"])


def said(words: list[dict], phrase: str) -> bool:
    """Whether at least half the content words of ``phrase`` were said."""
    return talking_points_covered(tokenise(words or []), [phrase])[0]["covered"]


# Measured checks in order: each returns a Takeaway or None from (metrics, question).
def _off_topic(m: dict, _q) -> Takeaway | None:
    if on_topic(m) is not False:
        return None
    return Takeaway("off_topic", "Answer the question that was asked",
                    "Your answer read as being about something else (closeness to the question "
                    f"{m['relevance']['similarity']:.2f}).",
                    "Answer this question directly in your first sentence.")  # fmt: skip


def _no_answer(m: dict, _q) -> Takeaway | None:
    if m["words"] >= NEAR_EMPTY_WORDS:
        return None
    start = ("say where it happened, what you did and how it ended — three sentences are "
             "enough to start" if m.get("behavioural") else
             "give your answer in one sentence, then one example and why it matters")  # fmt: skip
    return Takeaway(
        "no_answer", "Give an answer, even a rough one",
        f"You said {m['words']} word{'' if m['words'] == 1 else 's'} in "
        f"{clock(m['duration_s'])}: too little to say anything about pace or wording.",
        f"Talk for at least {clock(GIVEN_ANSWER_S)}: {start}.",
        {"min_words": GIVEN_ANSWER_WORDS, "min_s": GIVEN_ANSWER_S})  # fmt: skip


def _star(part: str, headline: str, why: str, goal: str) -> Callable:
    def check(m: dict, _q) -> Takeaway | None:
        star = m.get("star") or {}
        if not m.get("behavioural") or star.get(part, True) or on_topic(m) is False:
            return None
        return Takeaway(f"star_{part}", headline, why, goal, {"part": part})

    return check


def missed_points(metrics: dict) -> list[str]:
    """The question's talking points this answer did not cover, in the question's order."""
    return [p["point"] for p in metrics.get("talking_points") or [] if not p.get("covered")]


def _talking_point(m: dict, _q) -> Takeaway | None:
    points = m.get("talking_points") or []
    missed = missed_points(m)
    if not missed:
        return None
    return Takeaway("talking_point", f"Cover “{missed[0]}”",
                    f"{len(missed)} of the question's {len(points)} talking points "
                    f"{'was' if len(missed) == 1 else 'were'} not heard.",
                    f"Mention “{missed[0]}”.", {"point": missed[0]})  # fmt: skip


def _length(m: dict, _q) -> Takeaway | None:
    target = m["length"].get("target_s")
    ratio = m["length"].get("ratio")
    if not target or ratio is None:
        return None
    said = f"It ran {clock(m['duration_s'])} against a suggested {clock(target)}."
    if ratio < SHORT_RATIO:
        least = round(target * SHORT_RATIO)
        return Takeaway("too_short", "Say more: an example and what came of it", said,
                        f"Talk for at least {clock(least)}.", {"min_s": least})  # fmt: skip
    if ratio > LONG_RATIO:
        most = round(target * 1.2)
        return Takeaway("too_long", f"Trim it to about {clock(target)}", said,
                        f"Finish within {clock(most)}.", {"max_s": most})  # fmt: skip
    return None


def _pace(m: dict, _q) -> Takeaway | None:
    if not rates_judged(m):
        return None
    low, high = PACE_BAND
    wpm = m["wpm_speaking"]
    why = f"You spoke at {wpm:.0f} words a minute; {low}–{high} is easy to follow."
    if wpm > high:
        return Takeaway("pace_fast", "Slow down: breathe between points", why,
                        f"Keep under {high} words a minute.", {"max_wpm": high})  # fmt: skip
    if wpm < low:
        return Takeaway("pace_slow", "Pick up the pace a little", why,
                        f"Keep above {low} words a minute.", {"min_wpm": low})  # fmt: skip
    return None


def _fillers(m: dict, _q) -> Takeaway | None:
    if not rates_judged(m) or m["fillers_per_100_words"] < FILLERS_FLUENT:
        return None
    counts: dict[str, int] = {}
    for f in m["fillers"]:
        counts[f["text"]] = counts.get(f["text"], 0) + 1
    top = max(counts, key=counts.get)
    return Takeaway("fillers", f"Pause instead of saying “{top}”",
                    f"{len(m['fillers'])} fillers, {m['fillers_per_100_words']:g} per 100 words; "
                    f"under {FILLERS_FLUENT:g} reads as fluent.",
                    f"Under {FILLERS_FLUENT:g} fillers per 100 words.",
                    {"max_per_100": FILLERS_FLUENT})  # fmt: skip


def _pauses(m: dict, _q) -> Takeaway | None:
    if len(m["long_pauses"]) < MANY_PAUSES:
        return None
    return Takeaway("pauses", "Know your next point before you start",
                    f"{len(m['long_pauses'])} pauses over {LONG_PAUSE_S:g} s, the longest "
                    f"{m['longest_pause_s']:.1f} s.",
                    f"At most {MANY_PAUSES - 2} long pauses.", {"max": MANY_PAUSES - 2})  # fmt: skip


def _hedges(m: dict, _q) -> Takeaway | None:
    hedges = m["hedges"]
    if len(hedges) < MANY_HEDGES or len(hedges) / max(m["words"], 1) * 100 <= HEDGES_PER_100:
        return None
    said = ", ".join(dict.fromkeys(f"“{h['text']}”" for h in hedges))
    return Takeaway("hedges", "Say it without softening it",
                    f"{len(hedges)} hedges ({said}) make you sound unsure of your own story.",
                    f"At most {MANY_HEDGES - 1} hedges.", {"max": MANY_HEDGES - 1})  # fmt: skip


def _ownership(m: dict, _q) -> Takeaway | None:
    own = m.get("ownership") or {}
    if not m.get("behavioural") or own.get("we", 0) < 4 or own.get("i", 0) * 2 >= own["we"]:
        return None
    return Takeaway("ownership", "Say what you did: more “I”, less “we”",
                    f"You said “we” {own['we']} times and “I” {own['i']} times.",
                    "Say “I” at least as often as “we”.")  # fmt: skip


_star_result = _star("result", "Say what came of it",
                     "No result was heard: interviewers remember how the story ended.",
                     "Say the result, with a number if you can.")  # fmt: skip
_star_action = _star("action", "Say what you did yourself",
                     "No action of your own was heard: the interviewer wants your part.",
                     "Say what you did, in the first person (“I …”).")  # fmt: skip
MEASURED: tuple[Callable, ...] = (
    _no_answer,
    _off_topic,
    _star_result,
    _star_action,
    _talking_point,
    _length,
    _pace,
    _fillers,
    _pauses,
    _hedges,
    _ownership,
)  # fmt: skip
KEEP = Takeaway("keep", "Keep it up: nothing stands out to fix",
                "Every measured figure is in its range.",
                "Keep every figure in its range on the next try.")  # fmt: skip


# Each measured check by the key of the takeaway it gives; one check may give two keys.
CHECKS: dict[str, Callable] = {
    "no_answer": _no_answer, "off_topic": _off_topic, "star_result": _star_result,
    "star_action": _star_action, "talking_point": _talking_point, "too_short": _length,
    "too_long": _length, "pace_fast": _pace, "pace_slow": _pace, "fillers": _fillers,
    "pauses": _pauses, "hedges": _hedges, "ownership": _ownership,
}  # fmt: skip


def check_fires(key: str, metrics: dict, question=None) -> Takeaway | None:
    """The takeaway of the one measured check named ``key`` when it fires on these metrics,
    else None; other rules (the mock interviewer's follow-ups) ask the same questions."""
    if key not in CHECKS:
        raise ValueError(f"no measured check is named {key!r}; the checks: {', '.join(CHECKS)}")
    found = CHECKS[key](metrics, question)
    return found if found is not None and found.key == key else None


def measured_takeaway(metrics: dict, question=None) -> Takeaway:
    """The first measured check that fires, or ``KEEP``."""
    for check in MEASURED:
        found = check(metrics, question)
        if found:
            return found
    return KEEP


def _coach_suggestion(owner_id: int, comments) -> Takeaway | None:
    open_ones = [t["comment"] for t in comments
                 if t["comment"].author_id != owner_id and (t["comment"].suggestion or "").strip()
                 and t["comment"].addressed_at is None]  # fmt: skip
    if not open_ones:
        return None
    latest = max(open_ones, key=lambda c: (c.created_at, c.id))
    phrase = latest.suggestion.strip()
    return Takeaway("coach_suggestion", f"Try {latest.author.name}'s wording",
                    f"{latest.author.name} suggested: “{phrase}”",
                    f"Say it your way, close to “{phrase}”.", {"phrase": phrase})  # fmt: skip


def _coach_rubric(owner_id: int, ratings, metrics: dict, question) -> Takeaway | None:
    low = []
    for rating in ratings:
        if rating.reviewer_id == owner_id:
            continue
        for criterion in rating.rubric.criteria:
            score = rating.scores.get(criterion["key"])
            if isinstance(score, int) and score <= LOW_RUBRIC_SCORE:
                low.append((score, rating.reviewer.name, criterion))
    if not low:
        return None
    score, name, criterion = min(low, key=lambda item: item[0])
    why = f"{name} scored {criterion['name']} {score} of 5: “{criterion['levels'][score - 1]}”"
    for check in MEASURED:
        found = check(metrics, question)
        if found and found.key in RUBRIC_AREAS.get(criterion["key"], ()):
            return Takeaway("coach_rubric", f"Work on {criterion['name'].lower()}: "
                            f"{found.headline[0].lower()}{found.headline[1:]}", why, found.goal,
                            {"measure": found.key, **found.target})  # fmt: skip
    bar = criterion["levels"][min(3, len(criterion["levels"]) - 1)]
    return Takeaway("coach_rubric", f"Work on {criterion['name'].lower()}", why,
                    f"Aim for: “{bar}”", {"criterion": criterion["key"]})  # fmt: skip


def takeaway_for(metrics: dict | None, question=None, *, owner_id: int | None = None,
                 comments=(), ratings=()) -> Takeaway | None:  # fmt: skip
    """The answer's one takeaway: a coach's word first, then the measured checks in order.

    None while there are no metrics, when no speech was heard (the page says so, and
    nothing was said to improve on), and for a dictation of an interview's questions."""
    if not metrics or not metrics.get("words"):
        return None
    if (getattr(question, "key", None) or "").startswith(DICTATION_PREFIX):
        return None
    return (
        _coach_suggestion(owner_id, comments)
        or _coach_rubric(owner_id, ratings, metrics, question)
        or measured_takeaway(metrics, question)
    )
