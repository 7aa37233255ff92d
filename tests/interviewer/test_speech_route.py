"""``GET /api/v1/questions/<id>/speech`` and the settings switch for the interviewer's voice."""

from __future__ import annotations

import pytest

from app.accounts.identity import find_user
from app.extensions import db
from app.interviewer.voice import speech_digest
from app.models import Question
from tests.conftest import build_app, login, make_user


def own_question(app, email: str) -> int:
    with app.app_context():
        user = find_user(email)
        question = Question(scope=f"user:{user.id}", key="own", owner_id=user.id,
                            text="Why do you want this job?", category="Mine", testing="t",
                            tips=["a", "b"])  # fmt: skip
        db.session.add(question)
        db.session.commit()
        return question.id


def fetch(client, url: str, **kwargs):
    """GET ``url`` and close the response (a served file stays open until then)."""
    response = client.get(url, **kwargs)
    response.get_data()  # read it before closing: the body is the file itself
    response.close()
    return response


def test_a_question_is_spoken_then_served_from_the_browser_cache(client, app, synthesised):
    response = fetch(client, "/api/v1/questions/1/speech")
    assert response.status_code == 200
    assert response.mimetype == "audio/ogg" and "codecs=opus" in response.content_type
    assert response.data[:4] == b"OggS"
    with app.app_context():
        text = db.session.get(Question, 1).text
    assert response.headers["ETag"] == f'"{speech_digest(text)}"'
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    cached = client.get(
        "/api/v1/questions/1/speech", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert cached.status_code == 304 and cached.data == b""
    assert fetch(client, "/api/v1/questions/1/speech").data == response.data
    assert synthesised == [text]  # said once, served three times


def test_another_users_own_question_is_404(client, app):
    make_user(app, "b@example.com")
    mine = own_question(app, "b@example.com")
    assert fetch(client, f"/api/v1/questions/{mine}/speech").status_code == 404
    assert fetch(client, "/api/v1/questions/999999/speech").status_code == 404
    owner = app.test_client()
    login(owner, app, "b@example.com")
    assert fetch(owner, f"/api/v1/questions/{mine}/speech").status_code == 200


def test_without_the_voice_package_the_api_says_why(client, no_voice_package):
    response = fetch(client, "/api/v1/questions/1/speech")
    assert response.status_code == 503
    assert "voice is not installed" in response.json["error"]
    assert "shown as text" in response.json["error"]


def test_a_missing_speech_file_is_said_again(client, app, synthesised):
    from pathlib import Path

    first = fetch(client, "/api/v1/questions/1/speech")
    for path in Path(app.config["AUDIO_DIR"]).rglob("*.ogg"):
        path.unlink()
    again = fetch(client, "/api/v1/questions/1/speech")
    assert again.status_code == 200 and again.data[:4] == b"OggS"
    assert again.headers["ETag"] == first.headers["ETag"] and len(synthesised) == 2


def test_speech_is_kept_in_an_s3_bucket(tmp_path, model_cache, s3_settings):
    import boto3

    app = build_app(tmp_path, model_cache, **s3_settings)
    make_user(app, "a@example.com")
    client = app.test_client()
    login(client, app, "a@example.com")
    response = fetch(client, "/api/v1/questions/2/speech")
    assert response.status_code == 200 and response.data[:4] == b"OggS"
    bucket = boto3.client("s3", endpoint_url=s3_settings["S3_ENDPOINT_URL"]).list_objects_v2(
        Bucket=s3_settings["S3_BUCKET"], Prefix=s3_settings["S3_PREFIX"]
    )
    assert [item["Key"][-4:] for item in bucket["Contents"]] == [".ogg"]


def test_settings_turn_the_voice_off_and_on(client, app):
    page = client.get("/settings").get_data(as_text=True)
    assert 'name="interviewer_voice" checked' in page and "The interviewer speaks" in page
    assert client.post("/settings", data={"calm_mode": "on"}).status_code == 302
    with app.app_context():
        assert find_user("a@example.com").interviewer_voice is False
    assert 'name="interviewer_voice" >' in client.get("/settings").get_data(as_text=True)
    client.post("/settings", data={"interviewer_voice": "on"})
    with app.app_context():
        assert find_user("a@example.com").interviewer_voice is True


def test_settings_page_notes_a_missing_voice(client, no_voice_package):
    page = client.get("/settings").get_data(as_text=True)
    assert "The interviewer&#39;s voice is not installed" in page


@pytest.fixture
def csrf_client(app):
    app.config["WTF_CSRF_ENABLED"] = True
    make_user(app, "c@example.com")
    client = app.test_client()
    login(client, app, "c@example.com")
    return client


def test_the_voice_setting_needs_the_csrf_token(csrf_client, app):
    response = csrf_client.post("/settings", data={})
    assert response.status_code == 400
    with app.app_context():
        assert find_user("c@example.com").interviewer_voice is True
