"""Mail settings are checked at start; a mail server that fails is a clear error, never a 500."""

from __future__ import annotations

import pytest

from app import create_app
from tests.conftest import build_app, free_port


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"SMTP_URL": "http://user:hunter2secret@mail.example"}, "not a mail server address"),
        ({"SMTP_URL": "smtp://user:hunter2secret@mail.example:port"}, "not a mail server address"),
        ({"SMTP_URL": "smtps://user:hunter2secret@mail.example"}, "set PUBLIC_URL too"),
    ],
)
def test_mail_settings_are_checked_at_start(monkeypatch, tmp_path, settings, message):
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "AUDIO_DIR": str(tmp_path / "a")})
    assert message in str(stopped.value) and "hunter2secret" not in str(stopped.value)


def test_an_unreachable_mail_server_is_a_clear_error(tmp_path, model_cache):
    app = build_app(tmp_path, model_cache, SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
                    PUBLIC_URL="http://rebound.test")  # fmt: skip
    client = app.test_client()
    signup = client.post(
        "/signup", data={"email": "new@example.com", "password": "a long passphrase"}
    )
    forgot = client.post("/password/forgot", data={"email": "new@example.com"})
    for response in (signup, forgot):
        assert response.status_code == 503
        assert "could not send the email" in response.get_data(as_text=True)
