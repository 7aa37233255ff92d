"""How truthful transcripts are, per path, on the evaluation set (bench/speech_set).

    python bench/accuracy.py [--paths whole,streamed] [--only ID ...] [--model base]
                             [--engine faster-whisper] [--show] [--piece 1.0] [--lead 0]
                             [--keep DIR] [--noise DBFS] [--tail S] [--gain DB]

Paths, each through the code the app runs:

* ``whole``: the file decoded at once and transcribed segment by segment
  (``transcribe_by_pauses``: uploads, ``rebound transcribe``).
* ``streamed``: the answer arriving in 1 s pieces (``--piece``, shifted by ``--lead``); after each piece the live step
  (``app.transcription.segments.live_segments``) transcribes what is finished and, if the
  speaker has gone quiet, guesses the rest (``tail_guess``); at Stop ``final_transcript``
  keeps that guess or does the rest, as the worker does for a recorder's stream.

* ``browser``: Chromium's fake microphone plays the answer into the real recorder on the
  answer page of a running ``rebound serve`` (embedded defaults), which streams it in 1 s
  pieces; the transcript is read from the database when the worker has finished. Answers
  play in real time, so this path takes as long as the audio plus a browser per answer.
  ``--keep DIR`` copies each stored recording (what the browser sent) into DIR.
* ``replay``: the ``streamed`` path on the recordings kept in ``--keep DIR``: what the
  browser sent, offline and repeatable (the live runs' timing aside).

``--noise DBFS`` plays every answer in a room instead of digital silence: pink noise at that
level (RMS, e.g. -50 for a quiet laptop microphone) under the whole answer, the same noise
for every run; ``--tail S`` adds S seconds of it after the answer, as when a candidate stops
talking before they press Stop. ``--gain DB`` makes the voice that much louder (a microphone
close to the mouth, clipped at full scale) or quieter (negative: far from the microphone, or
its input level low). All three apply to the whole and streamed paths.

Prints per path: word error rate, invented words (said by the transcript, not the speaker),
those of them shown as certain (not marked unsure: the decoder gave them at least
``UNSURE_BELOW``), dropped sentences (more than half their words missing), filler recall and precision, and the
worst pace error (words counted over the same time) of the answers whose pace the page shows
(30 words and 15 s of speech; a shorter answer reads "too short to measure"), and the same
error over every answer (word count), for the Piper answers, the human
recordings and the accented answers (the same answers in Kokoro's Japanese voices,
``speech_set/accented.py``) and the held-out answers (``speech_set/holdout.py``, new answers
in Flite's voices, one group ``holdout-<voice>`` per voice) separately, then every invented word and dropped sentence, then how many correct,
substituted and invented words the decoder gave under 0.3 / 0.5 / 0.7. ``--show`` prints each
transcript, unsure words in [brackets]. Accuracy only: nothing is timed.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
import wave
from functools import partial
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from rooms import conditioned, in_a_room  # noqa: E402
from scoring import DOUBT_KINDS, Score, score  # noqa: E402
from speech_set.holdout import HOLDOUT, load_holdout  # noqa: E402
from speech_set.holdout import VOICES as HOLDOUT_VOICES  # noqa: E402
from speech_set.make import AUDIO, load_set  # noqa: E402

from app.recordings.audio import load_samples  # noqa: E402
from app.reports import speech  # noqa: E402
from app.reports.takeaway import rates_judged  # noqa: E402
from app.transcription import load_engine  # noqa: E402
from app.transcription.base import SAMPLE_RATE, UNSURE_BELOW, unsure  # noqa: E402
from app.transcription.segments import (  # noqa: E402
    final_transcript,
    live_segments,
    tail_guess,
    transcribe_by_pauses,
)

HUMAN = HERE / "speech_set" / "human"
ACCENTED = HERE / "speech_set" / "accented"  # the same answers in Kokoro's voices
DOUBT_LIMITS = (0.3, 0.5, 0.7)


def read_together(names: list[str]) -> Path:
    """The human recordings ``names`` joined in order, each with the silence it was recorded
    with (a WAV made once into the git-ignored .cache)."""
    out = HERE.parent / ".cache" / "speech_set" / ("-".join(names) + ".wav")
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        joined = np.concatenate([load_samples(HUMAN / f"{name}.flac")[0] for name in names])
        with wave.open(str(out), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(SAMPLE_RATE)
            wav.writeframes((np.clip(joined, -1, 1) * 32767).astype("<i2").tobytes())
    return out


def clips(only: list[str] | None, voices: tuple[str, ...] = ()) -> list[tuple[str, str, Path, str]]:
    """(group, id, file, reference) for every answer in the set (``voices``: of these groups
    only; ``only``: these ids; an answer in the accented voices is ``accented-<id>``, a
    held-out answer ``<voice>-<id>`` in the group ``holdout-<voice>``)."""
    found = [("piper", a["id"], AUDIO / f"{a['id']}.ogg", a["text"]) for a in load_set()]
    texts = yaml.safe_load((HUMAN / "transcripts.yaml").read_text())
    found += [("human", name, HUMAN / f"{name}.flac", text) for name, text in texts.items()]
    # Last, so that each earlier answer keeps its index (the seed of its --room).
    found += [("accented", f"accented-{a['id']}", ACCENTED / f"{a['id']}.ogg", a["text"])
              for a in load_set()]  # fmt: skip
    # The held-out answers (speech_set/holdout.py), after all the rest for the same reason:
    # one group per voice, ``holdout-<voice>``, ids ``<voice>-<id>``.
    found += [(f"holdout-{voice}", f"{voice}-{a['id']}", HOLDOUT / voice / f"{a['id']}.ogg",
               a["text"]) for voice in HOLDOUT_VOICES for a in load_holdout()]  # fmt: skip
    # The one reader's LibriVox sentences one after another, as a 26 s answer: the only
    # human recording long enough for the page to show its pace (``pace_shown``).
    together = [name for name in texts if name.startswith("librivox-")]
    found.append(("human", "librivox-together", read_together(together),
                  " ".join(texts[name] for name in together)))  # fmt: skip
    chosen = [c for c in found if not only or {c[1], c[1].removeprefix("accented-")} & set(only)]
    return [c for c in chosen if c[0] in (voices or (c[0],))]


def whole(engine, samples) -> list[dict]:
    return transcribe_by_pauses(engine, samples).to_dict()["words"]


def streamed(engine, samples, piece_s: float = 1.0, lead_s: float = 0.0) -> list[dict]:
    """The recorder's path: live steps after every piece, the rest at Stop. ``lead_s``
    shifts where the pieces end (the first piece is ``piece_s + lead_s`` long)."""
    committed: list[dict] = []
    until, guess = 0.0, None
    step = int(piece_s * SAMPLE_RATE)
    for end in range(step + int(lead_s * SAMPLE_RATE), samples.size, step):
        for words, cut in live_segments(engine, samples[:end], committed, until, guess):
            committed, until = words, cut
        # As a worker with nothing else to do guesses (``speculate``).
        guess = tail_guess(engine, samples[:end], committed, until, guess, speculate=True)
    return final_transcript(engine, samples, committed, until, guess).to_dict()["words"]


PATHS = {"whole": whole, "streamed": streamed}


def browser_transcripts(
    chosen: list[tuple[str, str, Path, str]], keep: Path | None = None
) -> dict[str, list[dict]]:
    """Record each answer through Chromium's fake microphone; its words by answer id.

    ``keep``: a folder to copy each stored recording into (``<id>.<ext>``), to replay the
    live path on exactly what the browser sent (``--replay``)."""
    import tempfile

    from onscreen import CHROMIUM, QUESTION_ID, sign_up, start_server
    from playwright.sync_api import sync_playwright
    from streaming import duration_of

    from tests.fixtures.make_fixtures import ffmpeg

    heard: dict[str, list[dict]] = {}
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
                database = data / "instance" / "rebound.sqlite3"
                heard[name] = transcript_when_done(database, attempt_id)
                if keep:
                    keep_recording(database, data / "audio", attempt_id, keep / name)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return heard


def keep_recording(database: Path, audio: Path, attempt_id: int, to: Path) -> None:
    """Copy the attempt's stored recording beside ``to`` (its extension kept)."""
    import shutil

    with sqlite3.connect(database) as db:
        (key,) = db.execute("SELECT audio_key FROM attempts WHERE id = ?", (attempt_id,)).fetchone()
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(audio / key, to.with_suffix(Path(key).suffix))


def transcript_when_done(database: Path, attempt_id: int, wait_s: float = 300) -> list[dict]:
    """The attempt's words once the worker has finished with it (none if it failed)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as db:
            status, words = db.execute(
                "SELECT status, words FROM attempts WHERE id = ?", (attempt_id,)
            ).fetchone()
        if status in ("done", "failed"):
            return json.loads(words or "[]")
        time.sleep(0.2)
    return []


def doubt_table(path: str, score: Score) -> list[str]:
    """Rows: how many heard words of each kind the decoder gave under each probability."""
    rows = []
    for kind in DOUBT_KINDS:
        found = score.heard[kind]
        under = [sum(p < limit for p in found) for limit in DOUBT_LIMITS]
        rows.append(f"| {path} | {kind} | {len(found)} | " + " | ".join(
            f"{n} ({n / max(1, len(found)):.0%})" for n in under) + " |")  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", default="whole,streamed", help="whole, streamed, browser")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--voices", help="piper, human, accented, holdout-slt, holdout-rms, "
                        "holdout-awb (comma-separated; all)")  # fmt: skip
    parser.add_argument("--engine", default="faster-whisper")
    parser.add_argument("--model", default="base")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--show", action="store_true")
    parser.add_argument("--piece", type=float, default=1.0, help="streamed: piece length, s")
    parser.add_argument("--lead", type=float, default=0.0, help="streamed: shift the pieces, s")
    parser.add_argument("--keep", type=Path, help="browser: copy each recording here; "
                        "replay: stream the recordings kept there")  # fmt: skip
    parser.add_argument("--noise", type=float, help="whole, streamed: room noise at this dBFS")
    parser.add_argument(
        "--gain",
        type=float,
        default=0.0,
        help="whole, streamed: the voice this many dB louder (negative: quieter)",
    )
    parser.add_argument("--tail", type=float, default=0.0, help="whole, streamed: seconds "
                        "of silence (or of the room's noise) added after each answer")  # fmt: skip
    parser.add_argument("--room", action="append", default=[], help="whole, streamed: "
                        "reverb:RT60, phone, hum:DBFS, keys:DBFS, music:DBFS, late:S or think:S "
                        "(repeatable)")  # fmt: skip
    args = parser.parse_args()
    engine = load_engine(args.engine, args.model, cache_dir=str(HERE.parent / ".cache/models"),
                         beam_size=args.beam, verbatim=True)  # fmt: skip
    chosen = clips(args.only, tuple(args.voices.split(",")) if args.voices else ())
    seeds = {c[1]: index for index, c in enumerate(clips(None))}  # the same with --only
    audio = {}
    for _, name, path, _ in chosen:
        seed = seeds[name]
        samples = load_samples(path)[0]
        for condition in args.room:  # the room first, then the late Stop and the noise
            samples = conditioned(samples, condition, seed)
        audio[name] = in_a_room(samples, args.noise, args.tail, seed, args.gain)
    print(f"{args.engine} {args.model}, beam {args.beam}; {len(chosen)} answers, "
          f"{sum(a.size for a in audio.values()) / SAMPLE_RATE:.0f} s of audio\n")  # fmt: skip
    print("| path | voices | WER | invented words | invented, shown as certain | dropped sentences "
          "| filler recall | filler precision | worst pace error (answers paced) "
          "| worst word-count error (all) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    notes, doubts = [], []
    runs = {"streamed": partial(streamed, piece_s=args.piece, lead_s=args.lead)}
    for path in args.paths.split(","):
        totals: dict[str, Score] = {}
        recorded = browser_transcripts(chosen, args.keep) if path == "browser" else {}
        for group, name, _, reference in chosen:
            run = runs.get(path, PATHS.get(path))
            if path == "browser":
                words = recorded[name]
            elif path == "replay":  # the live path on what the browser sent, offline
                (kept,) = args.keep.glob(f"{name}.*")
                words = runs["streamed"](engine, load_samples(kept)[0])
            else:
                words = run(engine, audio[name])
            if args.show:
                print(f"  {path} {name}: {shown(words)}", file=sys.stderr)
            heard = [(w["word"], w.get("probability", 1.0), unsure(w)) for w in words]
            totals.setdefault(group, Score())
            totals[group] += score(reference, heard, name, paced=pace_shown(words))
        for group, s in totals.items():
            print(f"| {path} | {group} | {s.wer:.1%} | {s.invented} | {s.invented_certain} | "
                  f"{s.dropped_sentences} of {s.sentences} | {s.filler_recall:.2f} "
                  f"({s.found_fillers}/{s.ref_fillers}) | {s.filler_precision:.2f} | "
                  f"{paced(s)} | {s.worst_count_error:.1%} |")  # fmt: skip
            notes += [f"- {path}: invented {e}" for e in s.invented_examples]
            notes += [f"- {path}: dropped {e}" for e in s.dropped_examples]
        every = Score()
        for s in totals.values():
            every += s
        doubts += doubt_table(path, every)
    print("\n" + "\n".join(notes or ["No invented words, no dropped sentences."]))
    print(f"\nHeard words by the decoder's probability (marked unsure under {UNSURE_BELOW}):\n")
    print("| path | heard words | all | " + " | ".join(f"under {p}" for p in DOUBT_LIMITS) + " |")
    print("|---|---|---|" + "---|" * len(DOUBT_LIMITS))
    print("\n".join(doubts))


def pace_shown(words: list[dict]) -> bool:
    """Whether the answer page shows this transcript's pace: only once an answer is long
    enough for words a minute to mean anything (``rates_judged``: 30 words, 15 s of speech);
    a shorter one reads "too short to measure"."""
    if not words:
        return False
    metrics = speech.compute(words, float(words[-1]["end"]), by_meaning=False)
    return rates_judged(metrics)


def paced(s: Score) -> str:
    """The worst pace error of the answers whose pace is shown, and how many there were."""
    if not s.pace_errors:
        return "– (none paced)"
    return f"{s.worst_pace_error:.1%} ({len(s.pace_errors)} paced)"


def shown(words: list[dict]) -> str:
    """The transcript as the page shows it, with unsure words in [brackets]."""
    return "".join(f" [{w['word'].strip()}]" if unsure(w) else w["word"] for w in words).strip()


if __name__ == "__main__":
    main()
