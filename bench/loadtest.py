"""Load test: many candidates at once against the scaled deployment, on this machine.

    python bench/loadtest.py [--candidates 50] [--duration 180] [--web-processes 3]
                             [--workers 2] [--model tiny.en] [--beam 1]

Starts, in a temporary folder and on loopback only:
- ``rebound serve --production`` (gunicorn, several processes), with the queue on Redis,
  the database on PostgreSQL (a new database, dropped afterwards) and recordings in a local
  folder the processes share;
- ``--workers`` ``rebound worker`` processes on the same Redis queue.
Then ``--candidates`` simulated candidates (threads) each loop for ``--duration`` seconds:
open the home page and the question list, upload a 30-60 s answer (Opus in WebM, as the
browser records), poll the attempt until it is transcribed, open their history and progress, pause.
Halfway through one worker is killed with SIGKILL. After the drive phase no new answers
are started; the script waits (bounded by ``--drain``) until every answer is transcribed.

Prints requests per second, p50/p95/p99 per route, errors, answers submitted against
answers transcribed, and what became of the answers the killed worker held.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import requests
from common import ROOT, ffmpeg, fixtures, free_port

sys.path.insert(0, str(ROOT))
from tests.databases import PostgresDatabases  # noqa: E402


def clips() -> list[Path]:
    """Answers of about 32, 44 and 57 seconds, in Opus/WebM."""
    folder = fixtures()
    made = []
    for name, source, seconds in (("load32", "story.wav", 32), ("load44", "story.wav", 44)):
        target = folder / f"{name}.webm"
        if not target.exists():
            ffmpeg("-i", str(folder / source), "-t", str(seconds), "-c:a", "libopus",
                   "-b:a", "32k", "-f", "webm", str(target))  # fmt: skip
        made.append(target)
    return [*made, folder / "minute.webm"]


class Stats:
    """Latencies per route and errors, shared by the candidate threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.submitted: list[int] = []
        self.transcribed: list[int] = []

    def timed(self, route: str, call, expect=(200,)):
        started = time.perf_counter()
        try:
            response = call()
        except requests.RequestException as err:
            with self.lock:
                self.errors[f"{route}: {type(err).__name__}"] += 1
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latency[route].append(elapsed)
            if response.status_code not in expect:
                self.errors[f"{route}: HTTP {response.status_code}"] += 1
        return response


def candidate(n: int, base: str, stats: Stats, answers: list[Path], ready, stop_at) -> None:
    web = requests.Session()
    email = f"load{n}-{uuid.uuid4().hex[:6]}@example.com"
    page = web.get(base + "/signup", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    web.post(base + "/signup", data={"csrf_token": token, "email": email,
             "password": "load test passphrase"}, timeout=60)  # fmt: skip
    web.headers["X-CSRFToken"] = token
    rng = random.Random(n)
    ready.wait()  # sign-ups (a deliberately slow password hash each) are not measured
    while time.monotonic() < stop_at[0]:
        stats.timed("GET /", lambda: web.get(base + "/", timeout=60))
        stats.timed("GET /questions", lambda: web.get(base + "/questions", timeout=60))
        clip = rng.choice(answers)
        question = rng.randint(1, 40)
        with clip.open("rb") as audio:
            reply = stats.timed(
                "POST /attempts",
                lambda audio=audio, question=question, clip=clip: web.post(
                    base + "/attempts",
                    data={"question_id": str(question), "upload_id": uuid.uuid4().hex},
                    files={"audio": (clip.name, audio, "audio/webm")},
                    headers={"Accept": "application/json"},
                    timeout=120,
                ),
                expect=(201,),
            )
        if reply is None or reply.status_code != 201:
            time.sleep(1)
            continue
        attempt_id = reply.json()["id"]
        with stats.lock:
            stats.submitted.append(attempt_id)
        while True:  # the page's htmx block polls once a second
            time.sleep(1)
            shown = stats.timed(
                "GET /api/v1/attempts/<id>",
                lambda attempt_id=attempt_id: web.get(
                    f"{base}/api/v1/attempts/{attempt_id}", timeout=60
                ),
            )
            if shown is not None and shown.status_code == 200:
                status = shown.json()["status"]
                if status == "done":
                    with stats.lock:
                        stats.transcribed.append(attempt_id)
                    break
                if status == "failed":
                    with stats.lock:
                        stats.errors["transcription failed"] += 1
                    break
        stats.timed("GET /history", lambda: web.get(base + "/history", timeout=60))
        stats.timed("GET /progress", lambda: web.get(base + "/progress", timeout=60))
        time.sleep(rng.uniform(1, 3))


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "app", *args], env=env, cwd=env["HOME_DIR"],
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--duration", type=float, default=180, help="drive phase, seconds")
    parser.add_argument("--drain", type=float, default=600, help="longest wait afterwards")
    parser.add_argument("--web-processes", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument(
        "--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()

    answers = clips()
    databases = PostgresDatabases(args.postgres)
    database = databases.create(empty=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    queue_name = f"rebound-load-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, REBOUND_DATA_DIR=data, HOME_DIR=data, PORT=str(port),
                   DATABASE_URL=database, REDIS_URL=args.redis, QUEUE_NAME=queue_name,
                   SECRET_KEY="load-test", WHISPER_MODEL=args.model,
                   # Every simulated candidate signs up from loopback in the first seconds.
                   SIGNUP_RATE_LIMIT="1000 per minute",
                   WHISPER_BEAM_SIZE=str(args.beam), LOG_FORMAT="json",
                   MODEL_CACHE_DIR=str(ROOT / ".cache" / "models"))  # fmt: skip
        logs = Path(data)
        web = start(["serve", "--production", "--processes", str(args.web_processes)], env,
                    logs / "web.log")  # fmt: skip
        workers = [start(["worker"], env, logs / f"worker{i}.log") for i in range(args.workers)]
        try:
            for _ in range(600):
                try:
                    if requests.get(base + "/readyz", timeout=5).status_code == 200:
                        break
                except requests.ConnectionError:
                    pass
                time.sleep(0.2)
            while not all("loaded in" in (logs / f"worker{i}.log").read_text()
                          for i in range(args.workers)):  # fmt: skip
                time.sleep(0.5)
            stats = Stats()
            ready = threading.Barrier(args.candidates + 1)
            stop_at = [float("inf")]
            threads = [
                threading.Thread(target=candidate, args=(n, base, stats, answers, ready, stop_at))
                for n in range(args.candidates)
            ]
            for thread in threads:
                thread.start()
            ready.wait()
            started = time.monotonic()
            stop_at[0] = started + args.duration
            time.sleep(args.duration / 2)
            held = transcribing(database)
            workers[0].send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            killed_wall = datetime.now(UTC).replace(tzinfo=None)
            print(f"killed worker 0 at {killed_at - started:.0f} s; answers being "
                  f"transcribed then: {held}", flush=True)  # fmt: skip
            drain_deadline = stop_at[0] + args.drain
            for thread in threads:
                thread.join(timeout=max(1, drain_deadline - time.monotonic()))
            wall = time.monotonic() - started
            recovered = recovery(database, held)
        finally:
            web.terminate()
            for worker in workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGINT)
            web.wait(timeout=60)
            for worker in workers:
                worker.wait(timeout=60)
            databases.drop(database)
    report(args, stats, wall, held, recovered, killed_at - started, killed_wall)


def transcribing(database: str) -> list[int]:
    import sqlalchemy as sa

    engine = sa.create_engine(database)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id FROM attempts WHERE status = 'transcribing'"))
        held = [row[0] for row in rows]
    engine.dispose()
    return held


def recovery(database: str, held: list[int]) -> list[tuple]:
    import sqlalchemy as sa

    if not held:
        return []
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, status, tries, finished_at FROM attempts WHERE id = ANY(:ids)"),
            {"ids": held},
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def report(args, stats, wall: float, held, recovered, killed_at: float, killed_wall) -> None:
    total = sum(len(v) for v in stats.latency.values())
    print()
    print(f"{args.candidates} candidates, {args.duration:.0f} s drive phase, "
          f"{args.web_processes} web processes, {args.workers} workers "
          f"(faster-whisper {args.model}, beam {args.beam}), PostgreSQL + Redis")  # fmt: skip
    print(f"wall time until every answer was settled: {wall:.0f} s")
    print(f"requests: {total}, {total / wall:.1f} per second")
    print()
    print("| route | requests | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|")
    for route, values in sorted(stats.latency.items()):
        print(f"| {route} | {len(values)} | {statistics.median(values) * 1000:.0f} | "
              f"{percentile(values, 0.95) * 1000:.0f} | {percentile(values, 0.99) * 1000:.0f} |")  # fmt: skip
    print()
    print(f"errors: {sum(stats.errors.values())} {dict(stats.errors) or ''}")
    print(f"answers submitted: {len(stats.submitted)}, transcribed: {len(stats.transcribed)}")
    print(f"worker 0 SIGKILLed at {killed_at:.0f} s holding {len(held)} answer(s): "
          + ", ".join(f"#{i} {status} after {tries} tries, "
                      f"{(done - killed_wall).total_seconds():.0f} s after the kill"
                      for i, status, tries, done in recovered if done))  # fmt: skip


if __name__ == "__main__":
    main()
