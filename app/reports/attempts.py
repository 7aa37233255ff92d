"""The metrics of one answer, and the marks they put on its transcript.

An answer's metrics are measured once, when its transcript is saved (``transcript_values``),
and stored with the fingerprint of what they were measured under; ``attempt_metrics`` reads
them back, and measures afresh (without writing) only when they are missing or stale.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from app.models import Attempt, AttemptStatus, utcnow
from app.reports.definitions import tracked_values
from app.reports.speech import compute, metrics_fingerprint
from app.transcription.base import unsure

log = logging.getLogger(__name__)

# How long after its transcript a page waits for the worker's reading by meaning; past
# this (a worker that failed to read it), the hourly refresh will, and the page stops asking.
# Generous: a worker loading the sentence model for the first time on a busy 2-core machine
# took over 30 s (a browser test run beside three others), and asking costs one GET a second.
MEANING_WAIT = timedelta(seconds=120)


def transcript_values(
    text: str,
    words: list[dict],
    duration_s: float,
    question,
    by_meaning: bool = True,
    delivery: dict | None = None,
) -> dict:
    """The columns of an attempt that hold its transcript: the text, the words, and the
    metrics measured from them with their fingerprint and tracked numbers.

    Every writer of a transcript (the worker's final job, retention dropping one, the
    refresh of stale metrics) stores it through this, so the stored metrics always match
    the stored words. It reads the answer by meaning (``app.understanding``), so it loads
    the sentence model once in the process that calls it: the worker, never a page.
    ``by_meaning=False`` measures with the keyword rules only and stores no fingerprint, so
    the answer counts as stale until ``app.reports.stored.measure_attempt`` reads it.
    ``delivery`` is how the answer sounded (``app.delivery.analyse``), measured from the
    audio by the caller, or None.
    """
    values = {"transcript_text": text, "words": words}
    try:
        metrics = compute(words, duration_s, question, by_meaning=by_meaning)
    except Exception:
        # The transcript is the answer itself and cost a Whisper run: keep it. Without
        # stored metrics the pages measure the answer when they show it.
        log.exception("metrics of a %s-word transcript could not be measured", len(words))
        return values | {"metrics": None, "metrics_version": None, "tracked_values": None}
    metrics["delivery"] = delivery
    fingerprint = metrics_fingerprint(question) if by_meaning else None
    return values | {"metrics": metrics, "metrics_version": fingerprint,
                     "tracked_values": tracked_values(metrics) if metrics["words"] else None}  # fmt: skip


def meaning_pending(attempt: Attempt) -> bool:
    """True in the moment between a transcript being saved (with the keyword figures) and the
    worker storing its reading by meaning: the answer page then asks again shortly."""
    return (
        attempt.status == AttemptStatus.DONE
        and attempt.metrics_version is None
        and attempt.finished_at is not None
        and utcnow() - attempt.finished_at < MEANING_WAIT
    )


def has_current_metrics(attempt: Attempt) -> bool:
    """True when the stored metrics were measured under today's rules and question (the
    fingerprint is stored only with them)."""
    return attempt.metrics_version == metrics_fingerprint(attempt.question)


def attempt_metrics(attempt: Attempt) -> dict | None:
    """The attempt's metrics, or None while it has no transcript.

    The stored ones when they are current; otherwise measured now and not saved (a page
    view does not write: ``app.reports.stored`` brings stale rows up to date), with the
    keyword rules only, so a web process never loads the sentence model.
    """
    if attempt.status != AttemptStatus.DONE:
        return None
    if has_current_metrics(attempt):
        return attempt.metrics
    metrics = compute(attempt.words, attempt.duration_s, attempt.question, by_meaning=False)
    # Delivery was measured from the audio, which a page does not read: keep the stored one.
    return metrics | {"delivery": (attempt.metrics or {}).get("delivery")}


def attempt_tracked_values(attempt: Attempt) -> dict | None:
    """The attempt's tracked numbers by key, or None while it has no words to measure."""
    if attempt.status != AttemptStatus.DONE:
        return None
    if has_current_metrics(attempt):
        return attempt.tracked_values
    metrics = compute(attempt.words, attempt.duration_s, attempt.question, by_meaning=False)
    metrics["delivery"] = (attempt.metrics or {}).get("delivery")  # from the audio: kept
    return tracked_values(metrics) if metrics["words"] else None


def transcript_marks(metrics: dict | None, words: list[dict] = ()) -> dict:
    """Per word index: CSS classes (filler, hedge, the STAR part its sentence tells, a
    sentence that covers a talking point, a word we may have misheard) and the long pause
    that follows it; ``unsure``: the indexes of the words we may have misheard."""
    # Marked even without metrics (calm mode): it is about the transcript, not a number.
    doubtful = {index for index, word in enumerate(words) if unsure(word)}
    classes: dict[int, list[str]] = {index: ["unsure"] for index in doubtful}
    pauses: dict[int, float] = {}
    if metrics:
        for kind in ("fillers", "hedges"):
            for span in metrics[kind]:
                for index in span["indexes"]:
                    classes.setdefault(index, []).append(
                        kind[:-1] if kind == "fillers" else "hedge"
                    )
        # Older stored metrics have neither key: they are measured again by the worker.
        for span in metrics.get("star_spans") or []:
            for index in span["indexes"]:
                classes.setdefault(index, []).append(f"star-{span['part']}")
        for point in metrics.get("talking_points") or []:
            for index in point.get("indexes") or []:
                if "point" not in classes.setdefault(index, []):
                    classes[index].append("point")
        for pause in metrics["long_pauses"]:
            pauses[pause["after_index"]] = pause["duration_s"]
    return {
        "classes": {i: " ".join(c) for i, c in classes.items()},
        "pauses": pauses,
        "unsure": doubtful,
    }
