"""The shipped questions an answer is weighed against to tell whether it addresses its own.

Relevance by meaning (``app.understanding.relevance``) compares an answer with its question
and with every other question the banks ship, each read from its text, tips and talking
points. The banks are read once per process; paraphrases are left out of the rivals so that
every rival is read the same way.
"""

from __future__ import annotations

from functools import cache

from app.questions.banks import bank_files, parse_yaml
from app.questions.paraphrases import shipped_folder
from app.understanding.relevance import QuestionReading


def _point(item) -> str:
    return str(item["point"] if isinstance(item, dict) else item).strip()


@cache
def shipped_rivals() -> tuple[QuestionReading, ...]:
    """Every shipped question as a reading (text, tips, talking points), read once."""
    found: list[QuestionReading] = []
    for path in bank_files(shipped_folder()):
        if path.suffix.lower() == ".csv":
            continue
        for question in parse_yaml(path.read_text(encoding="utf-8"), path.name):
            found.append(QuestionReading(
                str(question["text"]).strip(),
                tuple(str(tip).strip() for tip in question.get("tips") or ()),
                tuple(_point(item) for item in question.get("talking_points") or ()),
            ))  # fmt: skip
    return tuple(found)
