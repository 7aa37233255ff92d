"""Speech feedback computed from word timings, every number traceable to the words behind it.

All rules here are plain lists and small functions, so the UI can explain each count and a
test can pin each trap ("I'd like to" is not a filler; "you know what I did" is not either).
Words come as Whisper gives them: ``{"word": " like,", "start": 1.2, "end": 1.4}``.

Definitions (also shown in the UI's help text):
* words per minute over total time = words / recording length;
* words per minute over speaking time = words / (first word to last word, minus long pauses);
* a long pause is a gap of more than 1.5 s between two words.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from app.questions.paraphrases import paraphrases_of
from app.questions.rivals import shipped_rivals
from app.transcription.base import SOUND_FILLERS, unsure
from app.understanding.meaning import STAR_CUES, understand

# Answers keep the metrics measured when their transcript was saved. Bump this whenever a
# rule or list below changes what ``compute`` returns: every stored answer is then stale and
# measured again (``app.reports.stored``).
# 2: relevance, STAR and talking points by meaning; 3: retuned (blind set); 4: delivery;
# 5: pitch spread among the tracked values (stored tracked_values lack it until measured again);
# 6: talking points the banks say in other words are matched against those words;
# 7: relevance weighs the answer against every shipped question (and reads the question's tips)
# 8: speaking rate counts syllable nuclei by de Jong & Wempe's own thresholds (about a fifth more)
# 9: a talking point the bank says in other words is covered only by words at least as close
#    to it as to its siblings
# 10: words the decoder doubted are not fillers or hedges
# 11: every shipped talking point is said in other words (the banks' paraphrases are not in
#     the fingerprint below), and a question with paraphrases is off topic below -0.20
METRICS_VERSION = "11"

LONG_PAUSE_S = 1.5
PACE_BAND = (100, 165)  # Microsoft Speaker Coach's recommended range, words per minute
PACE_WINDOW_S = 15.0
FILLERS_FLUENT, FILLERS_HESITANT = 5.0, 8.0  # per 100 words

WORD_FILLERS = {"basically", "actually", "literally"}
HEDGE_PHRASES = [
    ("i", "think", "maybe"), ("i", "guess"), ("i", "suppose"), ("sort", "of"), ("kind", "of"),
    ("i", "think"), ("maybe",), ("probably",), ("perhaps",), ("just",),
]  # fmt: skip
# "like" after these is a verb or a comparison, not a filler ("I'd like", "looks like").
LIKE_NOT_AFTER = {
    "i'd", "you'd", "we'd", "they'd", "he'd", "she'd", "would", "wouldn't", "look", "looks",
    "looked", "looking", "seem", "seems", "seemed", "sound", "sounds", "sounded", "feel",
    "feels", "felt", "something", "anything", "nothing", "more", "less", "much", "things",
    "stuff", "people", "i", "you", "we", "they", "really", "don't", "didn't", "do", "did",
    "not", "to", "just", "exactly", "also", "what",
}  # fmt: skip
# "like" before these, with no comma, introduces an example: "like this", "like a pro".
LIKE_NOT_BEFORE = {
    "this", "that", "these", "those", "a", "an", "the", "it", "him", "her", "them", "me",
    "us", "my", "your", "our", "their", "his", "what", "how", "when", "where",
}  # fmt: skip
# "a kind of tool", "what sort of role": the noun use, not a hedge or filler.
KIND_OF_NOUN_AFTER = {"a", "an", "the", "what", "this", "that", "some", "any", "every", "one",
                      "same", "different", "which", "no", "right", "wrong"}  # fmt: skip

FIRST_PERSON = {"i", "i'm", "i've", "i'd", "i'll", "me", "my", "mine", "myself"}
TEAM_PERSON = {"we", "we're", "we've", "we'd", "we'll", "us", "our", "ours", "ourselves"}

STAR_HINTS = {
    "situation": "No situation: start with where and when it happened, in a sentence or two.",
    "task": "No task: say what you were responsible for, or what had to be achieved.",
    "action": "No action: say what you did yourself, in the first person (“I …”).",
    "result": "No result: say what happened in the end, with a number if you can.",
}
OFF_TOPIC = (
    "This answer does not seem to address the question, so no STAR part is counted. "
    "Listen to the question again and answer it directly; the figures below "
    "describe only how it was spoken."
)
STOPWORDS = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "their",
        "they",
        "them",
        "you",
        "your",
        "we",
        "our",
        "i",
        "my",
        "me",
        "he",
        "she",
        "his",
        "her",
        "not",
        "no",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "what",
        "which",
        "who",
        "whom",
        "how",
        "why",
        "when",
        "where",
        "than",
        "then",
        "so",
        "into",
        "about",
        "over",
        "under",
        "up",
        "out",
        "own",
        "one",
    ]
)


def normalise(token: str) -> str:
    """Lower-case a word and strip surrounding punctuation (apostrophes inside are kept)."""
    return re.sub(r"^[^\w']+|[^\w']+$", "", token.strip().lower().replace("’", "'"))


@dataclass(frozen=True)
class Token:
    """A word of the transcript with what the rules need to know about it."""

    index: int
    text: str  # normalised
    raw: str
    start: float
    end: float
    comma_before: bool
    comma_after: bool
    # The decoder doubted this word (``app.transcription.base.unsure``): shown as possibly
    # misheard, and never evidence of a filler or a hedge.
    unsure: bool = False


def tokenise(words: list[dict]) -> list[Token]:
    """Turn Whisper words into tokens, remembering commas and sentence ends around them."""
    tokens = []
    for index, w in enumerate(words):
        raw = w["word"]
        previous = words[index - 1]["word"].rstrip() if index else ""
        tokens.append(
            Token(
                index=index,
                text=normalise(raw),
                raw=raw,
                start=float(w["start"]),
                end=float(w["end"]),
                comma_before=index == 0 or previous.endswith((",", ".", "?", "!", "…", ";", "-")),
                comma_after=raw.rstrip().endswith((",", ".", "?", "!", "…", ";", "-")),
                unsure=unsure(w),
            )
        )
    return [t for t in tokens if t.text]


def _surely_heard(tokens: list[Token], spans: list[dict]) -> list[dict]:
    doubtful = {t.index for t in tokens if t.unsure}
    return [span for span in spans if not doubtful.intersection(span["indexes"])]


def _span(tokens: list[Token], i: int, n: int, label: str | None = None) -> dict:
    part = tokens[i : i + n]
    return {
        "text": label or " ".join(t.text for t in part),
        "start": part[0].start,
        "end": part[-1].end,
        "index": part[0].index,
        "indexes": [t.index for t in part],
    }


def _matches(tokens: list[Token], i: int, phrase: tuple[str, ...]) -> bool:
    # The first word decides almost every time: compare it before building anything.
    if i + len(phrase) > len(tokens) or tokens[i].text != phrase[0]:
        return False
    return all(tokens[i + k].text == word for k, word in enumerate(phrase[1:], start=1))


def find_fillers(tokens: list[Token]) -> list[dict]:
    """Filler words and phrases, each once, in order; see the module rules for "like"."""
    found, i = [], 0
    while i < len(tokens):
        t = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        prev = tokens[i - 1] if i else None
        if t.text in SOUND_FILLERS or t.text in WORD_FILLERS:
            found.append(_span(tokens, i, 1))
        elif _matches(tokens, i, ("you", "know")) and (
            tokens[i + 1].comma_after or i + 2 == len(tokens)
        ):
            # "you know, we…" is a filler; "you know what I did" is a real question.
            found.append(_span(tokens, i, 2))
            i += 2
            continue
        elif (
            _matches(tokens, i, ("i", "mean"))
            and tokens[i + 1].comma_after
            or (_matches(tokens, i, ("kind", "of")) or _matches(tokens, i, ("sort", "of")))
            and not (prev and prev.text in KIND_OF_NOUN_AFTER)
        ):
            found.append(_span(tokens, i, 2))
            i += 2
            continue
        elif t.text == "like" and is_filler_like(prev, t, nxt):
            found.append(_span(tokens, i, 1))
        i += 1
    return _surely_heard(tokens, found)


def is_filler_like(prev: Token | None, like: Token, nxt: Token | None) -> bool:
    """Whether this "like" is a filler: set off by commas, or not after a verb-like word."""
    if prev is not None and prev.text in LIKE_NOT_AFTER and not like.comma_before:
        return False
    if like.comma_before or like.comma_after:
        return True
    if nxt is None:
        return False
    return nxt.text not in LIKE_NOT_BEFORE and prev is not None and prev.text not in LIKE_NOT_AFTER


def find_hedges(tokens: list[Token]) -> list[dict]:
    """Hedging phrases ("I guess", "probably", "just"), longest match first; shown, not scored."""
    found, i = [], 0
    while i < len(tokens):
        for phrase in HEDGE_PHRASES:
            if _matches(tokens, i, phrase):
                prev = tokens[i - 1] if i else None
                if (
                    phrase in (("sort", "of"), ("kind", "of"))
                    and prev
                    and prev.text in KIND_OF_NOUN_AFTER
                ):
                    continue
                found.append(_span(tokens, i, len(phrase)))
                i += len(phrase) - 1
                break
        i += 1
    return _surely_heard(tokens, found)


def find_long_pauses(tokens: list[Token], threshold: float = LONG_PAUSE_S) -> list[dict]:
    """Gaps longer than ``threshold`` seconds between consecutive words."""
    pauses = []
    for before, after in zip(tokens, tokens[1:], strict=False):
        gap = after.start - before.end
        if gap > threshold:
            pauses.append({"start": before.end, "end": after.start, "duration_s": round(gap, 2),
                           "after_index": before.index})  # fmt: skip
    return pauses


def pace_series(tokens: list[Token], window: float = PACE_WINDOW_S) -> list[dict]:
    """Words per minute in consecutive windows from the first word, so a rush shows."""
    if not tokens:
        return []
    origin, last = tokens[0].start, tokens[-1].end
    series, start = [], origin
    while start < last:
        end = min(start + window, last)
        count = sum(1 for t in tokens if start <= t.start < end)
        length = end - start
        if length >= 3:  # a final sliver of a window says nothing about pace
            series.append({"start": round(start, 2), "end": round(end, 2),
                           "wpm": round(count / length * 60, 1)})  # fmt: skip
        start = end
    return series


def find_star(tokens: list[Token]) -> dict[str, list[dict]]:
    """Situation, Task, Action and Result cues with the words that showed each."""
    evidence: dict[str, list[dict]] = {part: [] for part in STAR_CUES}
    # Each cue is tried only where its first word was said (a long answer has thousands of
    # places and the cue lists a hundred phrases).
    texts = [t.text for t in tokens]
    starts: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        starts.setdefault(text, []).append(i)
    for part, cues in STAR_CUES.items():
        for cue in cues:
            phrase = cue.split()
            for i in starts.get(phrase[0], ()):
                if texts[i : i + len(phrase)] == phrase:
                    evidence[part].append(_span(tokens, i, len(phrase)))
        evidence[part].sort(key=lambda s: s["start"])
    # Past-tense "I <verb>ed" counts as action too: it says what the speaker did.
    already = {e["index"] for e in evidence["action"]}
    for i, t in enumerate(tokens[:-1]):
        verb = tokens[i + 1].text
        if t.text == "i" and verb.endswith("ed") and len(verb) > 3 and t.index not in already:
            evidence["action"].append(_span(tokens, i, 2))
    evidence["action"].sort(key=lambda s: s["start"])
    return evidence


def stem(word: str) -> str:
    """A crude English stem, enough to match "delivered" with "delivery"."""
    for suffix in ("ations", "ation", "ings", "ing", "ied", "ies", "ed", "es", "ly", "s", "y", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def talking_points_covered(tokens: list[Token], points: list[str]) -> list[dict]:
    """For each key point, whether at least half of its content words were said."""
    said = {stem(t.text) for t in tokens}
    results = []
    for point in points:
        content = [normalise(w) for w in point.split()]
        content = [w for w in content if w and w not in STOPWORDS]
        matched = [w for w in content if stem(w) in said]
        needed = max(1, (len(content) + 1) // 2)
        results.append({"point": point, "covered": len(matched) >= needed, "matched": matched})
    return results


def is_behavioural(question) -> bool:
    """Questions that want a story: tagged behavioural/star, or phrased "tell me about a time"."""
    if question is None:
        return True
    tags = {t.lower() for t in (question.tags or [])}
    text = question.text.lower()
    return bool(tags & {"behavioural", "behavioral", "star"}) or any(
        p in text
        for p in (
            "tell me about a time",
            "describe a time",
            "give me an example",
            "give an example",
            "walk me through a time",
        )  # fmt: skip
    )


def filler_level(per_100_words: float) -> str:
    """``fluent`` under 5 per 100 words, ``hesitant`` above 8, ``noticeable`` between."""
    if per_100_words > FILLERS_HESITANT:
        return "hesitant"
    return "noticeable" if per_100_words >= FILLERS_FLUENT else "fluent"


def metrics_fingerprint(question) -> str:
    """What an answer's metrics depend on besides its words: the rules' version and the
    question fields ``compute`` reads (text and tags decide "behavioural", the suggested time,
    the talking points, the tips that tell its topic). Stored with the metrics; a different
    one means measure again."""
    if question is None:
        return f"{METRICS_VERSION}:none"
    read = [question.text, list(question.tags or []), question.answer_seconds,
            list(question.talking_points or []), list(getattr(question, "tips", None) or [])]  # fmt: skip
    digest = hashlib.sha256(json.dumps(read, ensure_ascii=False).encode()).hexdigest()
    return f"{METRICS_VERSION}:{digest[:16]}"


def compute(words: list[dict], duration_s: float, question=None, by_meaning: bool = True) -> dict:
    """Every metric of one answer, as a JSON-ready dict (see the module docstring).

    ``by_meaning`` runs the sentence model (``app.understanding``) for relevance, STAR and
    talking points; the worker and the CLI do, loading the model once per process. Without
    it (a page measuring a stale answer) those come from the keyword rules, the answer is
    taken as on topic, and ``star_spans`` is empty until the worker stores the real ones.
    """
    tokens = tokenise(words)
    count = len(tokens)
    pauses = find_long_pauses(tokens)
    if tokens:
        span = max(tokens[-1].end - tokens[0].start, 0.0)
        speaking = max(span - sum(p["duration_s"] for p in pauses), 0.0)
    else:
        span = speaking = 0.0
    fillers = find_fillers(tokens)
    behavioural = is_behavioural(question)
    target = question.answer_seconds if question is not None else None
    first = sum(1 for t in tokens if t.text in FIRST_PERSON)
    team = sum(1 for t in tokens if t.text in TEAM_PERSON)

    def per_minute(n: float, seconds: float) -> float:
        return round(n / seconds * 60, 1) if seconds > 0 else 0.0

    return {
        "words": count,
        "duration_s": round(duration_s, 2),
        "speaking_s": round(speaking, 2),
        "wpm_total": per_minute(count, duration_s),
        "wpm_speaking": per_minute(count, speaking),
        "pace_band": list(PACE_BAND),
        "pace_series": pace_series(tokens),
        "fillers": fillers,
        "fillers_per_100_words": round(len(fillers) / count * 100, 1) if count else 0.0,
        "fillers_per_minute": per_minute(len(fillers), speaking),
        "fillers_level": filler_level(len(fillers) / count * 100 if count else 0.0),
        "long_pauses": pauses,
        "longest_pause_s": max((p["duration_s"] for p in pauses), default=0.0),
        "hedges": find_hedges(tokens),
        "length": {
            "duration_s": round(duration_s, 2),
            "target_s": target,
            "ratio": round(duration_s / target, 2) if target else None,
        },
        "ownership": {
            "i": first,
            "we": team,
            "i_share": round(first / (first + team), 2) if first + team else None,
        },
        "behavioural": behavioural,
        **_content(tokens, question, fillers, by_meaning, behavioural),
        # How it sounded, measured from the audio (app.delivery) by whoever has it: the
        # worker and the CLI. Words alone cannot say, so it stays None here.
        "delivery": None,
    }


def _content(
    tokens: list[Token], question, fillers: list[dict], by_meaning: bool, behavioural: bool
) -> dict:
    """Relevance, STAR and talking points: by meaning, or by keywords (see ``compute``)."""
    evidence = find_star(tokens)
    points = list(getattr(question, "talking_points", None) or [])
    if by_meaning and tokens:
        words = [{"word": t.raw, "start": t.start, "end": t.end, "index": t.index} for t in tokens]
        skip = {i for f in fillers for i in f["indexes"]}
        signals = understand(words, getattr(question, "text", None), points,
                             {n for n, t in enumerate(tokens) if t.index in skip},
                             paraphrases=paraphrases_of(points, getattr(question, "text", None)),
                             tips=list(getattr(question, "tips", None) or ()),
                             rivals=shipped_rivals())  # fmt: skip
        # ``understand`` counts positions in the list it was given: back to transcript indexes.
        for item in signals["star_spans"] + signals["talking_points"]:
            if "indexes" in item:
                item["indexes"] = [tokens[n].index for n in item["indexes"]]
                item["index"] = item["indexes"][0]
        relevance, star, spans = signals["relevance"], signals["star"], signals["star_spans"]
        talking_points, read_by = signals["talking_points"], "meaning"
    else:
        read_by = "keywords"
        relevance = {"on_topic": True, "similarity": None}
        star, spans = {part: bool(found) for part, found in evidence.items()}, []
        talking_points = talking_points_covered(tokens, points)
    on_topic = relevance["on_topic"]
    return {
        "read_by": read_by,
        "relevance": relevance,
        "off_topic_note": None if on_topic else OFF_TOPIC,
        "star": star,
        "star_spans": spans,
        "star_evidence": evidence,
        "star_missing": [STAR_HINTS[p] for p, found in star.items() if not found]
        if behavioural and on_topic
        else [],
        "talking_points": talking_points,
    }
