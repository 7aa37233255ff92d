"""How pages read to people: the first page, answer states, calm mode, live sections, charts."""

from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.feedback.comments import pins
from app.models import Attempt, Comment
from app.web.charts import line_chart, ticks, when_labels
from tests.conftest import HTMX, make_user
from tests.reports.test_feedback import STORY, make_attempt


def test_the_first_page_says_what_rebound_is(anon):
    page = anon.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "mock-interview coach" in html and 'href="/signup"' in html and 'href="/login"' in html
    assert 'class="mic-check"' in html and "microphone.js" in html
    assert 'rel="icon"' in html
    with anon.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    # Every other page still asks to log in.
    assert anon.get("/history").status_code == 302


def test_an_answer_with_no_speech_is_not_transcribed_and_cannot_be_rated(client, app):
    attempt_id = make_attempt(app, STORY)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.words, attempt.transcript_text, attempt.metrics_version = [], "", None
        db.session.commit()
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "No speech heard" in html and "Transcribed" not in html
    assert "How did that feel?" not in html
    assert (
        client.post(f"/attempts/{attempt_id}/rating", data={"rating": "nailed"}).status_code == 409
    )
    history = client.get("/history").get_data(as_text=True)
    assert "No speech heard" in history


def test_the_answer_page_names_no_engine_and_counts_words_once(client, app):
    attempt_id = make_attempt(app, STORY)
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    words = len(STORY.split())
    assert (
        f"{words} words" in html and "faster-whisper" not in html and "transcribed in" not in html
    )
    assert "Waiting for a worker" not in html and "Source:" not in html


def test_calm_mode_hides_length_and_word_counts(client, app):
    attempt_id = make_attempt(app, STORY)
    client.post("/settings", data={"calm_mode": "on", "extra_time_percent": "0"})
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert " words" not in html.split('class="transcript"')[0].rsplit("<h1", 1)[-1]
    assert "long ·" not in html and "words/min" not in html


def test_a_finished_transcript_brings_its_feedback_sections_along(client, app):
    """The status block, fetched by htmx once the transcript is ready, carries the Feedback,
    Rubric and rating sections out of band: the page needs no reload."""
    attempt_id = make_attempt(app, STORY)
    fragment = client.get(f"/attempts/{attempt_id}", headers=HTMX).get_data(as_text=True)
    assert '<div id="answer-feedback" hx-swap-oob="true">' in fragment
    assert 'id="comments"' in fragment and 'id="review"' in fragment and 'id="rating"' in fragment
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count('id="comments"') == 1 and "hx-swap-oob" not in page


def test_a_comment_marker_does_not_split_a_token(app):
    make_user(app, "a@example.com")
    words = [
        {"word": w, "start": i, "end": i + 0.5} for i, w in enumerate([" up", " 5", "%", " now"])
    ]
    attempt = Attempt(owner_id=1, question_id=1, status="done", words=words)
    on_word = Comment(attempt_id=1, author_id=1, body="x", word_start=1, word_end=1)
    at_moment = Comment(attempt_id=1, author_id=1, body="y", start_s=1.2)
    anchors, covered = pins(attempt, [on_word, at_moment])
    assert set(anchors) == {2} and covered == {1}


def test_chart_axes_never_repeat_a_label_and_dates_are_told_apart():
    for top, integer in [(1.1, True), (1, True), (0, True), (3, True), (180, False), (0.5, False)]:
        steps = ticks(top, integer=integer)
        assert len(steps) == len(set(steps)) and steps[-1] >= top
        assert not integer or all(float(s).is_integer() for s in steps)
    svg = str(line_chart([(0, 0), (1, 1)], label="Long pauses", integer=True))
    assert svg.count(">1</text>") == 1
    day = datetime(2026, 11, 29, 9, 5)
    assert when_labels(day, day.replace(hour=17)) == ("29 Nov 09:05", "29 Nov 17:05")
    assert when_labels(day, datetime(2026, 11, 30)) == ("29 Nov", "30 Nov")
    assert len(set(when_labels(day, day))) == 2


def test_no_question_is_practised_both_most_and_least(client, app):
    for question_id in (1, 1, 1, 2, 2, 3):
        make_attempt(app, STORY, question_id=question_id)
    html = client.get("/progress").get_data(as_text=True)
    most, least = html.split("Practised least")
    for question_id in (1, 2, 3):
        link = f'href="/questions/{question_id}"'
        assert (link in most) != (link in least)
    assert "3 times" in most and "1 time<" in least


def test_a_word_we_may_have_misheard_is_marked_not_hidden(client, app):
    attempt_id = make_attempt(app, STORY)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        words = [dict(w, probability=0.9) for w in attempt.words]
        words[3]["probability"] = 0.2  # "Last year at my"
        attempt.words, attempt.metrics_version = words, None
        db.session.commit()
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert ('id="w-3" class="word unsure" title="we may have misheard this" '
            'aria-describedby="unsure-note"') in html  # fmt: skip
    # Said to a screen reader by one note, not written into the text: copying the
    # transcript copies the words alone.
    assert '<span id="unsure-note" hidden>We may have misheard this word.</span>' in html
    assert "(we may have misheard this)" not in html
    assert "underlined with grey dots</span> are ones we may have misheard" in html
    assert "Words we may have misheard" in html  # "How these are measured"
    assert 'id="w-2" class="word "' in html  # sure words are not marked
    # Calm mode hides the numbers, not the doubt about a word.
    client.post("/settings", data={"calm_mode": "on", "extra_time_percent": "0"})
    html = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'class="word unsure"' in html


def test_a_transcript_the_decoder_was_sure_of_has_no_such_note(client, app):
    html = client.get(f"/attempts/{make_attempt(app, STORY)}").get_data(as_text=True)
    assert "may have misheard" not in html.split("How these are measured")[0]
