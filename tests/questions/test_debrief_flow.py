"""The debrief keeps the candidate in it: a dictation returns to the debrief (not a scored
answer page) and stays out of the latest answers; the plan is shown before it is practised,
the interviews list counts what the plan rows show, and "From my interviews" is offered once."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import Attempt, Interview
from tests.questions.test_debrief import log_interview
from tests.reports.test_feedback import STORY, make_attempt


def _dictation(client, app, interview_id: int, status: str = "done") -> int:
    page = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    question_id = int(re.search(r'/questions/(\d+)/answer">Say the questions', page).group(1))
    with app.app_context():
        attempt = Attempt(owner_id=1, question_id=question_id, status=status, audio_key="ab/d.webm",
                          transcript_text="Why should we hire you?", words=[], duration_s=3)  # fmt: skip
        db.session.add(attempt)
        db.session.commit()
        return attempt.id


def test_a_dictation_returns_to_the_debrief(client, app):
    interview_id = log_interview(client, questions="")
    attempt_id = _dictation(client, app, interview_id, status="transcribing")
    response = client.get(f"/attempts/{attempt_id}")
    assert response.status_code == 302
    assert response.location.endswith(f"/interviews/{interview_id}#questions")
    # While it is transcribed the debrief follows it by itself, then stops (286).
    pending = client.get(f"/interviews/{interview_id}", headers={"HX-Request": "true"})
    assert pending.status_code == 200 and 'hx-trigger="load delay:1s"' in pending.get_data(
        as_text=True
    )
    assert "<html" not in pending.get_data(as_text=True)
    with app.app_context():
        db.session.get(Attempt, attempt_id).status = "done"
        db.session.commit()
    done = client.get(f"/interviews/{interview_id}", headers={"HX-Request": "true"})
    assert done.status_code == 286 and "We heard these" in done.get_data(as_text=True)
    # A note to the debrief, not an answer: not among the latest answers, no scoring page.
    home = client.get("/").get_data(as_text=True)
    assert "Which questions do you remember" not in home
    answer = make_attempt(app, STORY)
    assert f"/attempts/{answer}" in client.get("/").get_data(as_text=True)
    assert client.get(f"/attempts/{answer}").status_code == 200


def test_from_my_interviews_is_offered_once(client, app):
    interview_id = log_interview(client, category="From my interviews")
    page = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    assert page.count(">From my interviews</option>") == 1
    new = client.get("/interviews/new").get_data(as_text=True)
    assert new.count(">From my interviews</option>") == 1


def test_the_interviews_list_counts_what_the_plan_rows_show(client, app):
    interview_id = log_interview(client)
    client.post(f"/interviews/{interview_id}/plan")
    with app.app_context():
        plan = db.session.get(Interview, interview_id).plan_question_ids
    make_attempt(app, STORY, question_id=plan[0])
    make_attempt(app, STORY, question_id=plan[0])
    page = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    ticks = len(re.findall(r"</a>(?:\s*<span[^>]*>[^<]*</span>)*</td>\s*<td[^>]*>✓</td>", page))
    listing = client.get("/interviews").get_data(as_text=True)
    assert f"plan: {ticks} of {len(plan)} questions answered" in listing
    assert ticks == 1
