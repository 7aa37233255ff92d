"""Interview debriefs: log, ask why not, record feedback, practise the plan, share it."""

from __future__ import annotations

import re
import sqlite3

import pytest
from sqlalchemy import event

from app.extensions import db
from app.models import Interview, Practice, Question
from app.questions import debriefs
from app.questions.debriefs import feedback_request, split_questions
from tests.conftest import login, make_user
from tests.reports.test_feedback import STORY, make_attempt


def log_interview(client, **extra) -> int:
    data = {"company": "Acme Robotics", "role": "Product manager", "held_on": "2026-11-20",
            "stage": "Final interview", "outcome": "rejected",
            "questions": "Why do you want to leave your current job?\nTell me about a failed launch.",
            "category": "Failure and weakness"} | extra  # fmt: skip
    response = client.post("/interviews/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.location.rsplit("/", 1)[1])


def test_log_an_interview_with_typed_questions(client, app):
    interview_id = log_interview(client)
    page = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    assert "Acme Robotics" in page and "Tell me about a failed launch." in page
    with app.app_context():
        own = (
            db.session.execute(db.select(Question).where(Question.interview_id == interview_id))
            .scalars()
            .all()
        )
    assert len(own) == 2 and all(q.is_own and q.category == "Failure and weakness" for q in own)
    bad = client.post("/interviews/new", data={"company": "", "held_on": "yesterday"})
    assert bad.status_code == 422 and "company" in bad.get_data(as_text=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Why are you leaving? Tell me about a time you failed. I was nervous.",
            [
                ("Why are you leaving?", True),
                ("Tell me about a time you failed?", True),
                ("I was nervous.", False),
            ],
        ),
        (
            "So, what would you change about your last job.",
            [("So, what would you change about your last job?", True)],
        ),
    ],
)
def test_split_dictated_questions(text, expected):
    assert split_questions(text) == expected


def test_ask_why_not_in_three_tones(app):
    interview = Interview(company="Acme", role="Analyst", owner_id=1)
    letters = {
        tone: feedback_request(interview, tone, "Sam") for tone in ("warm", "brief", "formal")
    }
    assert len({body for _, body in letters.values()}) == 3
    subject, body = letters["warm"]
    assert subject == "Feedback on my interview for the Analyst role"
    assert "Acme" in body and body.endswith("Sam")


def test_feedback_plan_and_employer_feedback_beside_the_recorder(client, app):
    interview_id = log_interview(client)
    with app.app_context():
        asked = db.session.execute(db.select(Question).where(Question.interview_id == interview_id)
                                   .order_by(Question.id)).scalars().all()  # fmt: skip
    client.post(
        f"/interviews/{interview_id}/feedback",
        data={
            "source": "employer",
            "body": "Your answer about the launch lacked numbers.",
            "question": str(asked[1].id),
        },
    )
    # "Build my practice plan" shows the plan first; practising it is the next step.
    shown = client.post(f"/interviews/{interview_id}/plan")
    assert shown.status_code == 302 and shown.location.endswith(f"/interviews/{interview_id}#plan")
    page = client.get(shown.location).get_data(as_text=True)
    assert "Practise the plan" in page and "Your plan has" in page
    with app.app_context():
        assert db.session.execute(db.select(Practice)).first() is None
    start = client.post(f"/interviews/{interview_id}/plan")
    assert start.status_code == 302 and "/practice/" in start.location
    with app.app_context():
        practice = db.session.execute(db.select(Practice)).scalar_one()
        interview = db.session.get(Interview, interview_id)
        plan = interview.plan_question_ids
        categories = {db.session.get(Question, qid).category for qid in plan}
    assert plan[:2] == [asked[0].id, asked[1].id] and len(plan) > 2
    assert practice.question_ids == plan and categories == {"Failure and weakness"}
    recorder = client.get(f"/questions/{asked[1].id}/answer").get_data(as_text=True)
    assert "What they told you" in recorder and "lacked numbers" in recorder
    other = client.get(f"/questions/{asked[0].id}/answer").get_data(as_text=True)
    assert "lacked numbers" not in other
    make_attempt(app, STORY, question_id=asked[1].id)
    page = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    assert re.search(r"failed launch.*?<td[^>]*>✓</td><td[^>]*>✓</td><td[^>]*>–</td>", page, re.S)


def test_dictated_questions_are_confirmed_into_own_questions(client, app, monkeypatch):
    interview_id = log_interview(client, questions="")
    page = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    dictation_id = int(re.search(r'/questions/(\d+)/answer">Say the questions', page).group(1))
    with app.app_context():
        from app.models import Attempt

        attempt = Attempt(owner_id=1, question_id=dictation_id, status="done", audio_key="ab/d.webm",
                          transcript_text="Why are you leaving your current job? Tell me about a deadline you missed.",
                          words=[], duration_s=6)  # fmt: skip
        db.session.add(attempt)
        db.session.commit()
    page = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    assert "We heard these" in page
    heard = re.findall(r'name="heard_text-(\d+)" value="([^"]+)"', page)
    assert [text for _, text in heard] == [
        "Why are you leaving your current job?",
        "Tell me about a deadline you missed?",
    ]
    assert page.count("<option>From my interviews</option>") == 2  # once in each form
    # The wording is corrected before it is saved; the unticked one is left out.
    client.post(
        f"/interviews/{interview_id}/questions",
        data={"heard": ["0"], "heard_text-0": "Why are you leaving your current role?",
              "heard_text-1": "Tell me about a deadline you missed?",
              "category": "Career gaps and job changes"},
    )  # fmt: skip
    with app.app_context():
        own = (
            db.session.execute(db.select(Question).where(Question.interview_id == interview_id))
            .scalars()
            .all()
        )
    assert [q.text for q in own] == ["Why are you leaving your current role?"]
    # The dictation prompt is not a practice question.
    assert "Which questions do you remember" not in client.get("/questions").get_data(as_text=True)


def test_sharing_the_debrief_shares_its_plan_answers_only(client, app):
    interview_id = log_interview(client)
    client.post(f"/interviews/{interview_id}/plan")
    with app.app_context():
        plan = db.session.get(Interview, interview_id).plan_question_ids
    in_plan = make_attempt(app, STORY, question_id=plan[0])
    spare = [i for i in range(1, 100) if i not in plan]
    elsewhere = make_attempt(app, STORY, question_id=spare[0])
    make_user(app, "r@example.com", "recruiter")
    recruiter = app.test_client()
    login(recruiter, app, "r@example.com")
    assert recruiter.get(f"/interviews/{interview_id}").status_code == 404
    client.post(f"/interviews/{interview_id}/share", data={"email": "r@example.com"})
    assert recruiter.get(f"/interviews/{interview_id}").status_code == 200
    assert f"/interviews/{interview_id}" in recruiter.get("/review/candidates/1").get_data(
        as_text=True
    )
    assert recruiter.get(f"/attempts/{in_plan}").status_code == 200
    assert recruiter.get(f"/attempts/{elsewhere}").status_code == 404
    recruiter.post(f"/interviews/{interview_id}/plan/add", data={"question_id": str(spare[1])})
    with app.app_context():
        # The recruiter's addition is an assignment shown in the plan, not a plan entry
        # (which would share every earlier answer to it): see test_share_scope.py.
        assert spare[1] not in db.session.get(Interview, interview_id).plan_question_ids
    assert "added by" in client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    assert (
        recruiter.post(
            f"/interviews/{interview_id}/feedback", data={"body": "x", "source": "employer"}
        ).status_code
        == 404
    )


def test_timeline_counts_practice_between_interviews(client, app):
    make_attempt(app, STORY)
    first = log_interview(client, company="First Co")
    make_attempt(app, STORY)
    make_attempt(app, STORY)
    log_interview(client, company="Second Co")
    page = client.get("/interviews").get_data(as_text=True)
    assert page.index("First Co") < page.index("2 answers practised") < page.index("Second Co")
    assert "Rejected" in page
    client.post("/settings", data={"calm_mode": "on"})
    assert "Rejected" not in client.get("/interviews").get_data(as_text=True)
    assert first


def test_the_dictation_prompt_made_by_a_request_at_the_same_moment_is_reused(client, app):
    # Two requests for a new debrief at once both found no dictation prompt and both made
    # one; the second insert broke the unique key and the page answered 500.
    make_user(app, "race@example.com")
    login(client, app, "race@example.com")
    interview_id = log_interview(client)
    with app.app_context():
        interview = db.session.get(Interview, interview_id)
        first = debriefs.dictation_question(interview)
        real_execute = db.session.execute
        calls = []

        def miss_once(statement, *args, **kwargs):
            result = real_execute(statement, *args, **kwargs)
            if not calls:  # the other request has not committed yet when this one looks
                calls.append(statement)
                return _Nothing()
            return result

        db.session.execute = miss_once
        try:
            again = debriefs.dictation_question(interview)
        finally:
            db.session.execute = real_execute
        assert again.id == first.id
        count = db.session.execute(
            db.select(db.func.count()).select_from(Question).filter_by(key=first.key)
        ).scalar_one()
        assert count == 1


class _Nothing:
    def scalar_one_or_none(self):
        return None


def test_the_dictation_prompt_is_made_after_a_worker_commits_during_the_page(client, app):
    # The debrief page read, a worker committed (an attempt finished), and the page then made
    # the dictation prompt in the same transaction: SQLite refuses a write from a snapshot that
    # is no longer the newest ("database is locked", at once, whatever the busy timeout).
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("a stale read snapshot refusing a write is SQLite's rule")
    interview_id = log_interview(client)
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with app.app_context():
        interview = db.session.get(Interview, interview_id)  # the page's read transaction
        engine = db.engine
        done = []

        def worker_commits(_conn, _cursor, statement, *_rest):
            reads_questions = statement.lstrip().startswith("SELECT") and "questions" in statement
            if not done and reads_questions:
                done.append(statement)
                other = sqlite3.connect(path, timeout=1)
                other.execute(
                    "UPDATE interviews SET role = role || '.' WHERE id = ?", (interview_id,)
                )
                other.commit()
                other.close()

        event.listen(engine, "after_cursor_execute", worker_commits)
        try:
            question = debriefs.dictation_question(interview)
        finally:
            event.remove(engine, "after_cursor_execute", worker_commits)
        assert done, "the worker's commit never ran between the read and the write"
        assert question.id and question.key.endswith(str(interview_id))
