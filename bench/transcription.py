"""Transcription speed, memory and accuracy per engine and model.

    python bench/transcription.py [--engines faster-whisper,openai-whisper] [--models tiny.en,base]

Each configuration runs in a fresh process (so its peak memory is its own): it loads the
model, transcribes every speech fixture ``--runs`` times through the same code a worker
uses, and reports the real-time factor (processing seconds per audio second, best run),
the word error rate against the text the fixture speaks, and the process's peak RSS.
Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from common import ROOT, fixtures, reference, word_errors

CLIPS = ("answer.wav", "short.wav", "story.wav", "minute.webm")


def measure(
    engine_name: str, model: str, runs: int, cache: str, beam: int, threads: int = 0
) -> dict:
    """Run inside the child process: load, transcribe, time."""
    from app.recordings.audio import load_samples
    from app.transcription import load_engine

    folder = fixtures()
    started = time.perf_counter()
    # As the worker runs it: word timestamps, voice-activity detection, the verbatim prompt.
    engine = load_engine(
        engine_name, model, cache_dir=cache, verbatim=True, beam_size=beam, cpu_threads=threads
    )
    load_s = time.perf_counter() - started
    clips = [(name, *load_samples(folder / name)) for name in CLIPS]
    engine.transcribe(clips[1][1])  # warm-up: first calls compile and allocate
    audio_s = processing_s = 0.0
    errors = words = 0
    for name, samples, _info in clips:
        best = None
        for _ in range(runs):
            t0 = time.perf_counter()
            transcript = engine.transcribe(samples)
            elapsed = time.perf_counter() - t0
            best = elapsed if best is None else min(best, elapsed)
        audio_s += samples.size / 16000
        processing_s += best
        e, n = word_errors(reference(name.split(".")[0]), transcript.text)
        errors, words = errors + e, words + n
    return {
        "engine": engine_name,
        "model": model,
        "load_s": load_s,
        "audio_s": audio_s,
        "rtf": processing_s / audio_s,
        "wer": errors / words,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="faster-whisper,openai-whisper")
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--beam", type=int, default=5, help="beam size (the app's default is 5)")
    parser.add_argument("--cache", default=str(ROOT / ".cache" / "models"))
    parser.add_argument(
        "--threads", type=int, default=0, help="CPU threads per engine (0: the app's default)"
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child, args.runs, args.cache, args.beam, args.threads)))
        return
    fixtures()
    rows = []
    for engine in args.engines.split(","):
        for model in args.models.split(","):
            result = subprocess.run(
                [sys.executable, __file__, "--child", engine, model, "--runs", str(args.runs),
                 "--cache", args.cache, "--beam", str(args.beam), "--threads", str(args.threads)],
                capture_output=True, text=True, cwd=ROOT,
            )  # fmt: skip
            if result.returncode != 0:
                print(f"{engine} {model}: failed\n{result.stderr[-2000:]}", file=sys.stderr)
                continue
            rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    print(f"{'engine':<15} {'model':<8} {'audio s':>8} {'s/audio s':>10} {'WER':>7} "
          f"{'peak RSS':>9} {'load s':>7}")  # fmt: skip
    for r in rows:
        print(f"{r['engine']:<15} {r['model']:<8} {r['audio_s']:>8.1f} {r['rtf']:>10.3f} "
              f"{r['wer']:>7.1%} {r['peak_rss_mb']:>6.0f} MB {r['load_s']:>7.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
