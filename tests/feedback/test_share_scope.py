"""Only the candidate widens what a recruiter sees: a recruiter's own additions cover the
answers given to them afterwards, never the history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Assignment, Attempt, Interview, Question
from tests.conftest import login, make_user
from tests.questions.test_debrief import log_interview
from tests.reports.test_feedback import STORY, make_attempt


@pytest.fixture
def debrief_shared(client, app):
    """Candidate A's debrief with a plan, shared with recruiter R; returns (interview, R)."""
    interview_id = log_interview(client)
    client.post(f"/interviews/{interview_id}/plan")
    make_user(app, "r@example.com", "recruiter")
    recruiter = app.test_client()
    login(recruiter, app, "r@example.com")
    client.post(f"/interviews/{interview_id}/share", data={"email": "r@example.com"})
    return interview_id, recruiter


def _bank_question_outside_the_plan(app, interview_id: int) -> int:
    with app.app_context():
        plan = set(db.session.get(Interview, interview_id).plan_question_ids)
        return next(
            q.id
            for q in db.session.execute(db.select(Question).order_by(Question.id)).scalars()
            if q.id not in plan and q.scope == "bank"
        )


@pytest.mark.asvs("4.1.3", "4.2.1")
def test_a_recruiters_addition_does_not_open_earlier_answers(client, app, debrief_shared):
    interview_id, recruiter = debrief_shared
    question_id = _bank_question_outside_the_plan(app, interview_id)
    earlier = make_attempt(app, STORY, question_id=question_id, days_ago=30)
    assert recruiter.get(f"/attempts/{earlier}").status_code == 404
    added = recruiter.post(
        f"/interviews/{interview_id}/plan/add", data={"question_id": str(question_id)}
    )
    assert added.status_code == 302
    assert recruiter.get(f"/attempts/{earlier}").status_code == 404
    assert f"/attempts/{earlier}" not in recruiter.get("/review").get_data(as_text=True)
    with app.app_context():
        assignment = db.session.execute(db.select(Assignment)).scalar_one()
        assert assignment.interview_id == interview_id and assignment.question_id == question_id
    # The candidate's next answer to it is the recruiter's to see: they asked for it.
    later = make_attempt(app, STORY, question_id=question_id)
    with app.app_context():
        attempt = db.session.get(Attempt, later)
        attempt.created_at = assignment.created_at + timedelta(seconds=1)
        db.session.commit()
    assert recruiter.get(f"/attempts/{later}").status_code == 200
    page = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    assert "added by" in page


@pytest.mark.asvs("4.1.3")
def test_an_assignment_shows_nothing_once_the_share_ends(client, app, debrief_shared):
    interview_id, recruiter = debrief_shared
    question_id = _bank_question_outside_the_plan(app, interview_id)
    recruiter.post(f"/interviews/{interview_id}/plan/add", data={"question_id": str(question_id)})
    later = make_attempt(app, STORY, question_id=question_id)
    with app.app_context():
        from app.models import Share

        assigned = db.session.execute(db.select(Assignment.created_at)).scalar_one()
        db.session.get(Attempt, later).created_at = assigned + timedelta(seconds=1)
        db.session.commit()
        share_id = db.session.execute(db.select(Share.id)).scalar_one()
    assert recruiter.get(f"/attempts/{later}").status_code == 200
    client.post(f"/shares/{share_id}/revoke")
    assert recruiter.get(f"/attempts/{later}").status_code == 404


@pytest.mark.asvs("4.1.3", "4.2.1")
def test_a_shared_debrief_shows_its_plans_answers_from_the_interview_on(
    client, app, debrief_shared
):
    """The debrief page promises "your answers to the plan": the answers given for it, not
    every answer ever given to a bank question the plan holds."""
    interview_id, recruiter = debrief_shared
    with app.app_context():
        interview = db.session.get(Interview, interview_id)
        planned = next(
            q for q in interview.plan_question_ids if db.session.get(Question, q).scope == "bank"
        )
        logged = interview.created_at
    old = make_attempt(
        app, "An OLD answer from two years before.", question_id=planned, days_ago=700
    )
    since = make_attempt(app, STORY, question_id=planned)
    with app.app_context():
        db.session.get(Attempt, since).created_at = logged + timedelta(seconds=1)
        db.session.commit()
    assert recruiter.get(f"/attempts/{old}").status_code == 404
    assert recruiter.get(f"/api/v1/attempts/{old}").status_code == 404
    assert recruiter.get(f"/attempts/{since}").status_code == 200
