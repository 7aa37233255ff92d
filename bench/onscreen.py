"""Stop to the transcript on screen, in a real browser: Chromium with a fake microphone.

    PYTHONPATH=. .venv/bin/python bench/onscreen.py [--lengths 15,60,180] [--runs 5]
                                                    [--long-runs 3] [--warmup 1]
                                                    [--answers FILE,...]

Starts ``rebound serve`` (web + worker, embedded defaults: SQLite, huey on SQLite, the worker
at nice 5, base beam 5) in a temporary folder and signs up in Debian's Chromium. For each
length it makes a spoken answer with pauses (flite sentences, as ``bench/streaming.py``;
kept under ``tests/fixtures/audio/streaming``), or takes each of ``--answers`` (any audio
file: ``bench/speech_set/audio/fluent-fast.ogg`` is a fluent speaker whose sentences follow
each other with short gaps, the rhythm the live cuts find hardest), plays it into Chromium's
fake microphone,
records it on the answer page with the real recorder (1 s pieces streamed while it plays)
and presses Stop when the audio is over. Times come from the browser's own clock:

* ``Stop``: the click on the Stop button (a capture-phase listener, kept in sessionStorage);
* ``page``: the answer page Stop opens starts loading (its ``performance.timeOrigin``);
* ``ready``: the worker committed the transcript (the attempt's ``finished_at``, same machine);
* ``shown``: the frame in which the first word of the transcript is drawn on the answer page
  (a MutationObserver, then ``requestAnimationFrame``).

Prints, per length, p50 / p95 / max of Stop → shown (the figure the issue asks for) and of
the parts, and what the answer page asked the server for: event streams opened and status
fragments fetched (one per pushed change), and polls (requests for the attempt's JSON, which
only the fallback makes). p95 is the nearest rank: with fewer than 20 runs, the largest.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from common import FIXTURES, ROOT, free_port
from streaming import duration_of, paused_answer

from tests.fixtures.make_fixtures import ffmpeg

CHROMIUM = "/usr/lib/chromium/chromium"
QUESTION_ID = 3

# Runs in every page before its own scripts.
TIMING = """
(() => {
  const now = () => performance.timeOrigin + performance.now();
  document.addEventListener("click", (e) => {
    const button = e.target.closest && e.target.closest("button.record");
    if (button && button.textContent.trim() === "Stop") sessionStorage.setItem("stopAt", now());
  }, true);
  if (!/^\\/attempts\\/\\d+$/.test(location.pathname)) return;
  window.__pageAt = performance.timeOrigin;
  const seen = () => {
    if (window.__shownAt || !document.querySelector(".transcript .word")) return false;
    requestAnimationFrame(() => {
      window.__shownAt = now();
      document.documentElement.dataset.shownAt = "";  // for wait_for_selector (no eval here)
    });
    return true;
  };
  new MutationObserver((_, observer) => { if (seen()) observer.disconnect(); })
    .observe(document, { childList: true, subtree: true });
})();
"""


def microphone_wav(seconds: int) -> tuple[Path, float]:
    """A ~``seconds`` answer with pauses as the 48 kHz WAV Chromium's fake microphone plays."""
    clip, _ = paused_answer(seconds)
    wav = FIXTURES / "streaming" / f"mic{seconds}.wav"
    if not wav.exists():
        ffmpeg("-i", str(clip), "-ar", "48000", "-ac", "1", str(wav))
    return wav, duration_of(clip)


def answer_wav(path: Path, folder: Path) -> tuple[Path, float]:
    """Any answer recording as the 48 kHz WAV Chromium's fake microphone plays (named after
    its whole path: two voices' ``fluent-fast.ogg`` once shared one WAV, the second's)."""
    wav = folder / ("-".join(path.with_suffix("").parts[-3:]) + ".wav")
    ffmpeg("-i", str(path), "-ar", "48000", "-ac", "1", str(wav))
    return wav, duration_of(wav)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: with 5 runs, p95 is the largest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def span(values: list[float], *shares: float) -> str:
    """Percentiles of ``values`` as "0.61 / 0.80 s"."""
    return " / ".join(f"{percentile(values, share):.2f}" for share in shares) + " s"


def start_server(data: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, REBOUND_DATA_DIR=str(data), PORT=str(port), PYTHONPATH=str(ROOT))
    log = (data / "serve.log").open("ab")
    server = subprocess.Popen([sys.executable, "-m", "app", "serve"], cwd=data, env=env,
                              stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(base + "/signup", timeout=2).close()
            return server, base
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit((data / "serve.log").read_text()) from None
            time.sleep(0.3)


def finished_at(database: Path, attempt_id: int) -> float:
    """When the worker committed the transcript, as Unix milliseconds."""
    with sqlite3.connect(database) as db:
        (value,) = db.execute(
            "SELECT finished_at FROM attempts WHERE id = ?", (attempt_id,)
        ).fetchone()
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp() * 1000


def answer_once(context, base: str, database: Path, duration: float) -> dict:
    """Record one answer in a fresh tab; the timings of its Stop, in seconds."""
    page = context.new_page()
    requests: list[str] = []  # paths, in the order asked
    page.on("request", lambda request: requests.append(urlsplit(request.url).path))
    page.goto(f"{base}/questions/{QUESTION_ID}/answer")
    page.wait_for_load_state("load")
    page.get_by_role("button", name="Record", exact=True).click()
    stop = page.get_by_role("button", name="Stop")
    stop.wait_for()
    page.wait_for_timeout(duration * 1000)  # the microphone plays the answer, then Stop
    stop.click()
    page.wait_for_url("**/attempts/*", timeout=120_000)
    page.wait_for_selector("html[data-shown-at]", state="attached", timeout=120_000)
    stop_at = float(page.evaluate("sessionStorage.getItem('stopAt')"))
    page_at, shown_at = page.evaluate("[window.__pageAt, window.__shownAt]")
    attempt_id = int(page.url.rsplit("/", 1)[-1])
    ready_at = finished_at(database, attempt_id)
    words = page.locator(".transcript .word").count()
    own = f"/attempts/{attempt_id}"
    opened = requests.index(own)  # the answer page itself; what it asked for follows
    page.close()
    return {
        "shown": (shown_at - stop_at) / 1000,
        "page": (page_at - stop_at) / 1000,
        "ready": (ready_at - stop_at) / 1000,
        "push": (shown_at - ready_at) / 1000,
        "words": words,
        "streams": requests[opened:].count(f"/api/v1{own}/events"),
        "fragments": requests[opened + 1 :].count(own),
        "polls": requests.count(f"/api/v1{own}"),
    }


def sign_up(context, base: str) -> None:
    page = context.new_page()
    page.goto(base + "/signup")
    page.get_by_label("Email").fill("onscreen@example.com")
    page.get_by_label("Password").fill("benchmark passphrase")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(base + "/")
    page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", default="15,60,180", help="answer lengths in seconds")
    parser.add_argument("--runs", type=int, default=5, help="runs per length up to 60 s")
    parser.add_argument("--long-runs", type=int, default=3, help="runs per longer length")
    parser.add_argument("--warmup", type=int, default=1, help="uncounted 15 s answers first")
    parser.add_argument("--answers", default="", help="answer recordings to play instead of "
                        "(or besides, with --lengths) the paused flite answers, comma-separated")  # fmt: skip
    parser.add_argument("--log", type=Path, help="copy the server's log (worker included) here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    lengths: list = [int(n) for n in args.lengths.split(",") if n]
    clips: dict = {n: microphone_wav(n) for n in sorted({15, *lengths})}
    results: dict = {}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        data = Path(folder)
        for name in filter(None, args.answers.split(",")):
            clips[name] = answer_wav(Path(name), data)
            lengths.append(name)
        server, base = start_server(data)
        database = data / "instance" / "rebound.sqlite3"
        storage = data / "state.json"
        try:
            for n in ["warmup"] * min(args.warmup, 1) + lengths:
                wav, duration = clips[15 if n == "warmup" else n]
                browser = p.chromium.launch(executable_path=chromium, args=[
                    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={wav}%noloop",
                ])  # fmt: skip
                context = browser.new_context(
                    storage_state=str(storage) if storage.exists() else None
                )
                context.add_init_script(TIMING)
                if not storage.exists():
                    sign_up(context, base)
                    context.storage_state(path=str(storage))
                long = isinstance(n, int) and n > 60 or duration > 60
                runs = args.warmup if n == "warmup" else (args.long_runs if long else args.runs)
                for run in range(runs):
                    timing = answer_once(context, base, database, duration)
                    print(f"{n if isinstance(n, str) else f'{n} s'}, run {run + 1}: " + ", ".join(
                        f"{k} {v:.2f} s" if isinstance(v, float) else f"{k} {v}"
                        for k, v in timing.items()), flush=True)  # fmt: skip
                    if n != "warmup":
                        results.setdefault(n, []).append(timing)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
            if args.log:
                shutil.copy(data / "serve.log", args.log)
    load = os.getloadavg()[0]
    print(f"\nrebound serve defaults, Chromium with a fake microphone; load average {load:.1f} "
          f"at the end, {os.cpu_count()} CPUs\n")  # fmt: skip
    print(
        "| answer | runs | Stop → on screen p50 / p95 / max | Stop → ready p50 / p95 | "
        "ready → on screen p50 / p95 | Stop → page starts p50 | streams, fragments, polls |"
    )
    print("|---|---|---|---|---|---|---|")
    for n, timings in results.items():
        column = {k: [t[k] for t in timings] for k in timings[0]}
        shown = span(column["shown"], 0.5, 0.95) + f" / {max(column['shown']):.2f} s"
        counts = ", ".join(str(sum(column[k])) for k in ("streams", "fragments", "polls"))
        answer = (f"{round(duration_of(paused_answer(n)[0]))} s" if isinstance(n, int) else
                  f"{'/'.join(Path(n).with_suffix('').parts[-2:])}, {round(clips[n][1])} s")  # fmt: skip
        print(f"| {answer} | {len(timings)} | **{shown}** | "
              f"{span(column['ready'], 0.5, 0.95)} | {span(column['push'], 0.5, 0.95)} | "
              f"{statistics.median(column['page']):.2f} s | {counts} |")  # fmt: skip


if __name__ == "__main__":
    main()
