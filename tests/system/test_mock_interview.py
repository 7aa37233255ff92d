# ruff: noqa: F811 (the browser fixtures are imported from test_browser and used by name)
"""The mock interview in Debian's Chromium, by keyboard: the interviewer asks aloud, the fake
microphone tells a story that stops before its outcome, and the interviewer asks for the
result (caption shown, voice played), then the debrief lists both turns and why the second
was asked. ``rebound serve`` does the listening: Whisper, the reading by meaning, Piper."""

from __future__ import annotations

import pytest

from tests.system.test_browser import (  # noqa: F401 (fixtures)
    launch,
    new_context,
    playwright,
    server,
    sign_up,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

QUESTION = "Tell me about a time you disagreed with your manager"


def start_interview(page, server: str, mode: str = "real", count: int = 3) -> str:
    """Start an interview whose first question is the manager story's, through the JSON API
    the room itself uses (the form draws its questions at random); the room's URL."""
    listed = page.request.get(server + "/api/v1/questions").json()["questions"]
    first = next(q["id"] for q in listed if q["text"].startswith(QUESTION))
    others = [q["id"] for q in listed if q["category"] == "Conflict" and q["id"] != first]
    page.goto(server + "/mock-interviews")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        server + "/api/v1/mock-interviews",
        data={"question_ids": [first, *others[: count - 1]], "mode": mode, "silence_seconds": 3},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert response.status == 201, response.text()
    return server + response.json()["url"]


def tab_to(page, selector: str, most: int = 40) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user reaches it."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.locator(selector).evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_a_story_without_its_outcome_gets_the_result_follow_up(server, playwright, audio_fixtures):
    speaking = launch(playwright, audio_fixtures / "no_result_mic.wav")
    try:
        context = new_context(speaking)
        page = context.new_page()
        sign_up(page, server, "mock-interview@example.com")
        room_url = start_interview(page, server)
        page.goto(room_url)
        page.wait_for_selector(".room[data-ready=true]")

        tab_to(page, "button.begin")
        page.keyboard.press("Enter")
        # The greeting and the question are spoken; real mode gives a pause to think, which a
        # keyboard user can cut short: it has the focus.
        page.wait_for_selector(f".caption:has-text('{QUESTION}')")
        page.wait_for_selector(".think-skip:focus")
        page.keyboard.press("Enter")
        page.wait_for_selector(".room[data-recording=true]")
        # The story plays; once it is over the silence countdown shows, and Space (Stop has
        # the focus) ends the answer before the countdown does.
        page.wait_for_selector(".silence:not([hidden])")
        assert page.locator("button.stop").evaluate("el => el === document.activeElement")
        voices = int(page.get_attribute(".room", "data-voice-played") or 0)
        page.keyboard.press("Space")

        page.wait_for_selector(".room[data-turn-kind=follow_up]")
        state = page.request.get(server + page.get_attribute(".room", "data-state-url")).json()
        follow_up = state["current_turn"]
        assert follow_up["trigger"] == "star.result", follow_up
        # The caption says it (the bank's own wording of "what was the outcome?").
        assert page.inner_text(".caption") == follow_up["text"]
        # Its voice started after the Stop (the page notes it for the benchmark too).
        page.wait_for_selector(f".room[data-voice-played='{voices + 1}']", state="attached")
        timings = page.evaluate("window.ReboundInterviewTimings")
        assert len(timings) == 1 and timings[0]["voice"] > timings[0]["stop"], timings

        page.get_by_role("button", name="End the interview now and see the debrief").click()
        page.wait_for_selector(".turns")
        turns = page.locator(".turns > li")
        assert turns.count() == 2
        assert QUESTION in turns.nth(0).inner_text()
        assert "billing page" in turns.nth(0).locator(".transcript").inner_text().lower()
        assert follow_up["text"] in turns.nth(1).inner_text()
        assert turns.nth(1).locator(".trigger code").inner_text() == "star.result"
        context.close()
    finally:
        speaking.close()
