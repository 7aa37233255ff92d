"""Precision and recall of Rebound's meaning rules against answers labelled by hand.

    python bench/understanding.py              # the tables of the 66 answers tuned on
    python bench/understanding.py --blind      # the blind set (run once, rules final)
    python bench/understanding.py --blind2     # the third pass's blind set (blind2.yaml)
    python bench/understanding.py --blind3     # the fourth pass's blind set (blind3.yaml)
    python bench/understanding.py --blind4     # the fifth pass's blind set (blind4.yaml)
    python bench/understanding.py --blind5     # the paraphrase pass's blind set (blind5.yaml)
    python bench/understanding.py --blind6     # the near-points pass's blind set (blind6.yaml)
    python bench/understanding.py --calibrate  # search the thresholds on the 66 answers
    python bench/understanding.py --cost       # time and memory of a 3-minute answer, 1 core

The thresholds in ``app/understanding/meaning.py`` were tuned on
``bench/understanding_set/answers.yaml`` (66 answers; first on its odd half, then on both
halves, so neither half is held out any more). ``blind.yaml`` (37 answers) was written before
the second tuning and scored once, after it. Each answer becomes Whisper-like words (one
every 0.4 s, punctuation kept) and goes through the same code as a real transcript.

Decisions scored:
* off topic: an answer flagged as not addressing its question (positive = off topic);
* STAR part: each part of each answer to a behavioural question (positive = present);
* talking point: each point of each answer (positive = covered).
The keyword rules (``app.reports.speech``) are the baseline; they have no notion of topic,
so they never flag an answer as off topic.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

import yaml

# One core, as the cost target says: set before NumPy (and its BLAS) is imported.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.questions.paraphrases import paraphrases_of  # noqa: E402
from app.questions.rivals import shipped_rivals  # noqa: E402
from app.reports import speech  # noqa: E402
from app.understanding import meaning  # noqa: E402
from app.understanding import points as point_rules  # noqa: E402

SET = ROOT / "bench" / "understanding_set" / "answers.yaml"
BLIND = ROOT / "bench" / "understanding_set" / "blind.yaml"
BLIND2 = ROOT / "bench" / "understanding_set" / "blind2.yaml"
BLIND3 = ROOT / "bench" / "understanding_set" / "blind3.yaml"
BLIND4 = ROOT / "bench" / "understanding_set" / "blind4.yaml"
BLIND5 = ROOT / "bench" / "understanding_set" / "blind5.yaml"
BLIND6 = ROOT / "bench" / "understanding_set" / "blind6.yaml"
BLINDS = {
    "blind": BLIND,
    "blind2": BLIND2,
    "blind3": BLIND3,
    "blind4": BLIND4,
    "blind5": BLIND5,
    "blind6": BLIND6,
}


def load(path: Path = SET) -> tuple[list[dict], dict]:
    bank = {}
    for bank_path in sorted((ROOT / "question_banks").glob("*.yaml")):
        for question in yaml.safe_load(bank_path.read_text())["questions"]:
            bank[question["id"]] = question
    return yaml.safe_load(path.read_text())["answers"], bank


def words_of(text: str) -> list[dict]:
    return [{"word": " " + w, "start": round(i * 0.4, 2), "end": round(i * 0.4 + 0.3, 2)}
            for i, w in enumerate(text.split())]  # fmt: skip


def behavioural(question: dict) -> bool:
    return bool({"behavioural", "star"} & set(question.get("tags") or []))


def decisions(answer: dict, question: dict, rules: str) -> dict[str, list[tuple[bool, bool]]]:
    """(truth, predicted) pairs per decision for one answer under ``rules``."""
    words = words_of(answer["text"])
    tokens = speech.tokenise(words)
    points = [
        p["point"] if isinstance(p, dict) else p for p in question.get("talking_points") or []
    ]
    if rules == "keywords":
        star = {part: bool(found) for part, found in speech.find_star(tokens).items()}
        covered = [p["covered"] for p in speech.talking_points_covered(tokens, points)]
        off = False
    else:
        skip = {i for f in speech.find_fillers(tokens) for i in f["indexes"]}
        signals = meaning.understand(
            words,
            question["text"],
            points,
            skip,
            paraphrases=paraphrases_of(points, question["text"]),
            tips=question.get("tips") or (),
            rivals=shipped_rivals(),
        )
        star, off = signals["star"], not signals["relevance"]["on_topic"]
        covered = [p["covered"] for p in signals["talking_points"]]
    out = {"off topic": [(not answer.get("on_topic", True), off)],
           "talking point": [(i in answer["points"], c) for i, c in enumerate(covered)]}  # fmt: skip
    if behavioural(question):
        truth = set(answer.get("star") or [])
        out["STAR part"] = [(part in truth, star[part]) for part in meaning.STAR_PARTS]
        for part in meaning.STAR_PARTS:
            out[f"  {part}"] = [(part in truth, star[part])]
    return out


def score(answers: list[dict], bank: dict, rules: str) -> dict[str, tuple[float, float, int]]:
    pairs: dict[str, list[tuple[bool, bool]]] = {}
    for answer in answers:
        for name, found in decisions(answer, bank[answer["q"]], rules).items():
            pairs.setdefault(name, []).extend(found)
    table = {}
    for name, found in pairs.items():
        tp = sum(t and p for t, p in found)
        predicted, actual = sum(p for _, p in found), sum(t for t, _ in found)
        table[name] = (tp / predicted if predicted else float("nan"),
                       tp / actual if actual else float("nan"), actual)  # fmt: skip
    return table


def halves(answers: list[dict]) -> dict[str, list[dict]]:
    odd = [a for a in answers if int(a["id"][1:]) % 2 == 1]
    even = [a for a in answers if int(a["id"][1:]) % 2 == 0]
    return {
        "odd half (tuned on)": odd,
        "even half (tuned on since this pass)": even,
        "all 66 (tuned on)": answers,
    }


def report(blind: Path | None = None) -> None:
    answers, bank = load(blind or SET)
    print(f"{len(answers)} answers; precision / recall (positives)")
    splits = {blind.stem: answers} if blind else halves(answers)
    for split, chosen in splits.items():
        print(f"\n{split}, {len(chosen)} answers")
        print("| decision | keywords P | keywords R | meaning P | meaning R | positives |")
        print("|---|---|---|---|---|---|")
        keywords, by_meaning = score(chosen, bank, "keywords"), score(chosen, bank, "meaning")
        for name in by_meaning:
            kp, kr, n = keywords[name]
            mp, mr, _ = by_meaning[name]
            print(f"| {name} | {kp:.2f} | {kr:.2f} | {mp:.2f} | {mr:.2f} | {n} |")


def calibrate() -> None:
    """Grid search on the 66 tuning answers (never the blind set): the relevance thresholds
    with the best recall at precision of at least 0.9; STAR and talking-point thresholds by
    the better of P and R's minimum."""
    tuning, bank = load()
    best = {}
    grid = itertools.product([0.05, 0.08, 0.1, 0.12], [0.18, 0.2, 0.22, 0.25, 0.27, 0.3, 0.35],
                             [8, 10, 12, 13, 14, 16, 20])  # fmt: skip
    for low, high, rank in grid:
        if high < low:
            continue
        meaning.ON_TOPIC_MIN, meaning.CLEARLY_ON_TOPIC, meaning.RANK_MAX = low, high, rank
        p, r, _ = score(tuning, bank, "meaning")["off topic"]
        if p >= 0.9 and r > best.get("relevance", (0, 0, 0, 0))[3]:
            best["relevance"] = (low, high, rank, r, p)
    meaning.ON_TOPIC_MIN, meaning.CLEARLY_ON_TOPIC, meaning.RANK_MAX = best["relevance"][:3]
    for star_min, bonus, gate in itertools.product(
        [0.22, 0.26, 0.3, 0.34], [0.08, 0.12, 0.16, 0.2], [None, 0.4, 0.45, 0.5, 0.55, 9]
    ):
        meaning.STAR_MIN, meaning.CUE_BONUS = star_min, bonus
        meaning.CUE_GATED = {"task": gate} if gate else {}
        p, r, _ = score(tuning, bank, "meaning")["STAR part"]
        if min(p, r) > best.get("star", (0, 0, 0, 0))[3]:
            best["star"] = (star_min, bonus, gate, min(p, r), (p, r))
    meaning.STAR_MIN, meaning.CUE_BONUS = best["star"][:2]
    meaning.CUE_GATED = {"task": best["star"][2]} if best["star"][2] else {}
    for point_min, alone_min in itertools.product(
        [x / 100 for x in range(18, 40, 2)], [x / 100 for x in range(5, 40, 5)]
    ):
        point_rules.POINT_MIN, point_rules.POINT_ALONE_MIN = point_min, alone_min
        p, r, _ = score(tuning, bank, "meaning")["talking point"]
        if min(p, r) > best.get("points", (0, 0, 0))[2]:
            best["points"] = (point_min, alone_min, min(p, r), (p, r))
    for name, found in best.items():
        print(name, found)


def cost() -> None:
    """Seconds to read a 3-minute answer by meaning (model loaded, the question's prototypes
    warm, the answer's sentences new), and the process's memory before and after the model."""
    import resource
    import time

    from app.understanding.encoder import sentence_encoder

    answers, bank = load()
    complete = [a for a in answers if a["kind"] == "complete"]
    question = bank[complete[0]["q"]]
    asked = type("Question", (), {"text": question["text"], "tags": question["tags"],
                                   "answer_seconds": 180, "talking_points": [p["point"] if isinstance(p, dict) else p for p in question["talking_points"]]})  # fmt: skip

    def answer_of(offset: int) -> list[dict]:
        words: list[dict] = []
        for a in complete[offset:] + complete[:offset]:
            words += words_of(a["text"])
            if len(words) >= 450:  # 3 minutes at 150 words a minute
                break
        return [w | {"start": i * 0.4, "end": i * 0.4 + 0.3} for i, w in enumerate(words[:450])]

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    sentence_encoder()
    load_s = time.perf_counter() - started
    speech.compute(answer_of(0), 180.0, asked)  # prototypes and reference questions cached
    times, cpu = [], []
    for offset in range(1, 8):
        words = answer_of(offset)
        sentence_encoder()._cache.clear()  # noqa: SLF001 - every sentence new, as in a real answer
        speech.compute(words[:10], 180.0, asked)  # prototypes back in the cache
        started, cpu_started = time.perf_counter(), time.process_time()
        speech.compute(words, 180.0, asked)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        keyword_start = time.perf_counter()
        speech.compute(words, 180.0, asked, by_meaning=False)
        keywords = time.perf_counter() - keyword_start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"model load {load_s:.2f} s; 3-minute answer (450 words), by meaning: median "
        f"{sorted(times)[3]:.3f} s wall, {sorted(cpu)[3]:.3f} s CPU (max {max(times):.3f} s "
        f"wall); keywords only {keywords:.3f} s; peak RSS {before:.0f} MB before the model, "
        f"{after:.0f} MB after (+{after - before:.0f} MB); load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--cost", action="store_true")
    for flag in BLINDS:
        parser.add_argument(f"--{flag}", action="store_true")
    args = parser.parse_args()
    if args.cost:
        cost()
    else:
        chosen = [path for flag, path in BLINDS.items() if getattr(args, flag)]
        calibrate() if args.calibrate else report(chosen[-1] if chosen else None)
