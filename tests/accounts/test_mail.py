"""Mail settings are checked at start; a mail server that fails is a clear error, never a 500."""

from __future__ import annotations

import pytest

from app import create_app


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
