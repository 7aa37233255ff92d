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
def shipped_paraphrases() -> dict[str, tuple[str, ...]]:
    """Each shipped talking point that has paraphrases, mapped to them (read once)."""
    found: dict[str, tuple[str, ...]] = {}
    for path in bank_files(shipped_folder()):
        if path.suffix.lower() == ".csv":
            continue
        for question in parse_yaml(path.read_text(encoding="utf-8"), path.name):
            for item in question.get("talking_points") or []:
                if isinstance(item, dict) and item.get("also"):
                    found[str(item["point"]).strip()] = tuple(str(a) for a in item["also"])
    return found


def paraphrases_of(points: list[str]) -> dict[str, tuple[str, ...]]:
    """The paraphrases of those ``points`` the shipped banks give (points without none left out)."""
    known = shipped_paraphrases()
    return {p: known[p] for p in points if p in known}
