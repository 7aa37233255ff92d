"""The metrics of one answer, and the marks they put on its transcript."""

from __future__ import annotations

from app.models import Attempt, AttemptStatus
from app.reports.speech import compute


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
