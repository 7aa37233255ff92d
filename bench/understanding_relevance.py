"""Off-topic rules measured side by side on the labelled answers (the fourth pass's harness).

    python bench/understanding_relevance.py            # the seen sets the rule was chosen on
    python bench/understanding_relevance.py --blind3   # also blind3.yaml (seen once scored)

Every answer's sentences are read once; each rule is then a few matrix products. Rows give
off-topic precision / recall per set at the rule's threshold. The shipped rule is
``app.understanding.relevance`` (``bench/understanding.py`` scores it through the product's
code); the rows here are the alternatives measured before choosing it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # before NumPy, as in understanding.py
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
import understanding as bench  # noqa: E402 - the sibling bench: loading, words, one thread

from app.questions.paraphrases import paraphrases_of  # noqa: E402
from app.reports import speech  # noqa: E402
from app.understanding import meaning  # noqa: E402
from app.understanding.encoder import sentence_encoder  # noqa: E402
from app.understanding.sentences import split_sentences  # noqa: E402

SEEN = ("answers", "blind", "blind2")


def unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.linalg.norm(matrix, axis=-1, keepdims=True)


def readings(bank: dict, encoder, parts: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Each bank question's reading: the mean of the texts named by ``parts``."""
    found = {}
    for qid, question in bank.items():
        points = [
            p["point"] if isinstance(p, dict) else p for p in question.get("talking_points") or []
        ]
        texts = {"q": [question["text"]], "tips": list(question.get("tips") or []), "p": points,
                 "para": [t for p in points for t in paraphrases_of(points, question["text"]).get(p, ())]}  # fmt: skip
        found[qid] = unit(encoder.embed([t for part in parts for t in texts[part]]).mean(0))
    return found


def main(sets: tuple[str, ...]) -> None:
    encoder = sentence_encoder()
    _, bank = bench.load()
    ids = list(bank)
    generic = encoder.embed(
        [t for part in meaning.STAR_PARTS for t in meaning.STAR_PROTOTYPES[part]]
    )
    answers = []
    for name in sets:
        for answer in bench.load(bench.ROOT / "bench" / "understanding_set" / f"{name}.yaml")[0]:
            words = bench.words_of(answer["text"])
            skip = {i for f in speech.find_fillers(speech.tokenise(words)) for i in f["indexes"]}
            said = encoder.embed([s.reading for s in split_sentences(words, skip)])
            answers.append((name, answer["q"], not answer.get("on_topic", True), said))

    def margins(own_parts, rival_parts, k=1, relative=True, gist=lambda s: unit(s.mean(0))):
        own, rival = readings(bank, encoder, own_parts), readings(bank, encoder, rival_parts)
        matrix = np.vstack([rival[q] for q in ids])
        base = (generic @ matrix.T).mean(0) if relative else np.zeros(len(ids))
        out = []
        for _, qid, _, said in answers:
            g, index = gist(said), ids.index(qid)
            mine = own[qid] @ g - ((generic @ own[qid]).mean() if relative else 0)
            others = np.delete(matrix @ g - base, index)
            out.append(float(mine - np.sort(others)[-k:].mean()))
        return np.array(out)

    cosine = np.array(
        [float(unit(s.mean(0)) @ encoder.embed([bank[q]["text"]])[0]) for _, q, _, s in answers]
    )
    rows = {
        "cosine with the question alone, < 0.20": cosine < 0.20,
        "cosine with question+points+paraphrases, < 0.33": np.array([
            float(unit(s.mean(0)) @ readings(bank, encoder, ("q", "p", "para"))[q]) for _, q, _, s in answers
        ]) < 0.33,
        "margin over closest question, texts only, < -0.24": margins(("q",), ("q",)) < -0.24,
        "margin, readings text+tips, < -0.22": margins(("q", "tips"), ("q", "tips")) < -0.22,
        "margin, all with paraphrases, not relative, < -0.20": margins(("q", "tips", "p", "para"), ("q", "tips", "p", "para"), relative=False) < -0.20,
        "margin, all with paraphrases, relative, < -0.18": margins(("q", "tips", "p", "para"), ("q", "tips", "p", "para")) < -0.18,
        "no paraphrases anywhere (as a plain question), < -0.18": margins(("q", "tips", "p"), ("q", "tips", "p")) < -0.18,
        "no paraphrases anywhere (as a plain question), < -0.22": margins(("q", "tips", "p"), ("q", "tips", "p")) < -0.22,
        "SHIPPED: own with paraphrases, rivals without, < -0.18": margins(("q", "tips", "p", "para"), ("q", "tips", "p")) < -0.18,
        "shipped, mean of the 3 closest rivals, < -0.18": margins(("q", "tips", "p", "para"), ("q", "tips", "p"), k=3) < -0.18,
        "shipped, first two sentences weighted double, < -0.18": margins(("q", "tips", "p", "para"), ("q", "tips", "p"), gist=lambda s: unit(s.mean(0) + s[:2].mean(0))) < -0.18,
    }  # fmt: skip
    print("| rule | " + " | ".join(f"{s} P / R" for s in sets) + " |")
    print("|---|" + "---|" * len(sets))
    truth = np.array([off for _, _, off, _ in answers])
    where = np.array([name for name, _, _, _ in answers])
    for label, flagged in rows.items():
        cells = []
        for name in sets:
            f, t = flagged[where == name], truth[where == name]
            tp = int((f & t).sum())
            cells.append(f"{tp / f.sum() if f.sum() else float('nan'):.2f} / {tp / t.sum():.2f}")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(SEEN + ("blind3",) if "--blind3" in sys.argv else SEEN)
