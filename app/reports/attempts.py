"""Metrics per attempt, progress across attempts, and exports (Markdown report, data zip)."""

from __future__ import annotations

import json
import shutil
import zipfile
from typing import BinaryIO

from app.feedback.comments import comments_for
from app.feedback.reviews import ratings_for
from app.models import Attempt, AttemptStatus, utcnow
from app.recordings.errors import RecordingMissing
from app.reports.speech import PACE_BAND, compute

# What the progress tables show, how to read each, and which direction is better.
TRACKED = [
    ("wpm_speaking", "Pace while speaking (wpm)", "band"),
    ("fillers_per_100_words", "Fillers per 100 words", "lower"),
    ("long_pauses", "Long pauses", "lower"),
    ("star_parts", "STAR parts found", "higher"),
    ("duration_s", "Length (s)", "none"),
]


def attempt_metrics(attempt: Attempt) -> dict | None:
    """The attempt's metrics, or None while it has no transcript."""
    if attempt.status != AttemptStatus.DONE:
        return None
    return compute(attempt.words, attempt.duration_s, attempt.question)


def transcript_marks(metrics: dict | None) -> dict:
    """Per word index: CSS classes (filler, hedge) and the long pause that follows it."""
    classes: dict[int, list[str]] = {}
    pauses: dict[int, float] = {}
    if metrics:
        for kind in ("fillers", "hedges"):
            for span in metrics[kind]:
                for index in span["indexes"]:
                    classes.setdefault(index, []).append(
                        kind[:-1] if kind == "fillers" else "hedge"
                    )
        for pause in metrics["long_pauses"]:
            pauses[pause["after_index"]] = pause["duration_s"]
    return {"classes": {i: " ".join(c) for i, c in classes.items()}, "pauses": pauses}


def summary_values(metrics: dict) -> dict:
    """The tracked numbers of one attempt."""
    return {
        "wpm_speaking": metrics["wpm_speaking"],
        "fillers_per_100_words": metrics["fillers_per_100_words"],
        "long_pauses": len(metrics["long_pauses"]),
        "star_parts": sum(metrics["star"].values()),
        "duration_s": metrics["duration_s"],
    }


def _band_distance(wpm: float) -> float:
    low, high = PACE_BAND
    return max(low - wpm, 0, wpm - high)


def best_key(values: dict) -> tuple:
    """Best attempt: most STAR parts, then fewest fillers per 100 words, then pace in band."""
    return (
        -values["star_parts"],
        values["fillers_per_100_words"],
        _band_distance(values["wpm_speaking"]),
    )


def question_progress(attempts: list[Attempt]) -> dict | None:
    """First, best and latest transcribed attempt at one question, and how each number moved."""
    rows = []
    for attempt in sorted(attempts, key=lambda a: (a.created_at, a.id)):
        metrics = attempt_metrics(attempt)
        if metrics and metrics["words"]:
            rows.append((attempt, summary_values(metrics)))
    if not rows:
        return None
    first, latest = rows[0], rows[-1]
    best = min(rows, key=lambda row: best_key(row[1]))
    changes = []
    for key, label, better in TRACKED:
        before, after = first[1][key], latest[1][key]
        delta = round(after - before, 1)
        if better == "band":
            improved = _band_distance(after) < _band_distance(before)
            worse = _band_distance(after) > _band_distance(before)
        elif better in ("lower", "higher"):
            sign = -1 if better == "lower" else 1
            improved, worse = delta * sign > 0, delta * sign < 0
        else:
            improved = worse = False
        changes.append({"key": key, "label": label, "first": before, "best": best[1][key],
                        "latest": after, "delta": delta, "improved": improved, "worse": worse})  # fmt: skip
    return {"first": first[0], "best": best[0], "latest": latest[0], "count": len(rows),
            "changes": changes}  # fmt: skip


def markdown_report(
    attempt: Attempt, metrics: dict | None, calm: bool = False, comments: list[dict] | None = None
) -> str:
    """A plain-text report of one attempt: question, transcript and (unless calm) metrics."""
    q = attempt.question
    lines = [
        f"# {q.text}",
        "",
        f"- Category: {q.category}",
        f"- Answered: {attempt.created_at:%Y-%m-%d %H:%M} UTC",
        f"- Length: {attempt.duration_s:.0f} s (suggested {q.answer_seconds} s)",
        "",
        "## Transcript",
        "",
        attempt.transcript_text or "(no speech was heard)",
        "",
    ]
    if metrics and not calm:
        lines += [
            "## Delivery",
            "",
            f"- Pace: {metrics['wpm_speaking']:.0f} words per minute while speaking, "
            f"{metrics['wpm_total']:.0f} over the whole recording (recommended 100-165)",
            f"- Filler words: {len(metrics['fillers'])} ({metrics['fillers_per_100_words']} per 100 words)"
            + (
                ": " + ", ".join(f'"{f["text"]}" at {f["start"]:.1f} s' for f in metrics["fillers"])
                if metrics["fillers"]
                else ""
            ),
            f"- Long pauses (over 1.5 s): {len(metrics['long_pauses'])}"
            + (f", longest {metrics['longest_pause_s']:.1f} s" if metrics["long_pauses"] else ""),
            f"- Hedges: {', '.join(h['text'] for h in metrics['hedges']) or 'none'}",
            f"- I / we: {metrics['ownership']['i']} / {metrics['ownership']['we']}",
            "",
        ]
        if metrics["behavioural"]:
            lines += ["## Structure (STAR)", ""]
            for part, found in metrics["star"].items():
                words = ", ".join(f'"{e["text"]}"' for e in metrics["star_evidence"][part][:3])
                lines.append(f"- {part.title()}: {'found (' + words + ')' if found else 'missing'}")
            lines += [f"- {hint}" for hint in metrics["star_missing"]]
            lines.append("")
        if metrics["talking_points"]:
            lines += ["## Talking points", ""]
            lines += [
                f"- [{'x' if p['covered'] else ' '}] {p['point']}"
                for p in metrics["talking_points"]
            ]
            lines.append("")
    return "\n".join(lines)


def attempt_record(attempt: Attempt) -> dict:
    """An attempt as JSON-ready data (used by the API and the export)."""
    metrics = attempt_metrics(attempt)
    return {
        "id": attempt.id,
        "question_id": attempt.question_id,
        "question": attempt.question.text,
        "category": attempt.question.category,
        "status": attempt.status,
        "error": attempt.error or None,
        "created_at": attempt.created_at.isoformat() + "Z",
        "duration_s": attempt.duration_s,
        "audio_format": attempt.audio_format,
        "self_rating": attempt.self_rating,
        "transcript": {"text": attempt.transcript_text, "words": attempt.words}
        if attempt.status == AttemptStatus.DONE
        else None,
        "metrics": metrics,
        # What the worker heard so far, while the answer is recorded or transcribed.
        "partial_text": attempt.partial_text if attempt.is_pending else None,
        "engine": attempt.engine or None,
        "model": attempt.model or None,
        "comments": [
            comment_record(item["comment"], item["replies"]) for item in comments_for(attempt)
        ],
        "ratings": [
            {
                "reviewer": r.reviewer.name,
                "rubric": r.rubric.name,
                "scores": r.scores,
                "note": r.note,
                "updated_at": r.updated_at.isoformat() + "Z",
            }
            for r in ratings_for(attempt)
        ],
    }


def comment_record(comment, replies=()) -> dict:
    """A comment as JSON-ready data."""
    return {
        "id": comment.id,
        "author": comment.author.name,
        "body": comment.body,
        "suggestion": comment.suggestion or None,
        "start_s": comment.start_s,
        "end_s": comment.end_s,
        "word_start": comment.word_start,
        "word_end": comment.word_end,
        "addressed": comment.addressed_at is not None,
        "created_at": comment.created_at.isoformat() + "Z",
        "replies": [comment_record(r) for r in replies],
    }


def export_zip(user, attempts: list[Attempt], own_questions: list, store, out: BinaryIO) -> None:
    """Write everything of one user into ``out``: a JSON file of their data and every recording.

    Recordings are streamed from the store into the archive, never read whole into memory,
    and stored as they are (they are compressed audio already).
    """
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        records = []
        for attempt in attempts:
            record = attempt_record(attempt)
            extension = attempt.audio_key.rsplit(".", 1)[-1]
            name = f"audio/attempt-{attempt.id}.{extension}"
            try:  # opened straight away: an existence check first costs S3 a request more
                audio = store.open(attempt.audio_key)
            except RecordingMissing:  # deleted by retention, or lost
                audio = None
            if audio is not None:
                with audio, archive.open(zipfile.ZipInfo(name), "w", force_zip64=True) as entry:
                    shutil.copyfileobj(audio, entry, 1 << 20)
                record["audio_file"] = name
            records.append(record)
        data = {
            "exported_at": utcnow().isoformat(timespec="seconds") + "Z",
            "user": {"email": user.email, "calm_mode": user.calm_mode},
            "questions": [
                {
                    "id": q.id,
                    "text": q.text,
                    "category": q.category,
                    "difficulty": q.difficulty,
                    "testing": q.testing,
                    "tips": q.tips,
                    "answer_seconds": q.answer_seconds,
                    "tags": q.tags,
                    "talking_points": q.talking_points,
                    "source": q.source,
                }
                for q in own_questions
            ],  # fmt: skip
            "attempts": records,
        }
        archive.writestr("rebound.json", json.dumps(data, indent=2, ensure_ascii=False))
