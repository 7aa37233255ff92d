"""Stop to the interviewer's next words, in a real browser: the mock interview room in Chromium.

    PYTHONPATH=. .venv/bin/python bench/interview_turns.py [--turns 10] [--warmup 1] [--log FILE]

Starts ``rebound serve`` (web + worker, embedded defaults, the Piper voice) in a temporary
folder, signs up in Debian's Chromium and sits real-mode mock interviews of eight behavioural
questions. For every answer the fake microphone tells the test suite's story without an
outcome, with pauses between its sentences (as a candidate tells it: the streamed transcript
then ends at the last pause); the room streams it while it plays, and the benchmark presses
Stop when it is over. What follows is the product's own path: the last piece and the finish
are sent, the answer is posted, the worker transcribes the tail, reads the answer by meaning
and chooses the next turn (a follow-up, the next question, or the end), the page's poll (every
150 ms) sees it, and the interviewer's voice, made ahead while the candidate spoke, starts.

Times come from the room itself (``window.ReboundInterviewTimings``, ``performance.now()``):
Stop → the recorder's last piece → the streamed answer finished → the answer taken (202) →
the next turn seen → its voice requested and downloaded (Resource Timing) → playing; and from
the database, when the worker stored the transcript. Prints the machine, every turn, and
p50 / p95 / max (p95 by nearest rank: with fewer than 20 turns, the largest). The first
``--warmup`` turns load the models (the first answer a fresh worker reads) and are shown but
not counted.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from common import FIXTURES, make_all
from onscreen import CHROMIUM, span, start_server
from streaming import duration_of

from tests.fixtures.make_fixtures import SPEECH, ffmpeg, speak_with_pauses

STEPS = ("recorded", "sent", "posted", "chosen", "asked", "fetched", "voice")
LABELS = {
    "transcribed": "transcript stored (worker)",
    "recorded": "last piece",
    "sent": "stream finished",
    "posted": "answer taken",
    "chosen": "next turn seen",
    "asked": "voice requested",
    "fetched": "voice downloaded",
    "voice": "voice playing",
}


def machine() -> str:
    """CPUs usable here, the CPU model and the load, for the figures' context."""
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{usable} CPUs usable (nproc), {model}, {platform.system()}; load average {load}"


def transcribed_at(database: Path, attempt_id: int) -> float:
    """When the worker stored the transcript, as Unix milliseconds."""
    with sqlite3.connect(database) as db:
        (value,) = db.execute(
            "SELECT finished_at FROM attempts WHERE id = ?", (attempt_id,)
        ).fetchone()
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp() * 1000


def microphone() -> tuple[Path, float]:
    """The story without an outcome told with pauses between its sentences, as a candidate
    tells it (the streamed transcript then ends at the last pause, as in use): the 48 kHz WAV
    Chromium's fake microphone plays, and how long it plays."""
    folder = make_all(FIXTURES) / "streaming"
    wav = folder / "no_result_paused_mic.wav"
    if not wav.exists():
        folder.mkdir(exist_ok=True)
        spoken = folder / "no_result_paused.wav"
        speak_with_pauses(SPEECH["no_result"], spoken)
        ffmpeg("-i", str(spoken), "-af", "apad=pad_dur=2", "-ar", "48000", "-ac", "1", str(wav))
    return wav, duration_of(folder / "no_result_paused.wav")


def sign_up(page, base: str) -> None:
    page.goto(base + "/signup")
    page.get_by_label("Email").fill("interview-bench@example.com")
    page.get_by_label("Password").fill("benchmark passphrase")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(base + "/")


def start_interview(page, base: str) -> str:
    """A real-mode interview of eight behavioural questions; the room's URL."""
    listed = page.request.get(base + "/api/v1/questions").json()["questions"]
    stories = [q["id"] for q in listed if "behavioural" in (q["tags"] or [])][:8]
    page.goto(base + "/mock-interviews")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        base + "/api/v1/mock-interviews",
        data={"question_ids": stories, "mode": "real", "silence_seconds": 5},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    if response.status != 201:
        raise SystemExit(f"could not start an interview: {response.status} {response.text()}")
    return base + response.json()["url"]


def answer_turn(page, base: str, database: Path, speaking_s: float) -> dict:
    """Answer the current turn and wait for the next one's voice (a turn, or the closing
    words); its timings in seconds from Stop, and whether the interview is over."""
    page.wait_for_selector(".room[data-recording=true]")
    page.wait_for_timeout(speaking_s * 1000)  # the story is over: Stop
    voices = int(page.get_attribute(".room", "data-voice-played") or 0)
    turn_id = page.get_attribute(".room", "data-turn-id")
    page.locator("button.stop").click()
    # Attributes, not a predicate: the CSP allows no eval in the page.
    page.wait_for_selector(f".room[data-voice-played='{voices + 1}']", state="attached")
    timing, origin, fetch = page.evaluate(
        "[window.ReboundInterviewTimings.at(-1), performance.timeOrigin,"
        " performance.getEntriesByType('resource').filter((e) => e.name.includes('/speech'))"
        "   .map((e) => [e.startTime, e.responseEnd]).at(-1)]"
    )
    if fetch and fetch[0] >= timing["stop"]:
        timing["asked"], timing["fetched"] = fetch
    interview_id = page.get_attribute(".room", "data-state-url").rstrip("/").rsplit("/", 1)[-1]
    state = page.request.get(f"{base}/api/v1/mock-interviews/{interview_id}").json()
    answered = next(t for t in state["turns"] if str(t["id"]) == turn_id)
    seconds = {k: (timing[k] - timing["stop"]) / 1000 for k in STEPS if k in timing}
    stored = transcribed_at(database, answered["attempt_id"])
    seconds["transcribed"] = (stored - origin - timing["stop"]) / 1000
    over = state["status"] == "finished"
    seconds["next"] = "closing" if over else state["current_turn"]["kind"]
    if over:
        page.wait_for_selector(".turns")  # the debrief, once the closing words are said
    else:
        # Real mode pauses to think before the next answer: skip it, as a hurried candidate may.
        page.locator(".think-skip").click()
    seconds["over"] = over
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=10, help="turns counted")
    parser.add_argument("--warmup", type=int, default=1, help="turns first, not counted")
    parser.add_argument("--log", type=Path, help="copy the server's log (worker included) here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    wav, speaking_s = microphone()
    print(machine(), flush=True)
    counted: list[dict] = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        data = Path(folder)
        server, base = start_server(data)
        database = data / "instance" / "rebound.sqlite3"
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required",
            f"--use-file-for-fake-audio-capture={wav}%noloop",
        ])  # fmt: skip
        try:
            context = browser.new_context()
            context.set_default_timeout(180_000)
            # The room asks for the state every 150 ms: keep every request's timing, not the
            # browser's first 250, so the voice's download is still there at turn 10.
            context.add_init_script("performance.setResourceTimingBufferSize(100000)")
            page = context.new_page()
            sign_up(page, base)
            done = 0
            while done < args.warmup + args.turns:
                room_url = start_interview(page, base)
                page.goto(room_url)
                page.wait_for_selector(".room[data-ready=true]")
                page.locator("button.begin").click()
                page.locator(".think-skip").click()
                while done < args.warmup + args.turns:
                    timing = answer_turn(page, base, database, speaking_s)
                    done += 1
                    warm = done <= args.warmup
                    print(f"turn {done}{' (warm-up)' if warm else ''}, then {timing['next']}: "
                          + ", ".join(f"{LABELS.get(k, k)} {timing[k]:.2f}"
                                      for k in (*STEPS, "transcribed") if k in timing)
                          + " s", flush=True)  # fmt: skip
                    if not warm:
                        counted.append(timing)
                    if timing["over"]:
                        break  # a new interview goes on
        finally:
            browser.close()
            server.terminate()
            server.wait(timeout=30)
            if args.log:
                shutil.copy(data / "serve.log", args.log)
    print(f"\n{machine()} (at the end)\n")
    print("| from Stop to | p50 / p95 / max |")
    print("|---|---|")
    for step in (*STEPS, "transcribed"):
        values = [t[step] for t in counted if step in t]
        if values:
            label = f"**{LABELS[step]}**" if step == "voice" else LABELS.get(step, step)
            print(f"| {label} | {span(values, 0.5, 0.95)[:-2]} / {max(values):.2f} s |")
    print(f"\n{len(counted)} turns counted; the target is p95 under 1.5 s on 2 cores.")


if __name__ == "__main__":
    main()
