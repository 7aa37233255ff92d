"""Practice sessions: drawing questions by category, difficulty and history."""

from __future__ import annotations

import re

from app.extensions import db
from app.models import Attempt, Practice, Question
from tests.conftest import HTMX, upload


def _start(client, **form):
    data = {"count": "3", "think_seconds": "30", "mode": "any"} | form
    return client.post("/practice", data=data)


def test_home_offers_categories_and_modes(client):
    html = client.get("/").get_data(as_text=True)
    assert "Failure and weakness" in html and "Ones I struggled with" in html
    assert "Ones I haven&#39;t answered yet" in html or "Ones I haven't answered yet" in html


def test_start_draws_n_questions_of_the_chosen_category(client, app):
    response = _start(client, category="Conflict", count="4")
    assert response.status_code == 302
    with app.app_context():
        practice = db.session.execute(db.select(Practice)).scalar_one()
        questions = [db.session.get(Question, qid) for qid in practice.question_ids]
    assert len(questions) == 4 and {q.category for q in questions} == {"Conflict"}
    assert len(set(practice.question_ids)) == 4
    page = client.get(response.location).get_data(as_text=True)
    assert "Question 1 of 4" in page and questions[0].text.replace("'", "&#39;") in page
    assert 'data-think-seconds="30"' in page


def test_difficulty_filter(client, app):
    _start(client, difficulty="3", count="20")
    with app.app_context():
        practice = db.session.execute(db.select(Practice)).scalar_one()
        levels = {db.session.get(Question, qid).difficulty for qid in practice.question_ids}
    assert levels == {3}


def test_unanswered_and_struggled_modes(client, app, audio_fixtures, monkeypatch):
    monkeypatch.setattr("app.worker.queue.queue.enqueue_transcription", lambda attempt_id: None)
    with app.app_context():
        conflict = (
            db.session.execute(
                db.select(Question.id).where(Question.category == "Conflict").order_by(Question.id)
            )
            .scalars()
            .all()
        )
    answered = conflict[:2]
    for qid in answered:
        upload(client, audio_fixtures / "short.wav", question_id=qid)
    with app.app_context():
        # One went badly (the candidate said so), the other is marked as fine.
        first, second = db.session.execute(db.select(Attempt).order_by(Attempt.id)).scalars()
        first.self_rating, second.status, second.words = "struggled", "done", [{"word": "x"}]
        second.duration_s = second.question.answer_seconds
        db.session.commit()
    _start(client, category="Conflict", mode="unanswered", count="20")
    _start(client, category="Conflict", mode="struggled", count="20")
    with app.app_context():
        unanswered, struggled = db.session.execute(
            db.select(Practice).order_by(Practice.id)
        ).scalars()
    assert set(unanswered.question_ids) == set(conflict) - set(answered)
    assert struggled.question_ids == [answered[0]]


def test_nothing_to_draw_explains_why(client):
    response = _start(client, mode="struggled")
    assert response.status_code == 422
    assert "No question you struggled with matches" in response.get_data(as_text=True)


def test_practice_steps_link_forward_and_are_private(client, app):
    location = _start(client, count="2").location
    first = client.get(location).get_data(as_text=True)
    practice_id = int(re.search(r"/practice/(\d+)/1", location).group(1))
    assert f"/practice/{practice_id}/2" in first
    assert client.get(f"/practice/{practice_id}/3").status_code == 404
    with app.app_context():
        from app.models import User

        other = User(email="someone@example.com")
        db.session.add(other)
        db.session.commit()
        theirs = Practice(owner_id=other.id, question_ids=[1])
        db.session.add(theirs)
        db.session.commit()
        theirs_id = theirs.id
    assert client.get(f"/practice/{theirs_id}/1").status_code == 404


def test_question_list_filters_with_htmx(client):
    full = client.get("/questions").get_data(as_text=True)
    fragment = client.get("/questions?category=Conflict&difficulty=3", headers=HTMX)
    html = fragment.get_data(as_text=True)
    assert "<html" in full and html.lstrip().startswith('<div id="results">')
    assert "<h2>Conflict</h2>" in html and "<h2>Pressure and stress</h2>" not in html
    assert "Hardest" in html and "Common</span>" not in html


def test_write_your_own_question(client, app):
    response = client.post(
        "/questions/new",
        data={
            "text": "Why did the Berlin interview go wrong?",
            "category": "",
            "difficulty": "3",
            "answer_seconds": "90",
            "tips": "Be honest",
            "tags": "mine, debrief",
        },
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Why did the Berlin interview go wrong?" in page and "My questions" in page
    bad = client.post(
        "/questions/new", data={"text": "", "difficulty": "2", "answer_seconds": "90"}
    )
    assert bad.status_code == 422 and "The question is missing or empty." in bad.get_data(
        as_text=True
    )
