"""Talking points said in other words, as the shipped banks write them.

A bank may give a talking point as ``{point: ..., also: [...]}``: the point as the question
page shows it, and a few sentences a candidate might say when they cover it. Only the point
is stored with the question (``Question.talking_points`` stays a list of strings, so no
reader and no migration changes); the paraphrases are read here, from the shipped banks,
by the point's text, when an answer is read by meaning.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from app.questions.banks import bank_files, parse_yaml

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def shipped_folder() -> Path:
    """The folder of the banks that ship with Rebound."""
    # Inside the package when installed from the wheel, beside it in a source checkout.
    inside = PACKAGE_DIR / "question_banks"
    return inside if inside.is_dir() else PACKAGE_DIR.parent / "question_banks"


@cache
def _by_question() -> dict[tuple[str, str], tuple[str, ...]]:
    """(question text, point) to the point's paraphrases, for every shipped point that has some."""
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for path in bank_files(shipped_folder()):
        if path.suffix.lower() == ".csv":
            continue
        for question in parse_yaml(path.read_text(encoding="utf-8"), path.name):
            for item in question.get("talking_points") or []:
                if isinstance(item, dict) and item.get("also"):
                    key = (str(question["text"]).strip(), str(item["point"]).strip())
                    found[key] = tuple(str(a) for a in item["also"])
    return found


@cache
def shipped_paraphrases() -> dict[str, tuple[str, ...]]:
    """Each shipped talking point that has paraphrases, mapped to them (read once). A point
    two questions share ("honest about the outcome") gets both questions' sentences."""
    found: dict[str, tuple[str, ...]] = {}
    for (_, point), said in _by_question().items():
        found[point] = tuple(dict.fromkeys(found.get(point, ()) + said))
    return found


def paraphrases_of(
    points: list[str], question_text: str | None = None
) -> dict[str, tuple[str, ...]]:
    """The paraphrases the shipped banks give for ``points`` (points without any left out):
    those written for this question when ``question_text`` is a shipped question's, else
    those written for a point of the same text anywhere."""
    own, known = _by_question(), shipped_paraphrases()
    asked = (question_text or "").strip()
    found = {p: own.get((asked, p)) or known.get(p) for p in points}
    return {p: said for p, said in found.items() if said}
