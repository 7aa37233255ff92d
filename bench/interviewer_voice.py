"""The interviewer's voice on one core: Piper synthesis time per second of speech.

    .venv/bin/python bench/interviewer_voice.py [--count 20]

Pins this process to one CPU (``os.sched_setaffinity``) and runs Rebound's own synthesis
(``app/interviewer/synthesis.py``: Piper's ``joe`` voice on a one-thread onnxruntime
session) over ``--count`` bank questions, taken in turn from each bank. Prints the time to
load the voice, the first synthesis (espeak's start-up), then over the questions p50, p95 and
max of synthesis seconds per second of speech, and the same for the Opus encode (ffmpeg).
Target (issue 18): synthesis at most 0.15 s per second of speech.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from itertools import zip_longest
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before NumPy and onnxruntime load

import numpy as np  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = 0.15


def bank_questions(count: int) -> list[str]:
    """``count`` question texts, one from each bank in turn, so every kind is timed."""
    banks = [
        [q["text"] for q in yaml.safe_load(path.read_text())["questions"]]
        for path in sorted((ROOT / "question_banks").glob("*.yaml"))
    ]
    interleaved = [t for row in zip_longest(*banks) for t in row if t]
    return interleaved[:count]


def spread(values: list[float]) -> str:
    """p50, p95 and max of ``values``."""
    p50, p95 = np.percentile(values, [50, 95])
    return f"p50 {p50:.3f}  p95 {p95:.3f}  max {max(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=20, help="bank questions to say")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    from app.interviewer.synthesis import VOICE, encode_opus, synthesise

    started = time.perf_counter()
    VOICE.get()
    print(f"first load of the voice (imports, model, one-thread session): "
          f"{time.perf_counter() - started:.2f} s")  # fmt: skip
    started = time.perf_counter()
    synthesise("Hello, and thank you for coming in today.")
    print(f"first synthesis (espeak starts): {time.perf_counter() - started:.2f} s")

    synthesis, encoding, spoken = [], [], 0.0
    with tempfile.TemporaryDirectory() as folder:
        for number, text in enumerate(bank_questions(args.count)):
            started = time.perf_counter()
            speech = synthesise(text)
            made = time.perf_counter() - started
            started = time.perf_counter()
            encode_opus(speech, Path(folder) / f"{number}.ogg")
            encoded = time.perf_counter() - started
            synthesis.append(made / speech.duration_s)
            encoding.append(encoded / speech.duration_s)
            spoken += speech.duration_s
    print(f"{len(synthesis)} bank questions, {spoken:.1f} s of speech, on CPU "
          f"{sorted(os.sched_getaffinity(0))}")  # fmt: skip
    print(f"synthesis, s per s of speech: {spread(synthesis)}  (target <= {TARGET})")
    print(f"Opus encode, s per s of speech: {spread(encoding)}")
    print(f"synthesis within target at p95: {np.percentile(synthesis, 95) <= TARGET}")


if __name__ == "__main__":
    main()
