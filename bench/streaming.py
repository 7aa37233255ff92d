"""Streamed against whole-file answers through the real app: Stop-to-transcript, load, WER.

    python bench/streaming.py [--models base,tiny.en] [--engines faster-whisper]
                              [--runs 3] [--long-runs 1] [--lengths 30,60,180]
                              [--candidates 1,4,8] [--load-model base]

For each engine and model, starts ``rebound serve`` (web + worker, embedded defaults: SQLite,
huey on SQLite, the worker at nice 5) in a temporary folder and signs up over HTTP. Answers
are spoken sentences with pauses (flite, as the test fixtures; made once under
``tests/fixtures/audio/streaming``), encoded as WebM/Opus like a browser's.

* Streamed: the answer is cut into 1 s pieces (by bytes: Opus at a steady rate) that are sent
  in real time with the recorder's API calls (start, PUT each piece, finish). Stop is the end
  of the audio; the clock runs from there until the API reports the transcript.
* Whole file: the same answer uploaded at Stop as the recorder's fallback does, then polled.
* Load: N candidates each stream a 60 s answer at once (accounts of their own), while another
  client loads the home page every 0.2 s; reports minutes of audio transcribed per minute
  of wall time, Stop-to-transcript p50/p95 and the page's p50/p95 (idle p95 for comparison).

Polling is every 0.1 s, as often as the answer page's event stream checks the answer. Prints
tables in Markdown. WER is against the text each answer speaks (bench/common.py rules).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import wave
from http.cookiejar import CookieJar
from pathlib import Path

from common import FIXTURES, ROOT, fixtures, word_errors
from latency import free_port, multipart, peak_rss_of_children

from tests.fixtures.fillers import CLEAN_ANSWERS
from tests.fixtures.make_fixtures import SPEECH, ffmpeg, speak


def sentences() -> list[str]:
    """Every clean sentence the fixtures speak, in a fixed order."""
    texts = [SPEECH["story"], SPEECH["answer"], *(a.text for a in CLEAN_ANSWERS), SPEECH["short"]]
    found = []
    for text in texts:
        found += [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if s.strip()]
    return found


def paused_answer(seconds: int) -> tuple[Path, str]:
    """A WebM/Opus answer of about ``seconds``, sentences with ~1.2 s pauses; and its text."""
    folder = FIXTURES / "streaming"
    clip, text = folder / f"answer{seconds}.webm", folder / f"answer{seconds}.txt"
    if clip.exists() and text.exists():
        return clip, text.read_text()
    folder.mkdir(parents=True, exist_ok=True)
    parts, spoken, total = [], [], 0.0
    pool = sentences()
    while total < seconds:
        sentence = pool[len(spoken) % len(pool)]
        part = folder / f"part{len(parts)}.wav"
        speak(sentence, part)
        with wave.open(str(part)) as w:
            length = w.getnframes() / w.getframerate()
        if total + length > seconds + 3 and total >= seconds - 6:
            part.unlink()
            break
        parts.append(part)
        spoken.append(sentence)
        total += length
    listing = folder / "parts.txt"
    listing.write_text("".join(f"file '{p.name}'\n" for p in parts))
    joined = folder / "joined.wav"
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(joined))
    ffmpeg("-i", str(joined), "-c:a", "libopus", "-b:a", "32k", "-f", "webm", str(clip))
    for path in [*parts, listing, joined]:
        path.unlink()
    text.write_text(" ".join(spoken))
    return clip, text.read_text()


def duration_of(clip: Path) -> float:
    sys.path.insert(0, str(ROOT))
    from app.recordings.audio import probe

    return probe(clip, 3600).duration_s


class Candidate:
    """One signed-up browser session: cookies and the CSRF token the recorder sends."""

    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = self.opener.open(base + "/signup", timeout=10).read().decode()
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"csrf_token": self.token, "email": email, "password": "benchmark passphrase"}
        self.opener.open(
            urllib.request.Request(base + "/signup", data=urllib.parse.urlencode(form).encode())
        )

    def call(self, method: str, path: str, body: bytes | None = None, ctype: str = ""):
        headers = {"X-CSRFToken": self.token, "Accept": "application/json"}
        if ctype:
            headers["Content-Type"] = ctype
        request = urllib.request.Request(self.base + path, data=body, method=method,
                                         headers=headers)  # fmt: skip
        for delay in (0.2, 0.5, 1, 2, 4, 8):
            try:
                with self.opener.open(request, timeout=60) as reply:
                    raw = reply.read()
                    return reply.status, (json.loads(raw) if raw else None)
            except urllib.error.HTTPError as err:
                if err.code not in (429, 503):
                    raise
                time.sleep(delay)
        raise RuntimeError(f"{method} {path} kept failing")

    def wait_done(self, attempt_id: int) -> dict:
        while True:
            _, body = self.call("GET", f"/api/v1/attempts/{attempt_id}")
            if body["status"] in ("done", "failed"):
                return body
            time.sleep(0.1)

    def stream(self, clip: Path, duration: float) -> tuple[float, dict, int]:
        """Send the answer in real time in 1 s pieces; (Stop→transcript s, attempt, pieces)."""
        data = clip.read_bytes()
        count = max(1, round(duration))
        size = -(-len(data) // count)
        pieces = [data[i : i + size] for i in range(0, len(data), size)]
        _, started = self.call("POST", "/api/v1/attempts",
                               json.dumps({"question_id": 1, "streaming": True}).encode(),
                               "application/json")  # fmt: skip
        attempt_id = started["id"]
        begin = time.perf_counter()
        for seq, piece in enumerate(pieces):
            # Piece seq holds the audio up to (seq + 1) s: it leaves when that has been said.
            wait = begin + (seq + 1) * duration / len(pieces) - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            self.call("PUT", f"/api/v1/attempts/{attempt_id}/chunks/{seq}", piece,
                      "application/octet-stream")  # fmt: skip
        stop = begin + duration
        self.call("POST", f"/api/v1/attempts/{attempt_id}/finish")
        body = self.wait_done(attempt_id)
        return time.perf_counter() - stop, body, len(pieces)

    def upload(self, clip: Path) -> tuple[float, dict]:
        """Upload the whole answer at Stop; (Stop→transcript s, attempt)."""
        body, ctype = multipart({"csrf_token": self.token, "question_id": "1"}, "audio", clip)
        stop = time.perf_counter()
        _, reply = self.call("POST", "/attempts", body, ctype)
        attempt = self.wait_done(reply["id"])
        return time.perf_counter() - stop, attempt


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Server:
    """``rebound serve`` in a temporary folder with the given settings."""

    def __init__(self, settings: dict) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, REBOUND_DATA_DIR=self.folder.name, PORT=str(self.port),
                   MODEL_CACHE_DIR=str(ROOT / ".cache" / "models"), **settings)  # fmt: skip
        self.log = open(Path(self.folder.name) / "serve.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen([sys.executable, "-m", "app", "serve"],
                                        cwd=self.folder.name, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT)  # fmt: skip
        for _ in range(300):
            try:
                urllib.request.urlopen(self.base + "/login", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        log = Path(self.folder.name) / "serve.log"
        for _ in range(300):  # the worker says when its model is loaded
            if "loaded in" in log.read_text(errors="replace"):
                break
            time.sleep(0.2)

    def processing(self) -> list[tuple[float, float]]:
        """(processing_s, duration_s) of every finished attempt, from the database."""
        path = Path(self.folder.name) / "instance" / "rebound.sqlite3"
        with sqlite3.connect(path) as db:
            return db.execute(
                "select processing_s, duration_s from attempts where status = 'done'"
            ).fetchall()

    def worker_peak_mb(self) -> float:
        return max(peak_rss_of_children(self.process.pid).values() or [0.0])

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
        self.folder.cleanup()


def latency_rows(server: Server, clips: dict, runs: dict, label: str) -> list[str]:
    candidate = Candidate(server.base, f"latency-{time.time_ns()}@example.com")
    # One warm-up answer: the first transcription in a process pays one-off costs.
    candidate.upload(clips[min(clips)][0])
    rows, errors = [], {"streamed": [0, 0], "whole file": [0, 0]}
    for seconds, (clip, text) in clips.items():
        duration = duration_of(clip)
        streamed, whole = [], []
        for _ in range(runs[seconds]):
            took, attempt, _ = candidate.stream(clip, duration)
            streamed.append(took)
            e, n = word_errors(text, (attempt.get("transcript") or {}).get("text", ""))
            errors["streamed"][0] += e
            errors["streamed"][1] += n
            took, attempt = candidate.upload(clip)
            whole.append(took)
            e, n = word_errors(text, (attempt.get("transcript") or {}).get("text", ""))
            errors["whole file"][0] += e
            errors["whole file"][1] += n
        rows.append(
            f"| {label} | {duration:.0f} s | {runs[seconds]} | "
            f"{statistics.median(streamed):.2f} / {percentile(streamed, 0.95):.2f} s | "
            f"{statistics.median(whole):.2f} / {percentile(whole, 0.95):.2f} s |"
        )
    done = server.processing()
    rtf = statistics.median(p / d for p, d in done if p and d and d > 25)
    wer = {k: f"{100 * e / n:.1f} %" for k, (e, n) in errors.items()}
    summary = (
        f"| {label} | {wer['streamed']} | {wer['whole file']} | {rtf:.3f} | "
        f"{server.worker_peak_mb():.0f} MB |"
    )
    return rows + [summary]


def page_latencies(base: str, stop: threading.Event, out: list[float]) -> None:
    visitor = Candidate(base, f"visitor-{time.time_ns()}@example.com")
    while not stop.is_set():
        began = time.perf_counter()
        visitor.opener.open(base + "/", timeout=30).read()
        out.append(time.perf_counter() - began)
        time.sleep(0.2)


def load_row(server: Server, clip: Path, count: int, label: str) -> str:
    duration = duration_of(clip)
    candidates = [Candidate(server.base, f"load{count}-{i}-{time.time_ns()}@example.com")
                  for i in range(count)]  # fmt: skip
    idle: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=page_latencies, args=(server.base, stop, idle))
    sampler.start()
    time.sleep(4)
    stop.set()
    sampler.join()
    busy: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=page_latencies, args=(server.base, stop, busy))
    results: list[float] = []
    began = time.perf_counter()

    def answer(candidate: Candidate, delay: float) -> None:
        time.sleep(delay)
        took, _, _ = candidate.stream(clip, duration)
        results.append(took)

    threads = [
        threading.Thread(target=answer, args=(c, 0.25 * i)) for i, c in enumerate(candidates)
    ]
    sampler.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    stop.set()
    sampler.join()
    rate = count * duration / wall
    return (
        f"| {label} | {count} | {rate:.2f} | {statistics.median(results):.2f} / "
        f"{percentile(results, 0.95):.2f} s | {percentile(idle, 0.95) * 1000:.0f} ms | "
        f"{statistics.median(busy) * 1000:.0f} / {percentile(busy, 0.95) * 1000:.0f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="faster-whisper")
    parser.add_argument("--models", default="base,tiny.en")
    parser.add_argument("--lengths", default="30,60,180")
    parser.add_argument("--runs", type=int, default=3, help="runs per answer under 2 minutes")
    parser.add_argument("--long-runs", type=int, default=1, help="runs per longer answer")
    parser.add_argument("--candidates", default="1,4,8", help="load test sizes ('' for none)")
    parser.add_argument("--load-model", default="base", help="the model the load test uses")
    args = parser.parse_args()
    fixtures()
    clips = {int(s): paused_answer(int(s)) for s in args.lengths.split(",") if s}
    runs = {s: (args.runs if s < 120 else args.long_runs) for s in clips}
    latency, summary, load = [], [], []
    for engine in args.engines.split(","):
        for model in args.models.split(","):
            label = f"{engine} {model}"
            print(f"# {label}", file=sys.stderr, flush=True)
            server = Server({"WHISPER_ENGINE": engine, "WHISPER_MODEL": model})
            try:
                if clips:
                    rows = latency_rows(server, clips, runs, label)
                    latency += rows[:-1]
                    summary.append(rows[-1])
                if model == args.load_model and engine == "faster-whisper" and args.candidates:
                    sixty = paused_answer(60)[0]
                    for count in (int(c) for c in args.candidates.split(",")):
                        load.append(load_row(server, sixty, count, label))
            finally:
                server.close()
    nice = os.environ.get("WORKER_NICE", "5")
    print(f"worker nice {nice}, WHISPER_CPU_THREADS={os.environ.get('WHISPER_CPU_THREADS', '0')}")
    print()
    print("| engine, model | answer | runs | streamed: Stop → transcript p50 / p95 | "
          "whole file: Stop → transcript p50 / p95 |")  # fmt: skip
    print("|---|---|---|---|---|")
    print("\n".join(latency))
    print()
    print("| engine, model | WER streamed | WER whole file | s per audio s (whole file) | "
          "worker peak RSS |")  # fmt: skip
    print("|---|---|---|---|---|")
    print("\n".join(summary))
    if load:
        print()
        print("| engine, model | candidates at once | audio min per wall min | "
              "Stop → transcript p50 / p95 | page p95 idle | page p50 / p95 meanwhile |")  # fmt: skip
        print("|---|---|---|---|---|---|")
        print("\n".join(load))


if __name__ == "__main__":
    main()
