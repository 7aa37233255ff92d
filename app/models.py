"""Database models: users, questions, practice sessions and attempts."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db

LOCAL_USER_EMAIL = "you@localhost"
BANK_SCOPE = "bank"


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (SQLite stores naive datetimes)."""
    return datetime.now(UTC).replace(tzinfo=None)


class User(db.Model):
    """Whoever owns attempts. Until accounts exist there is one local user."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    # Calm mode hides every number: only the transcript (and comments) remain.
    calm_mode: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Question(db.Model):
    """A question from a bank (scope ``bank``) or written by a user (scope ``user:<id>``)."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_questions_scope_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), index=True)
    key: Mapped[str] = mapped_column(String(120))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(80), index=True)
    difficulty: Mapped[int] = mapped_column(default=2)
    testing: Mapped[str] = mapped_column(Text, default="")
    tips: Mapped[list] = mapped_column(JSON, default=list)
    answer_seconds: Mapped[int] = mapped_column(default=120)
    tags: Mapped[list] = mapped_column(JSON, default=list)
    talking_points: Mapped[list] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_own(self) -> bool:
        """True for a question a user wrote or imported (not from the shipped banks)."""
        return self.scope != BANK_SCOPE


class AttemptStatus(enum.StrEnum):
    RECORDING = "recording"
    QUEUED = "queued"
    TRANSCRIBING = "transcribing"
    DONE = "done"
    FAILED = "failed"


class SelfRating(enum.StrEnum):
    STRUGGLED = "struggled"
    OKAY = "okay"
    NAILED = "nailed"


class Practice(db.Model):
    """A practice session: an ordered draw of questions and the think time chosen."""

    __tablename__ = "practices"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    question_ids: Mapped[list] = mapped_column(JSON)
    think_seconds: Mapped[int] = mapped_column(default=0)
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attempt(db.Model):
    """One recorded answer. This row, not the job queue, is the source of truth."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practices.id"))
    status: Mapped[str] = mapped_column(String(20), default=AttemptStatus.QUEUED, index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    audio_key: Mapped[str] = mapped_column(String(200))
    audio_format: Mapped[str] = mapped_column(String(40), default="")
    audio_mime: Mapped[str] = mapped_column(String(60), default="")
    size_bytes: Mapped[int] = mapped_column(default=0)
    duration_s: Mapped[float] = mapped_column(default=0.0)
    transcript_text: Mapped[str] = mapped_column(Text, default="")
    words: Mapped[list] = mapped_column(JSON, default=list)
    engine: Mapped[str] = mapped_column(String(40), default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    processing_s: Mapped[float | None] = mapped_column()
    tries: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(index=True)
    self_rating: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()

    question: Mapped[Question] = relationship(lazy="joined")

    @property
    def is_pending(self) -> bool:
        """True while the transcript may still change by itself."""
        return self.status in (AttemptStatus.QUEUED, AttemptStatus.TRANSCRIBING)

    @property
    def no_speech(self) -> bool:
        """True when transcription finished and heard no words."""
        return self.status == AttemptStatus.DONE and not self.words

    def excerpt(self, length: int = 140) -> str:
        """The start of the transcript, cut at a word boundary."""
        text = self.transcript_text
        if len(text) <= length:
            return text
        return text[:length].rsplit(" ", 1)[0] + "…"
