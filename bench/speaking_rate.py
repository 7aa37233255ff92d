"""The measured speaking rate (``metrics.delivery.rate``, syllable nuclei found in the audio)
against syllables counted from the known text over the same spans.

Used by ``python bench/delivery.py --rate``. Per 15 s window (what the app reports): the
window's counted syllables (words whose middle falls in it) over the same speaking time the
app divides by. Per sentence (sentence spans are exact for Piper, from the level for a real
clip): nuclei found inside it against its counted syllables.
"""

from __future__ import annotations

import numpy as np

from app.delivery import analyse, voice
from app.delivery.analysis import speaking_spans
from app.delivery.contours import measure
from app.delivery.wording import sentences_of
from bench.syllables import syllables, text_syllables


def counted_rate(words: list[dict], start: float, end: float, talk: float) -> float:
    """Syllables counted from the words whose middle lies in ``[start, end)``, per second
    of ``talk``."""
    count = sum(syllables(w["word"]) for w in words if start <= (w["start"] + w["end"]) / 2 < end)
    return count / talk if talk > 0 else 0.0


def window_pairs(samples: np.ndarray, rate: int, words: list[dict]) -> list[tuple[float, float]]:
    """(measured, counted) syllables per second for each rate window of one answer."""
    talking = speaking_spans(words)
    pairs = []
    for window in analyse(samples, rate, words)["rate"]:
        a, b = window["start"], window["end"]
        talk = sum(max(0.0, min(b, t1) - max(a, t0)) for t0, t1 in talking)
        pairs.append((window["syllables_per_s"], counted_rate(words, a, b, talk)))
    return pairs


def sentence_pairs(
    samples: np.ndarray, rate: int, words: list[dict], spans: list[tuple[float, float]]
) -> list[tuple[int, int]]:
    """(nuclei found, syllables counted) for each sentence, nuclei taken as ``analyse``
    finds them over the whole answer."""
    contours = measure(samples, rate)
    nuclei = voice.syllable_times(contours, words[0]["start"], words[-1]["end"])
    sentences = sentences_of(words)
    return [
        (int(np.count_nonzero((nuclei >= a) & (nuclei <= b))), text_syllables(s.text))
        for s, (a, b) in zip(sentences, spans, strict=True)
    ]


def summary(pairs: list[tuple[float, float]]) -> dict:
    """Mean absolute error, bias (measured minus counted) and mean ratio of the pairs."""
    measured = np.array([m for m, _c in pairs], dtype=float)
    counted = np.array([c for _m, c in pairs], dtype=float)
    ok = counted > 0
    return {
        "n": len(pairs),
        "mae": float(np.mean(np.abs(measured - counted))),
        "bias": float(np.mean(measured - counted)),
        "ratio": float(np.mean(measured[ok] / counted[ok])) if ok.any() else float("nan"),
        "counted_mean": float(np.mean(counted)),
    }


def print_rows(rows: list[tuple[str, str, list[tuple[float, float]]]]) -> None:
    """A Markdown table of the summaries."""
    print(
        "| set | unit | n | counted mean | MAE | bias (measured - counted) | measured / counted |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, unit, pairs in rows:
        s = summary(pairs)
        print(f"| {name} | {unit} | {s['n']} | {s['counted_mean']:.2f} | {s['mae']:.2f} | "
              f"{s['bias']:+.2f} | {s['ratio']:.2f} |")  # fmt: skip
