"""The last sentence of a streamed answer: Whisper's full 30 s window against the quick one.

    python bench/quick_window.py [--models base,tiny.en] [--runs 2]

At Stop, what is left to transcribe is usually one sentence. faster-whisper pads every clip
to a 30 s window, so the encoder pays for 30 s whatever the length; the quick mode
(``transcribe(..., quick=True)``, ``app/transcription/faster.py``) encodes the clip plus
a little silence instead. For every fixture sentence (flite, spoken alone, as the streaming
benchmark's answers are made of), this prints the time per sentence (p50 and max of the
best of ``--runs``) and the word error rate for both modes, through the engine exactly as
the worker calls it (beam 5, the verbatim prompt, word timestamps, voice-activity detection),
alone and with the sentences before it as the prompt (as the final job passes the words
already transcribed).
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import FIXTURES, ROOT, word_errors
from streaming import sentences

from tests.fixtures.make_fixtures import speak


def clips() -> list[tuple[str, object]]:
    from app.recordings.audio import read_wav_samples

    folder = FIXTURES / "sentences"
    folder.mkdir(parents=True, exist_ok=True)
    found = []
    for number, text in enumerate(sentences()):
        path = folder / f"sentence{number}.wav"
        if not path.exists():
            speak(text, path)
        found.append((text, read_wav_samples(path)))
    return found


def measure(engine, spoken: list, quick: bool, runs: int, context: bool) -> dict:
    times, errors, words = [], 0, 0
    for number, (text, samples) in enumerate(spoken):
        # With context: the sentences before, as the final job passes the committed words.
        said = " ".join(t for t, _ in spoken[:number]) if context else ""
        best, heard = None, None
        for _ in range(runs):
            started = time.perf_counter()
            heard = engine.transcribe(samples, context=said, quick=quick)
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        times.append(best)
        e, n = word_errors(text, heard.text)
        errors, words = errors + e, words + n
    return {
        "p50": statistics.median(times),
        "max": max(times),
        "errors": errors,
        "words": words,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="base,tiny.en")
    parser.add_argument("--runs", type=int, default=2, help="runs per sentence (best counts)")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--cache", default=str(ROOT / ".cache" / "models"))
    args = parser.parse_args()

    from app.transcription import load_engine

    spoken = clips()
    seconds = statistics.mean(s.size / 16000 for _, s in spoken)
    print(f"{len(spoken)} sentences, {seconds:.1f} s on average\n")
    print("| model | prompt | window | s per sentence p50 / max | WER |")
    print("|---|---|---|---|---|")
    for model in args.models.split(","):
        engine = load_engine(
            "faster-whisper", model, cache_dir=args.cache, verbatim=True, beam_size=args.beam
        )
        engine.transcribe(spoken[0][1])  # warm-up
        for context, quick in ((False, False), (False, True), (True, False), (True, True)):
            row = measure(engine, spoken, quick, args.runs, context)
            label = "quick" if quick else "full 30 s"
            prompt = "verbatim + sentences before" if context else "verbatim"
            print(
                f"| {model} | {prompt} | {label} | {row['p50']:.2f} / {row['max']:.2f} s "
                f"| {row['errors'] / row['words']:.1%} ({row['errors']}/{row['words']}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
