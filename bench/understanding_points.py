"""Talking points: does a signal beyond sentence closeness tell "said" from "near its theme"?

    python bench/understanding_points.py [--sets answers blind blind2 blind3 blind4 blind5]

For every (answer, point) of the labelled sets the shipped rule covers, it prints how well
each signal ranks the true covers above the false ones (AUC: 0.5 is chance), then precision /
recall per set for the shipped thresholds around their values and for the shipped rule
filtered by the token alignment. Signals:

* ``closeness``: the shipped one, the covering window's cosine with the point's closest
  paraphrase (``app.understanding.points``);
* ``alignment``: how much of a paraphrase's content the window's words carry, token by
  token: each content token of the paraphrase (or of the point) is matched to its closest
  token of the window in the encoder's last layer, the cosines averaged, the best paraphrase
  kept (late interaction, as ColBERT scores passages). A soft form of "shares its content
  words", which a synonym can satisfy.

Blind sets are passed explicitly; run it only on sets already seen (bench/UNDERSTANDING.md).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import understanding as labelled  # noqa: E402

from app.questions.paraphrases import paraphrases_of  # noqa: E402
from app.questions.rivals import shipped_rivals  # noqa: E402
from app.reports import speech  # noqa: E402
from app.understanding import encoder as enc_module  # noqa: E402
from app.understanding import meaning  # noqa: E402
from app.understanding import points as rules  # noqa: E402

SEEN = ["answers", "blind", "blind2", "blind3", "blind4", "blind5"]
# Words that carry no content of a point (one string: 120 quoted words would hide the list).
_FUNCTION_WORDS = (
    "a an the and or but so of to in on at for with by from as is was were be been being am "
    "are it its this that these those i me my mine we our us you your he she they them their "
    "his her him what which who when where why how all any both each few more most other some "
    "such no nor not only own same than too very can will just should now then there here up "
    "down out off over under again once do did does have has had would could might must also "
    "about into through during before after because if while really"
)
FUNCTION_WORDS = set(_FUNCTION_WORDS.split())


def token_states(encoder, text: str) -> tuple[list[str], np.ndarray]:
    """The encoder's last-layer state of each token of ``text`` (one sentence, no batch)."""
    encoded = encoder.tokenizer.encode(text)
    n = len(encoded.ids)
    x = encoder.words[np.array(encoded.ids)] + encoder.positions[np.arange(n)] + encoder.type0
    x = enc_module._layer_norm(x, *encoder.norm)  # noqa: SLF001
    width = x.shape[-1]
    head = width // enc_module.HEADS
    for qkv, qkv_b, out, out_b, norm1, up, up_b, down, down_b, norm2 in encoder.layers:
        q, k, v = (x @ qkv + qkv_b).reshape(n, 3, enc_module.HEADS, head).transpose(1, 2, 0, 3)
        scores = (q / np.sqrt(head)) @ k.transpose(0, 2, 1)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(n, width)
        x = enc_module._layer_norm(context @ out + out_b + x, *norm1)  # noqa: SLF001
        y = enc_module._gelu(x @ up + up_b) @ down + down_b + x  # noqa: SLF001
        x = enc_module._layer_norm(y, *norm2)  # noqa: SLF001
    return encoded.tokens, x / np.linalg.norm(x, axis=1, keepdims=True)


def alignment(source: tuple[list[str], np.ndarray], window: np.ndarray) -> float:
    tokens, states = source
    content = np.array([re.fullmatch(r"[a-z]+", t) is not None and t not in FUNCTION_WORDS
                        for t in tokens])  # fmt: skip
    return float((states[content] @ window.T).max(1).mean()) if content.any() else 0.0


def collect(sets: list[str]) -> list[dict]:
    """One row per (answer, point): its label, and the shipped rule's inputs for it."""
    encoder = enc_module.sentence_encoder()
    seen: dict = {}
    real_cover, real_split = meaning.cover_points, meaning.split_sentences

    def split(words, skip):
        seen["sentences"] = real_split(words, skip)
        return seen["sentences"]

    def cover(points, window_vectors, in_context, alone, said_otherwise, span_of, on_topic):
        seen.update(window_vectors=window_vectors, in_context=in_context, said=said_otherwise)
        return real_cover(points, window_vectors, in_context, alone, said_otherwise, span_of,
                          on_topic)  # fmt: skip

    meaning.cover_points, meaning.split_sentences = cover, split
    states = {}

    def states_of(text):
        if text not in states:
            states[text] = token_states(encoder, text)
        return states[text]

    rows = []
    try:
        for name in sets:
            answers, bank = labelled.load(
                labelled.SET if name == "answers" else labelled.BLINDS[name]
            )
            for answer in answers:
                question = bank[answer["q"]]
                points = [p["point"] if isinstance(p, dict) else p
                          for p in question.get("talking_points") or []]  # fmt: skip
                if not points:
                    continue
                words = labelled.words_of(answer["text"])
                tokens = speech.tokenise(words)
                skip = {i for f in speech.find_fillers(tokens) for i in f["indexes"]}
                said_otherwise = paraphrases_of(points, question["text"])
                signals = meaning.understand(
                    words, question["text"], points, skip, paraphrases=said_otherwise,
                    tips=question.get("tips") or (), rivals=shipped_rivals(),
                )  # fmt: skip
                sentences = seen["sentences"]
                windows = [[i] for i in range(len(sentences))]
                windows += [[i, i + 1] for i in range(len(sentences) - 1)]
                for index, point in enumerate(points):
                    rows.append({
                        "set": name, "truth": index in answer["points"], "index": index,
                        "on_topic": signals["relevance"]["on_topic"],
                        "window_vectors": seen["window_vectors"], "in_context": seen["in_context"],
                        "said": seen["said"], "windows": windows,
                        "window_states": [np.vstack([states_of(sentences[i].reading)[1][1:-1]
                                                     for i in w]) for w in windows],
                        "sources": [states_of(t) for t in
                                    list(said_otherwise.get(point) or ()) + [point]],
                    })  # fmt: skip
    finally:
        meaning.cover_points, meaning.split_sentences = real_cover, real_split
    return rows


def covering(row: dict, minimum: float, margin: float) -> int | None:
    """The window the rule covers the point with, under these thresholds (None: not covered)."""
    closeness = rules.point_closeness(row["window_vectors"], row["in_context"], row["said"])
    mine = closeness[:, row["index"]]
    enough = mine >= minimum
    if closeness.shape[1] > 1:
        enough &= mine - np.delete(closeness, row["index"], axis=1).max(1) >= margin
    if not row["on_topic"] or not enough.any():
        return None
    return int(np.where(enough, mine, -np.inf).argmax())


def auc(positive: list[float], negative: list[float]) -> float:
    pos, neg = np.array(positive)[:, None], np.array(negative)[None, :]
    return float((pos > neg).mean() + 0.5 * (pos == neg).mean())


def table(rows: list[dict], sets: list[str], keep) -> str:
    cells, worst = [], []
    for name in sets:
        mine = [r for r in rows if r["set"] == name]
        chosen = [keep(r) for r in mine]
        tp = sum(c and r["truth"] for c, r in zip(chosen, mine, strict=True))
        precision = tp / max(1, sum(chosen))
        recall = tp / max(1, sum(r["truth"] for r in mine))
        cells.append(f"{precision:.2f} / {recall:.2f}")
        worst.append(min(precision, recall))
    return " | ".join(cells) + f" | {np.mean(worst):.3f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", default=SEEN)
    args = parser.parse_args()
    rows = collect(args.sets)
    shipped = (rules.PARAPHRASE_MIN, rules.SIBLING_MARGIN)
    for row in rows:
        window = covering(row, *shipped)
        row["closeness"] = row["alignment"] = None
        if window is not None:
            closeness = rules.point_closeness(row["window_vectors"], row["in_context"], row["said"])
            row["closeness"] = float(closeness[window, row["index"]])
            row["alignment"] = max(
                alignment(s, row["window_states"][window]) for s in row["sources"]
            )
    print("How well each signal ranks the shipped rule's true covers above its false ones (AUC)\n")
    print("| signal | " + " | ".join(args.sets) + " | all |")
    print("|---|" + "---|" * (len(args.sets) + 1))
    for signal in ("closeness", "alignment"):
        cells = []
        for name in args.sets + [None]:
            found = [r for r in rows if r[signal] is not None and name in (None, r["set"])]
            cells.append(
                f"{auc([r[signal] for r in found if r['truth']], [r[signal] for r in found if not r['truth']]):.2f}"
            )
        print(f"| {signal} | " + " | ".join(cells) + " |")
    print("\nTalking points, precision / recall per set, and the mean over sets of min(P, R)\n")
    print("| rule | " + " | ".join(args.sets) + " | mean min(P, R) |")
    print("|---|" + "---|" * (len(args.sets) + 1))
    for minimum in (0.30, 0.33, 0.36, 0.40):
        for margin in (0.0, 0.02, 0.04):
            label = f"a paraphrase ≥ {minimum:.2f}, sibling margin {margin:.2f}"
            mark = " (shipped)" if (minimum, margin) == shipped else ""
            print(f"| {label}{mark} | " + table(rows, args.sets,
                  lambda r, m=minimum, g=margin: covering(r, m, g) is not None))  # fmt: skip
    for least in (0.30, 0.35, 0.40):
        print(f"| shipped, and alignment ≥ {least:.2f} | " + table(rows, args.sets,
              lambda r, a=least: r["alignment"] is not None and r["alignment"] >= a))  # fmt: skip
    for least in (0.60, 0.70, 0.80):
        print(f"| shipped, and closeness + alignment ≥ {least:.2f} | " + table(rows, args.sets,
              lambda r, a=least: r["alignment"] is not None and r["closeness"] + r["alignment"] >= a))  # fmt: skip


if __name__ == "__main__":
    main()
