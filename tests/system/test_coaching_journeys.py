"""Two journeys a candidate and a coach take, in Debian's Chromium with the fake microphone:
a practice set with a retry and Finish, and the coaching loop under selective sharing (a
retry, an assignment and a reply all reach the coach). One server for the module; short
takes keep the run small. The debrief dictation journey is in ``test_browser.py``."""

from __future__ import annotations

import re

import pytest

from tests.system import test_browser as shared
from tests.system.test_browser import new_context, sign_up

pytestmark = [pytest.mark.slow, pytest.mark.browser]
# The same module-scoped fixtures as test_browser.py: one server and browser for this module.
server, playwright, browser = shared.server, shared.playwright, shared.browser


def watch_console(page, errors: list[str]) -> None:
    """Collect console errors and failed requests (a missing favicon is another issue's)."""
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )


def record(page, seconds: float = 5) -> None:
    """Record a short take (after any thinking time) and wait for its transcript."""
    page.wait_for_load_state("load")
    if page.locator(".think:not([hidden])").count():
        page.get_by_role("button", name="Start answering now").click()
    else:
        page.get_by_role("button", name="Record", exact=True).click()
    page.get_by_role("button", name="Stop").wait_for()
    page.wait_for_timeout(seconds * 1000)
    page.get_by_role("button", name="Stop").click()
    page.wait_for_url("**/attempts/*")
    page.wait_for_selector(".transcript .word")


def test_a_practice_set_with_a_retry_and_finish(server, browser):
    context = new_context(browser)
    page = context.new_page()
    errors: list[str] = []
    watch_console(page, errors)
    try:
        sign_up(page, server, "set-journey@example.com")
        page.get_by_label("Conflict").check()
        page.get_by_label("Questions", exact=True).fill("2")
        page.get_by_label("Thinking time").select_option("10")
        page.get_by_role("button", name="Start practising").click()
        page.wait_for_selector("text=Question 1 of 2")
        page.wait_for_selector(".think:not([hidden])")
        record(page)

        # Try again stays in the set: its thinking time, then Next question.
        page.get_by_role("link", name="Try again").click()
        page.wait_for_url("**/practice/*/1")
        page.wait_for_selector("text=Question 1 of 2")
        page.wait_for_selector(".think:not([hidden])")
        record(page)
        assert page.get_by_role("link", name="Next question").is_visible()

        # Leaving halfway: the home page offers to resume where the set stands.
        page.goto(server + "/")
        page.wait_for_selector("text=Question 2 of 2")
        page.get_by_role("link", name="Resume").click()
        page.wait_for_url("**/practice/*/2")
        record(page)

        page.get_by_role("button", name="Finish the set").click()
        page.wait_for_url("**/practice/*/summary")
        summary = page.inner_text("main")
        assert "2 of 2 questions answered" in summary, summary
        assert page.locator(".set-question").count() == 2
        assert page.locator(".set-question a[href^='/attempts/']").count() == 3
        assert "Try 2" in summary and "Pace while speaking" in summary
        page.goto(server + "/")
        assert "Question 2 of 2" not in page.inner_text("main")
    finally:
        context.close()
    assert not errors, errors


def select_from_a_leading_space(page, first: int, last: int) -> None:
    """Select from the boundary just before word ``first`` (the gap, not inside the word's
    text, as a drag started in the space between two words does) to the end of ``last``."""
    page.evaluate(
        """([first, last]) => {
          const start = document.getElementById("w-" + first);
          const end = document.getElementById("w-" + last);
          const transcript = start.parentElement;
          const range = document.createRange();
          range.setStart(transcript, Array.from(transcript.childNodes).indexOf(start));
          range.setEnd(end.firstChild, end.firstChild.length);
          const selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          document.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
        }""",
        [first, last],
    )


def test_selective_sharing_brings_retry_assignment_and_reply_to_the_coach(server, browser):
    candidate_ctx, coach_ctx = new_context(browser), new_context(browser)
    candidate, coach = candidate_ctx.new_page(), coach_ctx.new_page()
    errors: list[str] = []
    watch_console(candidate, errors)
    watch_console(coach, errors)
    try:
        sign_up(candidate, server, "chosen-candidate@example.com")
        candidate.goto(server + "/questions/5/answer")
        record(candidate)
        first_url = candidate.url
        first_path = first_url.removeprefix(server)

        # Share only this answer.
        candidate.goto(server + "/shares")
        candidate.get_by_label("Their email").fill("chosen-coach@example.com")
        candidate.get_by_label("Only the answers or questions I tick below").check()
        candidate.get_by_text("Choose answers").click()
        candidate.locator("input[name=attempt]").first.check()
        candidate.get_by_role("button", name="Share", exact=True).click()
        candidate.wait_for_selector("text=Shared with chosen-coach@example.com")
        invite_url = candidate.locator("code").first.inner_text()

        coach.goto(server + "/signup")
        coach.get_by_label("Email").fill("chosen-coach@example.com")
        coach.get_by_label("Password").fill("coach test passphrase")
        coach.get_by_label("a recruiter or coach giving feedback").check()
        coach.get_by_role("button", name="Create account").click()
        coach.wait_for_url(server + "/review")
        nav = coach.inner_text("nav")
        assert "Queue" in nav and "History" not in nav  # coach pages, not candidate pages
        coach.goto(invite_url)
        coach.get_by_role("button", name="Accept the invitation").click()
        coach.wait_for_url(server + "/review")
        coach.wait_for_selector(f".attempts a[href='{first_path}']")

        # A comment on words selected from a leading space pins to those words.
        coach.goto(first_url)
        coach.wait_for_selector(".transcript .word")
        select_from_a_leading_space(coach, 2, 4)
        coach.wait_for_selector(".selection-echo:has-text('Commenting on')")
        assert coach.locator(".selection-label:has-text('Commenting on')").count() == 1
        coach.get_by_label("Comment", exact=True).fill("Which team was it?")
        coach.get_by_role("button", name="Add comment").click()
        coach.wait_for_selector(".comment:has-text('Which team was it?')")
        assert coach.locator("#w-2.commented").count() == 1
        assert "on the whole answer" not in coach.inner_text("#comments")

        # The coach assigns a question found by searching, not by scrolling a long list.
        coach.goto(server + "/review")
        coach.locator("a[href^='/review/candidates/']").first.click()
        coach.get_by_label("Find a question").fill("conflict")
        coach.wait_for_selector("#question-results input[name=question_id]")
        coach.locator("#question-results input[name=question_id]").first.check()
        coach.get_by_role("button", name="Assign").click()
        coach.wait_for_selector("text=not started")

        # The candidate chooses to share this question's later answers, and replies.
        candidate.goto(first_url)
        candidate.get_by_label("Share this question's later answers too").check()
        candidate.locator("#share").get_by_role("button", name="Share").click()
        candidate.wait_for_selector("text=later answers to this question will be shared")
        candidate.get_by_label("Reply").first.fill("The payments team, six people.")
        candidate.get_by_role("button", name="Reply").first.click()
        candidate.wait_for_selector(".reply:has-text('payments team')")

        # The assignment, answered.
        candidate.goto(server + "/")
        candidate.locator(".card:has-text('Assigned to you') li a").first.click()
        record(candidate)
        assigned_path = candidate.url.removeprefix(server)
        # A retry of the shared answer's question.
        candidate.goto(first_url)
        candidate.get_by_role("link", name="Try again").click()
        record(candidate)
        retry_path = candidate.url.removeprefix(server)

        coach.goto(server + "/review")
        queue = coach.locator("section[aria-labelledby=queue-title]")
        queue.locator(f"a[href='{assigned_path}']").wait_for()
        items = {
            re.sub(r"#.*", "", item.locator("a").first.get_attribute("href")): item.inner_text()
            for item in queue.locator("li").all()
        }
        assert "answer to your assignment" in items[assigned_path], items
        assert "retry" in items[retry_path], items
        assert "replied to your comment" in items[first_path], items
        assert "answered" in coach.inner_text("section[aria-labelledby=assignments-title]")
        coach.goto(server + retry_path)
        coach.wait_for_selector("h2:has-text('What they said')")
    finally:
        candidate_ctx.close()
        coach_ctx.close()
    assert not errors, errors
