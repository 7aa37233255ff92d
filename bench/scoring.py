"""Scoring a transcript against what was said: word alignment, invented and dropped speech,
fillers and pace. Used by bench/accuracy.py; nothing here runs a model.

Both texts are normalised the same way first (``tokens``): lower case, no punctuation, numbers
as words ("$40,000" and "forty thousand dollars" agree), so only what was heard is compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.reports.speech import SOUND_FILLERS

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]  # fmt: skip
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# How a heard word aligned with what was said (bench/accuracy.py tabulates their probabilities).
DOUBT_KINDS = ("correct", "substituted", "invented", "correct filler")
SPELLING = {"mr": "mister", "mrs": "missus", "ok": "okay", "%": "percent", "hm": "hmm"}


def number_words(n: int) -> list[str]:
    """English words for a whole number below a billion."""
    if n < 20:
        return [ONES[n]]
    if n < 100:
        return [TENS[n // 10]] + ([ONES[n % 10]] if n % 10 else [])
    for size, name in ((1_000_000, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            rest = number_words(n % size) if n % size else []
            return number_words(n // size) + [name] + rest
    raise ValueError(n)


def spoken_number(token: str) -> list[str]:
    """ "2019" -> twenty nineteen (a year), "4.2" -> four point two, "85,000" -> words."""
    whole, _, fraction = token.replace(",", "").partition(".")
    n = int(whole)
    if 1900 <= n <= 2099 and len(whole) == 4 and not fraction and n % 100 and not 2000 <= n < 2010:
        words = number_words(n // 100) + number_words(n % 100)
    else:
        words = number_words(n)
    return words + (["point", *(ONES[int(d)] for d in fraction)] if fraction else [])


ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth",
           "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}  # fmt: skip


def ordinal_words(n: int) -> list[str]:
    """ "1st" → first, "21st" → twenty first, "40th" → fortieth."""
    words = number_words(n)
    last = words[-1]
    if last in ORDINAL:
        last = ORDINAL[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return words[:-1] + [last]


def tokens(text: str) -> list[str]:
    """Normalised words of ``text``."""
    text = text.lower().replace("-", " ").replace("%", " percent")
    out: list[str] = []
    for raw in re.findall(r"\d+(?:st|nd|rd|th)\b|\$?\d[\d,]*(?:\.\d+)?|[a-z']+", text):
        if raw[0].isdigit() and raw[-2:] in ("st", "nd", "rd", "th"):
            out += ordinal_words(int(raw[:-2]))
            continue
        if raw[0] == "$" or raw[0].isdigit():
            out += spoken_number(raw.lstrip("$")) + (["dollars"] if raw[0] == "$" else [])
            continue
        word = SPELLING.get(raw.strip("'"), raw.strip("'"))
        if word:
            out.append(word)
    return _once_dollars(out)


def _once_dollars(words: list[str]) -> list[str]:
    # "$40,000" is said "forty thousand dollars": keep "dollars" once where both were written.
    return [
        w for i, w in enumerate(words) if not (w == "dollars" and i and words[i - 1] == "dollars")
    ]


def heard_tokens(
    words: list[tuple[str, float, bool]],
) -> tuple[list[str], list[float], list[bool]]:
    """Normalised words of a transcript given as ``(word, probability, marked unsure)``, each
    with the probability and mark of the word it came from (the same tokens as ``tokens``)."""
    # Whisper splits some spoken words in pieces with no space between ("$40" ",000", " 18"
    # "%", " Re" "-finding"): read each run of pieces as one word, as unsure as its least sure.
    runs: list[tuple[str, float, bool]] = []
    for word, probability, mark in words:
        if runs and not word[:1].isspace():
            text, sure, marked = runs[-1]
            runs[-1] = (text + word, min(sure, probability), marked or mark)
        else:
            runs.append((word, probability, mark))
    out: list[tuple[str, float, bool]] = []
    for word, probability, mark in runs:
        out += [(t, probability, mark) for t in tokens(word)]
    kept = [item for i, item in enumerate(out)
            if not (item[0] == "dollars" and i and out[i - 1][0] == "dollars")]  # fmt: skip
    return [t for t, _, _ in kept], [p for _, p, _ in kept], [m for _, _, m in kept]


def joined(
    hyp: list[str],
    known: set[str],
    probabilities: list[float] | None = None,
    marks: list[bool] | None = None,
) -> tuple[list[str], list[float], list[bool]]:
    """Spelling, not hearing: "run books" is "runbooks" where the reference writes it so.
    A joined word keeps the lower of its parts' probabilities, and is unsure if one was."""
    out: list[str] = []
    sure: list[float] = []
    marked: list[bool] = []
    for word, probability, mark in zip(
        hyp, probabilities or [1.0] * len(hyp), marks or [False] * len(hyp), strict=True
    ):
        if out and word not in known and out[-1] + word in known:
            out[-1] += word
            sure[-1] = min(sure[-1], probability)
            marked[-1] = marked[-1] or mark
        else:
            out.append(word)
            sure.append(probability)
            marked.append(mark)
    return out, sure, marked


def align(ref: list[str], hyp: list[str]) -> list[tuple[str, int | None, int | None]]:
    """Minimum-edit alignment: (op, ref index, hyp index), op one of = ~ + - (match,
    substitution, inserted in hyp, deleted from ref)."""

    rows, cols = len(ref) + 1, len(hyp) + 1
    cost = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        cost[i][0] = i
    for j in range(cols):
        cost[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1,
                             cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]))  # fmt: skip
    ops = []
    i, j = len(ref), len(hyp)
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            ops.append(("=" if ref[i - 1] == hyp[j - 1] else "~", i - 1, j - 1))
            i, j = i - 1, j - 1
        elif j and cost[i][j] == cost[i][j - 1] + 1:
            ops.append(("+", None, j - 1))
            j -= 1
        else:
            ops.append(("-", i - 1, None))
            i -= 1
    return ops[::-1]


@dataclass
class Score:
    """Counts for one or many transcripts; add them up with ``+=``."""

    ref_words: int = 0
    errors: int = 0
    invented: int = 0
    sentences: int = 0
    dropped_sentences: int = 0
    ref_fillers: int = 0
    found_fillers: int = 0
    hyp_fillers: int = 0
    # Pace error (words counted over the same time) of each answer whose pace the app shows
    # (``paced``: long enough, app.reports.takeaway.rates_judged), and of every answer.
    pace_errors: list[float] = field(default_factory=list)
    count_errors: list[float] = field(default_factory=list)
    # Invented words the transcript shows as certain (not marked unsure, as the app decides:
    # app.transcription.base.unsure); the decoder's probability of every heard word, by how
    # it aligned.
    invented_certain: int = 0
    heard: dict[str, list[float]] = field(
        default_factory=lambda: {kind: [] for kind in DOUBT_KINDS}
    )
    invented_examples: list[str] = field(default_factory=list)
    dropped_examples: list[str] = field(default_factory=list)

    def __iadd__(self, other: Score) -> Score:
        for name, value in vars(other).items():
            if name == "heard":
                for kind, found in value.items():
                    self.heard[kind] += found
            else:
                setattr(self, name, getattr(self, name) + value)
        return self

    @property
    def wer(self) -> float:
        return self.errors / max(1, self.ref_words)

    @property
    def filler_recall(self) -> float:
        return self.found_fillers / self.ref_fillers if self.ref_fillers else 1.0

    @property
    def filler_precision(self) -> float:
        return self.found_fillers / self.hyp_fillers if self.hyp_fillers else 1.0

    @property
    def worst_pace_error(self) -> float:
        return max(self.pace_errors, default=0.0)

    @property
    def worst_count_error(self) -> float:
        return max(self.count_errors, default=0.0)


def score(
    reference: str,
    heard: str | list[tuple[str, float, bool]],
    name: str = "",
    paced: bool = True,
) -> Score:
    """Compare what was said (``reference``) with what the transcript says (``heard``: its
    text, or its ``(word, probability, marked unsure)`` triples). ``paced``: the app shows
    this transcript's pace (only then does its pace error count as one)."""
    sentences = [s for s in re.split(r"(?<=[.?!])\s+", reference.strip()) if tokens(s)]
    ref, sentence_of = [], []
    for number, sentence in enumerate(sentences):
        words = tokens(sentence)
        ref += words
        sentence_of += [number] * len(words)
    raw, probabilities, marks = (
        (tokens(heard), None, None) if isinstance(heard, str) else heard_tokens(heard)
    )
    hyp, sure, marked = joined(raw, set(ref), probabilities, marks)
    result = Score(ref_words=len(ref), sentences=len(sentences))
    ops = align(ref, hyp)
    result.errors = sum(op != "=" for op, _, _ in ops)
    missed = [0] * len(sentences)
    for op, i, _ in ops:
        if op in "-~":
            missed[sentence_of[i]] += 1
    for number, sentence in enumerate(sentences):
        if missed[number] * 2 > len(tokens(sentence)):
            result.dropped_sentences += 1
            result.dropped_examples.append(f"{name}: {sentence}")
    # Invented: words the speaker never said. Inserted words, and the words standing in for a
    # sentence that was not heard ("Thanks for watching." in place of the last sentence).
    lost = {n for n in range(len(sentences)) if missed[n] * 2 > len(tokens(sentences[n]))}
    invented = [j for op, i, j in ops if op == "+" or (op == "~" and sentence_of[i] in lost)]
    inserted = [hyp[j] for j in invented]
    result.invented = len(inserted)
    result.invented_certain = sum(not marked[j] for j in invented)
    for op, i, j in ops:
        if j is None:
            continue
        kind = "invented" if j in invented else "substituted" if op == "~" else "correct"
        result.heard[kind].append(sure[j])
        if op == "=" and ref[i] in SOUND_FILLERS:
            result.heard["correct filler"].append(sure[j])
    if inserted:
        result.invented_examples.append(f"{name}: +{' '.join(inserted)}")
    for _op, i, j in ops:
        said_filler = i is not None and ref[i] in SOUND_FILLERS
        heard_filler = j is not None and hyp[j] in SOUND_FILLERS
        result.ref_fillers += said_filler
        result.hyp_fillers += heard_filler
        result.found_fillers += said_filler and heard_filler
    said = sum(w not in SOUND_FILLERS for w in ref)
    counted = sum(w not in SOUND_FILLERS for w in hyp)
    result.count_errors = [abs(counted - said) / max(1, said)]
    result.pace_errors = result.count_errors if paced else []
    return result
