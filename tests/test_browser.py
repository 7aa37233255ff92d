"""The whole loop in a real browser: Debian's Chromium, a fake microphone fed from a WAV file,
``rebound serve`` with its worker, and Whisper on the other end."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = next(
    (
        p
        for p in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "")
        if p and Path(p).exists()
    ),
    None,
)
if CHROMIUM is None and os.environ.get("CI") != "true":
    pytest.skip(
        "Debian's chromium is not installed (make test installs it)", allow_module_level=True
    )

playwright_api = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, model_cache, postgres):
    """``rebound serve`` (web + worker) on a free port, with its own data folder."""
    data = tmp_path_factory.mktemp("served")
    port = free_port()
    database = postgres.create(empty=True) if postgres else f"sqlite:///{data / 'db.sqlite3'}"
    env = dict(
        os.environ,
        DATABASE_URL=database,
        REBOUND_DATA_DIR=str(data),
        PORT=str(port),
        SECRET_KEY="browser-test",
        MODEL_CACHE_DIR=str(model_cache),
    )
    with (data / "serve.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"],
            cwd=data,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=2).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError((data / "serve.log").read_text()) from None
            time.sleep(0.3)
    yield base
    process.terminate()
    process.wait(timeout=30)
    if postgres:
        postgres.drop(database)


def launch(p, microphone_wav):
    """Debian's Chromium with a fake microphone that plays ``microphone_wav``."""
    return p.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone_wav}%noloop",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )


@pytest.fixture(scope="module")
def playwright():
    with playwright_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright, audio_fixtures):
    browser = launch(playwright, audio_fixtures / "mic.wav")
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    context.grant_permissions(["microphone"])
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors


def sign_up(page, server, email: str) -> None:
    page.goto(server + "/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("browser test passphrase")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_selector("text=Practise the questions that worry you")


def test_record_submit_and_read_the_transcript(server, page):
    sign_up(page, server, "browser@example.com")
    page.goto(server + "/")
    page.get_by_label("Conflict").check()
    page.get_by_label("Thinking time").select_option("0")
    page.get_by_role("button", name="Start practising").click()
    page.wait_for_selector("text=Question 1 of 5")

    record = page.get_by_role("button", name="Record", exact=True)
    record.click()
    stop = page.get_by_role("button", name="Stop")
    stop.wait_for()
    # The level meter moves while the fake microphone plays speech.
    page.wait_for_selector(".level[data-heard=true]", timeout=10_000)
    assert page.get_by_text("We can hear you").is_visible()
    page.wait_for_timeout(11_000)
    stop.click()  # the pieces were sent while recording: Stop opens the transcript

    page.wait_for_url("**/attempts/*", timeout=30_000)
    page.wait_for_selector(".transcript .word", timeout=90_000)
    text = page.inner_text(".transcript").lower()
    assert sum(word in text for word in ("team", "deadline", "client", "scope", "project")) >= 3, (
        text
    )

    # Clicking a word plays from there and highlights the word being spoken.
    page.locator(".transcript .word").nth(8).click()
    speaking = page.wait_for_selector(".word.speaking", timeout=10_000)
    assert float(speaking.get_attribute("data-start")) > 1.0

    page.get_by_role("link", name="Try again").click()
    page.wait_for_selector("button.record")


def test_space_bar_records_and_think_time_counts_down(server, page):
    sign_up(page, server, "space@example.com")
    page.goto(server + "/questions/2/answer?think=10")
    page.wait_for_selector(".think:not([hidden])")
    left = page.inner_text(".think-left")
    assert left in ("0:10", "0:09")
    page.get_by_role("button", name="Start answering now").click()
    page.get_by_role("button", name="Stop").wait_for()
    page.wait_for_timeout(1500)
    page.locator("h1").click()  # focus outside any control
    page.keyboard.press("Space")
    page.wait_for_url("**/attempts/*", timeout=30_000)


def test_without_streaming_the_whole_recording_is_uploaded_after_listening(server, page):
    """If the streaming API refuses the take, Stop offers listen-back and one upload."""
    sign_up(page, server, "fallback@example.com")
    page.route("**/api/v1/attempts", lambda route: route.fulfill(status=403, body="{}"))
    page.goto(server + "/questions/2/answer")
    page.get_by_role("button", name="Record", exact=True).click()
    page.get_by_role("button", name="Stop").wait_for()
    page.wait_for_timeout(4000)
    page.get_by_role("button", name="Stop").click()
    page.wait_for_selector(".review:not([hidden])")
    assert page.get_by_role("button", name="Record again").is_visible()
    page.get_by_role("button", name="Submit answer").click()
    page.wait_for_url("**/attempts/*", timeout=30_000)
    page.wait_for_selector(".transcript .word", timeout=90_000)


def test_words_appear_while_speaking_and_the_transcript_at_stop(server, playwright, audio_fixtures):
    """A candidate who pauses between sentences sees them under the recorder before Stop."""
    speaking = launch(playwright, audio_fixtures / "paused_mic.wav")
    try:
        context = speaking.new_context()
        context.grant_permissions(["microphone"])
        page = context.new_page()
        sign_up(page, server, "streaming@example.com")
        page.goto(server + "/questions/3/answer")
        page.get_by_role("button", name="Record", exact=True).click()
        page.get_by_role("button", name="Stop").wait_for()
        page.wait_for_selector(".live:not([hidden])", timeout=40_000)
        before_stop = page.inner_text(".live-text").lower()
        assert "customer" in before_stop or "engineer" in before_stop, before_stop
        page.get_by_role("button", name="Stop").click()
        page.wait_for_url("**/attempts/*", timeout=30_000)
        page.wait_for_selector(".transcript .word", timeout=90_000)
        text = page.inner_text(".transcript").lower()
        assert text.startswith(before_stop[:20]), (before_stop, text)
        context.close()
    finally:
        speaking.close()


def record_answer(page) -> None:
    """Record from the fake microphone for a few seconds and submit; wait for the words."""
    page.get_by_role("button", name="Record", exact=True).click()
    page.get_by_role("button", name="Stop").wait_for()
    page.wait_for_timeout(11_000)
    page.get_by_role("button", name="Stop").click()
    page.wait_for_url("**/attempts/*", timeout=30_000)
    page.wait_for_selector(".transcript .word", timeout=90_000)


def test_the_review_loop(server, browser):
    """Candidate records and shares; recruiter pins a comment to words; candidate sees it,
    tries again with the feedback beside the recorder; compare shows both answers."""
    candidate_ctx, recruiter_ctx = browser.new_context(), browser.new_context()
    candidate_ctx.grant_permissions(["microphone"])
    candidate, recruiter = candidate_ctx.new_page(), recruiter_ctx.new_page()
    try:
        sign_up(candidate, server, "loop-candidate@example.com")
        candidate.goto(server + "/questions/5/answer")
        record_answer(candidate)
        attempt_url = candidate.url

        candidate.goto(server + "/shares")
        candidate.get_by_label("Their email").fill("loop-coach@example.com")
        candidate.get_by_role("button", name="Share", exact=True).click()
        candidate.wait_for_selector("text=Shared with loop-coach@example.com")

        recruiter.goto(server + "/signup")
        recruiter.get_by_label("Email").fill("loop-coach@example.com")
        recruiter.get_by_label("Password").fill("recruiter test passphrase")
        recruiter.get_by_label("a recruiter or coach giving feedback").check()
        recruiter.get_by_role("button", name="Create account").click()
        recruiter.goto(server + "/review")
        recruiter.locator(".attempts a").first.click()
        recruiter.wait_for_selector(".transcript .word")
        # Select three words with the mouse, then comment on them.
        recruiter.locator("#w-2").hover()
        recruiter.mouse.down()
        recruiter.locator("#w-4").hover()
        recruiter.mouse.up()
        recruiter.wait_for_selector(".selection-label:has-text('Commenting on')")
        recruiter.get_by_label("Comment", exact=True).fill("Say which team, and how big it was.")
        recruiter.get_by_role("button", name="Add comment").click()
        recruiter.wait_for_selector(".comment:has-text('Say which team')")
        assert recruiter.locator("#w-3.commented").count() == 1

        candidate.goto(server + "/")
        candidate.wait_for_selector("text=New feedback")
        candidate.goto(attempt_url)
        candidate.wait_for_selector(".comment:has-text('Say which team')")
        candidate.get_by_role("link", name="Try again").click()
        candidate.wait_for_selector("text=Feedback on your last answer")
        assert "Say which team" in candidate.inner_text(".feedback-aside")
        record_answer(candidate)

        question_id = candidate.locator(".meta a").first.get_attribute("href").rsplit("/", 1)[-1]
        candidate.goto(f"{server}/questions/{question_id}/compare")
        candidate.wait_for_selector("#player-2")
        assert candidate.locator(".side-by-side .transcript .word").count() > 10
        assert "Say which team" in candidate.inner_text(".side-by-side")
    finally:
        candidate_ctx.close()
        recruiter_ctx.close()


def test_debrief_with_a_spoken_question(server, playwright, browser, audio_fixtures):
    """Log an interview, say the question remembered, get the plan, answer it with the
    employer's feedback beside the recorder."""
    dictating = launch(playwright, audio_fixtures / "asked_mic.wav")
    try:
        context = dictating.new_context()
        context.grant_permissions(["microphone"])
        page = context.new_page()
        sign_up(page, server, "debrief@example.com")
        page.goto(server + "/interviews/new")
        page.get_by_label("Company").fill("Northwind")
        page.get_by_label("Role").fill("Team lead")
        page.get_by_role("button", name="Save interview").click()
        interview_url = page.url
        page.get_by_role("link", name="Say the questions you remember").click()
        record_answer(page)
        page.goto(interview_url)
        page.wait_for_selector("text=We heard these")
        boxes = page.locator("input[name=heard]")
        assert boxes.count() >= 1
        heard = [boxes.nth(i).get_attribute("value") for i in range(boxes.count())]
        assert any("leaving" in text.lower() for text in heard), heard
        page.get_by_role("button", name="Add the ticked questions").click()
        page.wait_for_selector("#questions li a")
        page.get_by_label("What they said").fill("You did not say why you want to move on.")
        page.locator("#feedback input[name=question]").first.check()
        page.get_by_role("button", name="Save feedback").click()
        page.get_by_role("button", name="Build my practice plan").click()
        page.wait_for_selector("text=Question 1 of")
        assert "You did not say why you want to move on." in page.inner_text(".employer-feedback")
        context.close()
    finally:
        dictating.close()
    # Answering the planned question works in the ordinary browser.
    context = browser.new_context()
    context.grant_permissions(["microphone"])
    page = context.new_page()
    page.goto(server + "/login")
    page.get_by_label("Email").fill("debrief@example.com")
    page.get_by_label("Password").fill("browser test passphrase")
    page.get_by_role("button", name="Log in").click()
    page.goto(server + "/interviews")
    page.get_by_role("link", name="Northwind").click()
    page.get_by_role("button", name="Practise the plan").click()
    page.wait_for_selector(".employer-feedback")
    record_answer(page)
    page.goto(server + "/interviews")
    page.get_by_role("link", name="Northwind").click()
    assert "✓" in page.inner_text("#plan tbody tr:first-child")
    context.close()
