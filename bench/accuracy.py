"""How truthful transcripts are, per path, on the evaluation set (bench/speech_set).

    python bench/accuracy.py [--paths whole,streamed] [--only ID ...] [--model base]
                             [--engine faster-whisper] [--show]

Paths, each through the code the app runs:

* ``whole``: the file decoded at once and transcribed segment by segment
  (``transcribe_by_pauses``: uploads, ``rebound transcribe``).
* ``streamed``: the answer arriving in 1 s pieces; after each piece the live step
  (``app.transcription.segments.live_segments``) transcribes what is finished, and at Stop
  ``final_transcript`` does the rest, as the worker does for a recorder's stream.

* ``browser``: Chromium's fake microphone plays the answer into the real recorder on the
  answer page of a running ``rebound serve`` (embedded defaults), which streams it in 1 s
  pieces; the transcript is read from the database when the worker has finished. Answers
  play in real time, so this path takes as long as the audio plus a browser per answer.

Prints per path: word error rate, invented words (said by the transcript, not the speaker),
dropped sentences (more than half their words missing), filler recall and precision, and the
worst pace error (words counted over the same time), for the Piper answers and the human
recordings separately, then every invented word and dropped sentence. ``--show`` prints each
transcript. Accuracy only: nothing is timed.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from scoring import Score, score  # noqa: E402
from speech_set.make import AUDIO, load_set  # noqa: E402

from app.recordings.audio import load_samples  # noqa: E402
from app.transcription import load_engine  # noqa: E402
from app.transcription.base import SAMPLE_RATE  # noqa: E402
from app.transcription.segments import (  # noqa: E402
    final_transcript,
    live_segments,
    transcribe_by_pauses,
)

HUMAN = HERE / "speech_set" / "human"


def clips(only: list[str] | None) -> list[tuple[str, str, Path, str]]:
    """(group, id, file, reference) for every answer in the set."""
    found = [("piper", a["id"], AUDIO / f"{a['id']}.ogg", a["text"]) for a in load_set()]
    texts = yaml.safe_load((HUMAN / "transcripts.yaml").read_text())
    found += [("human", name, HUMAN / f"{name}.flac", text) for name, text in texts.items()]
    return [c for c in found if not only or c[1] in only]


def whole(engine, samples) -> str:
    return transcribe_by_pauses(engine, samples).text


def streamed(engine, samples, piece_s: float = 1.0) -> str:
    """The recorder's path: live steps after every piece, the rest at Stop."""
    committed: list[dict] = []
    until = 0.0
    step = int(piece_s * SAMPLE_RATE)
    for end in range(step, samples.size, step):
        for words, cut in live_segments(engine, samples[:end], committed, until):
            committed, until = words, cut
    return final_transcript(engine, samples, committed, until).text


PATHS = {"whole": whole, "streamed": streamed}


def browser_transcripts(chosen: list[tuple[str, str, Path, str]]) -> dict[str, str]:
    """Record each answer through Chromium's fake microphone; its transcript by answer id."""
    import tempfile

    from onscreen import CHROMIUM, QUESTION_ID, sign_up, start_server
    from playwright.sync_api import sync_playwright
    from streaming import duration_of

    from tests.fixtures.make_fixtures import ffmpeg

    heard: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        data = Path(folder)
        server, base = start_server(data)
        storage = data / "state.json"
        try:
            for _, name, path, _ in chosen:
                wav = data / f"{name}.wav"  # what the fake microphone plays: 48 kHz PCM
                ffmpeg("-i", str(path), "-ar", "48000", "-ac", "1", str(wav))
                browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                    "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={wav}%noloop",
                ])  # fmt: skip
                context = browser.new_context(
                    storage_state=str(storage) if storage.exists() else None
                )
                if not storage.exists():
                    sign_up(context, base)
                    context.storage_state(path=str(storage))
                page = context.new_page()
                page.goto(f"{base}/questions/{QUESTION_ID}/answer")
                page.get_by_role("button", name="Record", exact=True).click()
                stop = page.get_by_role("button", name="Stop")
                stop.wait_for()
                page.wait_for_timeout(duration_of(path) * 1000 + 300)
                stop.click()
                page.wait_for_url("**/attempts/*", timeout=120_000)
                attempt_id = int(page.url.rsplit("/", 1)[-1])
                heard[name] = transcript_when_done(data / "instance" / "rebound.sqlite3",
                                                   attempt_id)  # fmt: skip
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return heard


def transcript_when_done(database: Path, attempt_id: int, wait_s: float = 300) -> str:
    """The attempt's transcript once the worker has finished with it (empty if it failed)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as db:
            status, text = db.execute(
                "SELECT status, transcript_text FROM attempts WHERE id = ?", (attempt_id,)
            ).fetchone()
        if status in ("done", "failed"):
            return text or ""
        time.sleep(0.2)
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", default="whole,streamed", help="whole, streamed, browser")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--engine", default="faster-whisper")
    parser.add_argument("--model", default="base")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    engine = load_engine(args.engine, args.model, cache_dir=str(HERE.parent / ".cache/models"),
                         beam_size=args.beam, verbatim=True)  # fmt: skip
    chosen = clips(args.only)
    audio = {name: load_samples(path)[0] for _, name, path, _ in chosen}
    print(f"{args.engine} {args.model}, beam {args.beam}; {len(chosen)} answers, "
          f"{sum(a.size for a in audio.values()) / SAMPLE_RATE:.0f} s of audio\n")  # fmt: skip
    print("| path | voices | WER | invented words | dropped sentences | filler recall | "
          "filler precision | worst pace error |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    notes = []
    for path in args.paths.split(","):
        totals: dict[str, Score] = {}
        recorded = browser_transcripts(chosen) if path == "browser" else {}
        for group, name, _, reference in chosen:
            heard = recorded[name] if path == "browser" else PATHS[path](engine, audio[name])
            if args.show:
                print(f"  {path} {name}: {heard}", file=sys.stderr)
            totals.setdefault(group, Score())
            totals[group] += score(reference, heard, name)
        for group, s in totals.items():
            print(f"| {path} | {group} | {s.wer:.1%} | {s.invented} | {s.dropped_sentences} of "
                  f"{s.sentences} | {s.filler_recall:.2f} ({s.found_fillers}/{s.ref_fillers}) | "
                  f"{s.filler_precision:.2f} | {s.worst_pace_error:.1%} |")  # fmt: skip
            notes += [f"- {path}: invented {e}" for e in s.invented_examples]
            notes += [f"- {path}: dropped {e}" for e in s.dropped_examples]
    print("\n" + "\n".join(notes or ["No invented words, no dropped sentences."]))


if __name__ == "__main__":
    main()
