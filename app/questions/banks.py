"""Question banks: load and validate YAML or CSV files, and import them without duplicates.

A bank file is checked whole before anything is written: one bad question rejects the file
with a message naming the file, the question and the field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.extensions import db
from app.models import BANK_SCOPE, Question
from app.questions.follow_ups import check_follow_ups, clean_follow_ups, parse_follow_ups

QUESTION_FIELDS = {
    "id",
    "text",
    "category",
    "difficulty",
    "testing",
    "tips",
    "answer_seconds",
    "tags",
    "talking_points",
    "follow_ups",
}
REQUIRED_FIELDS = ("text", "category", "difficulty", "testing", "tips", "answer_seconds", "tags")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,118}$")
MAX_TEXT = 1000
# A bank file is text a person wrote: a megabyte holds thousands of questions.
MAX_BANK_BYTES = 1024 * 1024
MAX_QUESTIONS = 2000
SHOWN_CHARS = 60
# A bank is a mapping, its questions list, a question, and its lists: four levels.
MAX_YAML_DEPTH = 10
BANK_SUFFIXES = (".yaml", ".yml", ".csv")


class BankError(Exception):
    """A bank file is malformed; the message names the file, question and field."""

    def __init__(
        self, source: str, problem: str, question: str | None = None, field_name: str | None = None
    ) -> None:
        self.source, self.problem, self.question, self.field_name = (
            source,
            problem,
            question,
            field_name,
        )
        where = shown(source, 100)
        if question:
            where += f", question {question}"
        if field_name:
            where += f", field '{shown(field_name)}'"
        super().__init__(f"{where}: {problem}")


@dataclass
class QuestionSpec:
    """A validated question, ready to be stored."""

    key: str
    text: str
    category: str
    difficulty: int
    testing: str
    tips: list[str]
    answer_seconds: int
    tags: list[str] = field(default_factory=list)
    talking_points: list[str] = field(default_factory=list)
    follow_ups: dict[str, str] = field(default_factory=dict)


def shown(value, limit: int = SHOWN_CHARS) -> str:
    """A value as an error message may quote it: never longer than ``limit`` characters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_key(text: str) -> str:
    """A stable key for a question that came without an id: a hash of its normalised text."""
    normal = " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())
    return "q-" + hashlib.sha256(normal.encode()).hexdigest()[:16]


def _text(value, source, label, name, required=True, limit=MAX_TEXT) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BankError(source, "is missing or empty", label, name)
        return ""
    if not isinstance(value, str | int | float):
        raise BankError(source, f"must be text, not {type(value).__name__}", label, name)
    value = str(value).strip()
    if len(value) > limit:
        raise BankError(source, f"is {len(value)} characters; the limit is {limit}", label, name)
    return value


def _int(value, source, label, name, low, high) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise BankError(
            source, f"must be a whole number, not {shown(value)}", label, name
        ) from None
    if not low <= number <= high:
        raise BankError(source, f"must be between {low} and {high}, not {number}", label, name)
    return number


def _list(value, source, label, name, low, high) -> list[str]:
    if value is None:
        value = []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise BankError(source, f"must be a list, not {type(value).__name__}", label, name)
    items = [_text(v, source, label, name, limit=300) for v in value if str(v or "").strip()]
    if not low <= len(items) <= high:
        raise BankError(source, f"needs {low} to {high} items, found {len(items)}", label, name)
    return items


def _follow_ups(value, source, label) -> dict[str, str]:
    # A CSV cell (or a YAML string) holds "trigger: wording | trigger: wording".
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        mapping, errors = parse_follow_ups(value)
    else:
        mapping, errors = value, check_follow_ups(value)
    if errors:
        raise BankError(source, errors[0], label, "follow_ups")
    return clean_follow_ups(mapping)


def validate_question(raw: dict, source: str, position: int) -> QuestionSpec:
    """Check one question's fields; raise BankError naming the first problem."""
    label = f"#{position}"
    if not isinstance(raw, dict):
        raise BankError(source, "must be a mapping of fields", label)
    if raw.get("id"):
        label = f"#{position} ({shown(raw['id'], 40)})"
    unknown = sorted(set(raw) - QUESTION_FIELDS)
    if unknown:
        raise BankError(
            source,
            f"unknown field (allowed: {', '.join(sorted(QUESTION_FIELDS))})",
            label,
            unknown[0],
        )
    for name in REQUIRED_FIELDS:
        if name not in raw:
            raise BankError(source, "is missing", label, name)
    text = _text(raw["text"], source, label, "text")
    key = str(raw.get("id") or "").strip() or text_key(text)
    if not KEY_PATTERN.match(key):
        raise BankError(source, "must be lowercase letters, digits and hyphens", label, "id")
    tags = [t.lower() for t in _list(raw["tags"], source, label, "tags", 0, 10)]
    return QuestionSpec(
        key=key,
        text=text,
        category=_text(raw["category"], source, label, "category", limit=80),
        difficulty=_int(raw["difficulty"], source, label, "difficulty", 1, 3),
        testing=_text(raw["testing"], source, label, "testing"),
        tips=_list(raw["tips"], source, label, "tips", 2, 4),
        answer_seconds=_int(raw["answer_seconds"], source, label, "answer_seconds", 15, 600),
        tags=tags,
        talking_points=_list(
            [_point(v, source, label) for v in raw.get("talking_points") or []],
            source,
            label,
            "talking_points",
            0,
            8,
        ),  # fmt: skip
        follow_ups=_follow_ups(raw.get("follow_ups"), source, label),
    )


def _point(value, source, label):
    """A talking point's text: a string, or a mapping ``{point: ..., also: [...]}`` whose
    ``also`` lists the point said in other words (read by ``app.questions.paraphrases``)."""
    if not isinstance(value, dict):
        return value
    unknown = sorted(set(value) - {"point", "also"})
    if unknown:
        raise BankError(source, "a talking point takes only 'point' and 'also'", label, unknown[0])
    _list(value.get("also"), source, label, "also", 0, 6)
    return _text(value.get("point"), source, label, "point", limit=300)


def parse_yaml(content: str, source: str) -> list[dict]:
    """Read a YAML bank: a mapping with ``questions`` (and an optional ``bank`` name).

    The events are read first, with libyaml where it is installed (PyYAML's own parser takes
    minutes over lists nested thousands deep): aliases (``*name``) are refused, since each
    copies what it names and a few hundred bytes of nested ones expand to gigabytes, and so
    is nesting deeper than a bank needs. Only then is anything built.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        depth = 0
        for event in yaml.parse(content, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                raise BankError(
                    source,
                    "uses a YAML alias (*name); write each question's fields out in full",
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise BankError(
                        source, f"nests lists or mappings deeper than {MAX_YAML_DEPTH} levels"
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        data = yaml.load(content, Loader=loader)  # nosec B506: loader is CSafeLoader or SafeLoader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise BankError(source, f"is not valid YAML{where}") from err
    except (ValueError, RecursionError) as err:
        # A number too long for Python to read (over 4,300 digits).
        raise BankError(source, "holds a value too long to read; shorten it") from err
    if isinstance(data, list):
        return data
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise BankError(source, "must hold a 'questions:' list", field_name="questions")
    extra = sorted(set(data) - {"bank", "questions"})
    if extra:
        raise BankError(
            source, "unknown top-level field (allowed: bank, questions)", field_name=extra[0]
        )
    return data["questions"]


def parse_csv(content: str, source: str) -> list[dict]:
    """Read a CSV bank: a header row of field names; lists separated by ``|``, and
    follow-ups as ``trigger: wording`` items separated by ``|`` in one cell."""
    reader = csv.DictReader(io.StringIO(content))
    if not reader.fieldnames or "text" not in reader.fieldnames:
        raise BankError(source, "needs a header row naming at least 'text'", field_name="text")
    rows = []
    for row in reader:
        if None in row:
            raise BankError(source, f"row {reader.line_num} has more cells than the header")
        if not any((v or "").strip() for v in row.values()):
            continue
        for name in ("tips", "tags", "talking_points"):
            if name in row:
                sep = "," if name == "tags" and "|" not in row[name] else "|"
                row[name] = [p.strip() for p in (row[name] or "").split(sep) if p.strip()]
        rows.append(
            {k: v for k, v in row.items() if v not in ("", None, [])}
            | {k: row[k] for k in REQUIRED_FIELDS if k in row}
        )
    return rows


def parse_bank(content: str | bytes, source: str) -> list[QuestionSpec]:
    """Parse and validate a whole bank file; the format follows the file name's suffix."""
    if len(content) > MAX_BANK_BYTES:
        raise BankError(
            source, f"is larger than {MAX_BANK_BYTES // 1024} KB; split it into smaller banks"
        )
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise BankError(source, "is not UTF-8 text") from err
    suffix = Path(source).suffix.lower()
    if suffix == ".csv":
        raws = parse_csv(content, source)
    elif suffix in (".yaml", ".yml"):
        raws = parse_yaml(content, source)
    else:
        raise BankError(source, "must be a .yaml, .yml or .csv file")
    if not raws:
        raise BankError(source, "holds no questions", field_name="questions")
    if len(raws) > MAX_QUESTIONS:
        raise BankError(source, f"holds {len(raws)} questions; the limit is {MAX_QUESTIONS} a file")
    specs, seen = [], {}
    for position, raw in enumerate(raws, start=1):
        spec = validate_question(raw, source, position)
        if spec.key in seen:
            raise BankError(
                source,
                f"repeats the id of question #{seen[spec.key]}",
                f"#{position} ({spec.key})",
                "id",
            )
        seen[spec.key] = position
        specs.append(spec)
    return specs


def load_bank_file(path: Path) -> list[QuestionSpec]:
    """Read and validate one bank file from disk (never more than the size limit of it)."""
    with path.open("rb") as handle:
        return parse_bank(handle.read(MAX_BANK_BYTES + 1), path.name)


def bank_files(folder: Path) -> list[Path]:
    """The bank files in ``folder``, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in BANK_SUFFIXES)


@dataclass
class ImportResult:
    """How many questions an import added and updated."""

    added: int = 0
    updated: int = 0


def store_questions(
    specs: list[QuestionSpec], scope: str, owner_id: int | None, source: str
) -> ImportResult:
    """Insert new questions and update changed ones by (scope, key); never duplicate."""
    existing = {
        q.key: q
        for q in db.session.execute(db.select(Question).where(Question.scope == scope)).scalars()
    }
    result = ImportResult()
    for spec in specs:
        values = {k: v for k, v in vars(spec).items() if k != "key"}
        question = existing.get(spec.key)
        if question is None:
            db.session.add(
                Question(scope=scope, key=spec.key, owner_id=owner_id, source=source, **values)
            )
            result.added += 1
        elif any(getattr(question, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(question, name, value)
            result.updated += 1
    db.session.commit()
    return result


def sync_banks(folder: Path) -> ImportResult:
    """Load every shipped bank file and bring the bank questions in the database up to date."""
    per_file: list[tuple[str, list[QuestionSpec]]] = []
    owners: dict[str, str] = {}
    for path in bank_files(folder):
        specs = load_bank_file(path)
        for spec in specs:
            if spec.key in owners:
                raise BankError(
                    path.name, f"repeats an id already used in {owners[spec.key]}", spec.key, "id"
                )
            owners[spec.key] = path.name
        per_file.append((path.name, specs))
    total = ImportResult()
    for name, specs in per_file:
        result = store_questions(specs, BANK_SCOPE, None, name)
        total.added += result.added
        total.updated += result.updated
    return total


def user_scope(user_id: int) -> str:
    """The scope of the questions one user wrote or imported."""
    return f"user:{user_id}"
