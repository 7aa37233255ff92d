"""Database models: users, questions, practice sessions and attempts."""

from __future__ import annotations

import enum
import secrets
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, defer, mapped_column, relationship

from app.extensions import db

BANK_SCOPE = "bank"


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (SQLite stores naive datetimes)."""
    return datetime.now(UTC).replace(tzinfo=None)


def invitation_deadline() -> datetime:
    """When an invitation made now stops working (``INVITATION_DAYS`` from now)."""
    return utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"])


def new_session_token() -> str:
    """A random token identifying a user's sessions; rotating it logs every session out."""
    return secrets.token_hex(16)


class Role(enum.StrEnum):
    CANDIDATE = "candidate"
    RECRUITER = "recruiter"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    """An account: a candidate who practises, a recruiter or coach who reviews, or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="", server_default="")
    role: Mapped[str] = mapped_column(
        String(20), default=Role.CANDIDATE, server_default="candidate"
    )
    # Flask-Login stores this, not the id: a logged-out or re-passworded session stays dead.
    session_token: Mapped[str] = mapped_column(
        String(64), default=new_session_token, server_default=""
    )
    # Calm mode hides every number: only the transcript (and comments) remain.
    calm_mode: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Accommodation: extra thinking and answering time, in percent of the suggested time.
    extra_time_percent: Mapped[int] = mapped_column(default=0, server_default="0")
    # Retention: delete recordings older than this many days (None keeps them).
    retention_days: Mapped[int | None] = mapped_column()
    retention_drops_transcripts: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The mock interviewer speaks its questions (Piper); off: captions only.
    interviewer_voice: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Set once the owner of ``email`` proved it (a mailed link, or an admin created the
    # account); only then do invitations sent to that address reach this account.
    email_verified_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def get_id(self) -> str:
        """What the session cookie remembers (see ``session_token``)."""
        return self.session_token

    @property
    def name(self) -> str:
        """How to address the user in pages."""
        return self.display_name or self.email.split("@")[0]

    @property
    def is_recruiter(self) -> bool:
        return self.role in (Role.RECRUITER, Role.ADMIN)

    @property
    def has_practised(self) -> bool:
        """True once the user recorded an answer: a coach who also practises sees both menus."""
        return (
            db.session.execute(
                db.select(Attempt.id).where(Attempt.owner_id == self.id).limit(1)
            ).first()
            is not None
        )


class ApiToken(db.Model):
    """A personal API token: shown once, stored as a SHA-256 hash, revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


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
    # What the mock interviewer asks after an answer, by trigger (``app.interviewer.follow_ups``):
    # {"star.result": "And how did it end?", ...}; the general wordings fill any gap.
    follow_ups: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    source: Mapped[str] = mapped_column(String(200), default="")
    # Set for a question the candidate remembers from a real interview.
    interview_id: Mapped[int | None] = mapped_column(
        ForeignKey("interviews.id", ondelete="SET NULL"), index=True
    )
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
    # Set when the candidate presses Finish on the last question; until then the home page
    # offers to resume the set.
    finished_at: Mapped[datetime | None] = mapped_column()


class Attempt(db.Model):
    """One recorded answer. This row, not the job queue, is the source of truth."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("owner_id", "upload_id", name="uq_attempts_owner_upload"),
        # A user's answers newest first (history, the API, progress) read from the index in
        # order, a page at a time, instead of sorting every answer of the account.
        Index("ix_attempts_owner_created", "owner_id", "created_at", "id"),
    )

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
    # The metrics measured from ``words`` when the transcript was saved, and what they were
    # measured under (``app.reports.speech.metrics_fingerprint``): pages read them instead of
    # measuring every answer again. None until measured; a stale fingerprint means measure again.
    metrics: Mapped[dict | None] = mapped_column(JSON)
    metrics_version: Mapped[str | None] = mapped_column(String(40))
    # Their tracked numbers by key (``app.reports.definitions``), None when no word was
    # heard: what the progress charts draw, a few bytes where ``metrics`` holds kilobytes.
    tracked_values: Mapped[dict | None] = mapped_column(JSON)
    engine: Mapped[str] = mapped_column(String(40), default="")
    model: Mapped[str] = mapped_column(String(200), default="")
    processing_s: Mapped[float | None] = mapped_column()
    tries: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(index=True)
    self_rating: Mapped[str | None] = mapped_column(String(20))
    # Chosen by the recorder for each take, so a double click or a retried request
    # creates one attempt, not two.
    upload_id: Mapped[str | None] = mapped_column(String(64))
    # Set when retention removed the recording (the transcript may remain).
    audio_deleted_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column()
    # Streaming (status ``recording``): when the last piece arrived, so the reaper can finish
    # a recording whose tab was closed.
    last_piece_at: Mapped[datetime | None] = mapped_column()
    # What the worker has transcribed so far while the candidate speaks: words with absolute
    # timings up to ``live_until_s`` (a pause), and their text shown under the recorder.
    live_words: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    live_until_s: Mapped[float] = mapped_column(default=0.0, server_default="0")
    partial_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The sentence after ``live_until_s`` decoded while the candidate was silent after it
    # (``transcription.segments.tail_guess``): the rest of the transcript if Stop follows.
    live_guess: Mapped[dict | None] = mapped_column(JSON)
    # Set by the piece that queues a live transcription, cleared when the job starts: one
    # job waits per recording however fast the pieces come.
    live_queued: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The goal this try set out with: the previous try's takeaway at the moment this one
    # started (``app.reports.goals``), kept as it was so its check does not move with the rules.
    goal: Mapped[dict | None] = mapped_column(JSON)

    question: Mapped[Question] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="select")

    @property
    def is_pending(self) -> bool:
        """True while the transcript may still change by itself."""
        return self.status in (
            AttemptStatus.RECORDING,
            AttemptStatus.QUEUED,
            AttemptStatus.TRANSCRIBING,
        )

    @property
    def heard_nothing(self) -> bool:
        """True for a transcribed answer with no words: not "Transcribed", and not rated.
        Reads the text, not the words: lists load answers without their words column."""
        return self.status == AttemptStatus.DONE and not (self.transcript_text or "").strip()

    @property
    def has_recording(self) -> bool:
        """True while a recording is stored: not before the first piece (``audio_key`` is
        empty while streaming, and stays so if none arrived), not after retention."""
        return bool(self.audio_key) and self.audio_deleted_at is None

    def excerpt(self, length: int = 140) -> str:
        """The start of the transcript, cut at a word boundary."""
        text = self.transcript_text
        if len(text) <= length:
            return text
        return text[:length].rsplit(" ", 1)[0] + "…"


# Load options for a list of answers that shows dates, lengths, excerpts and at most the
# tracked numbers: the words with their timings (tens of kilobytes for a long answer) and
# the full metrics (a few) are read only if something asks for them.
WITHOUT_WORDS_OR_METRICS = (
    defer(Attempt.words),
    defer(Attempt.live_words),
    defer(Attempt.live_guess),
    defer(Attempt.metrics),
)


class AttemptPiece(db.Model):
    """One piece of a recording streamed while the candidate speaks (deleted at finish).

    ``(attempt_id, seq)`` is unique, so a piece sent twice is stored once; the hash tells a
    harmless repeat from different bytes under a number already used.
    """

    __tablename__ = "attempt_pieces"
    __table_args__ = (UniqueConstraint("attempt_id", "seq", name="uq_attempt_pieces_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column()
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Share(db.Model):
    """A candidate lets one recruiter see everything, or chosen attempts and questions.

    The invitation reaches a recruiter account whose owner proved they hold
    ``recruiter_email``, or through its link (``invite_token``), which the recruiter of that
    address accepts once, before ``invite_expires_at``. ``accepted_at`` says when it
    reached them. Revoking sets ``revoked_at``; access is checked against it on every request.
    """

    __tablename__ = "shares"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recruiter_email: Mapped[str] = mapped_column(String(254), index=True)
    recruiter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    invite_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: secrets.token_urlsafe(24)
    )
    everything: Mapped[bool] = mapped_column(default=True)
    attempt_ids: Mapped[list] = mapped_column(JSON, default=list)
    question_ids: Mapped[list] = mapped_column(JSON, default=list)
    interview_ids: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # Mock interviews shared whole: each covers the answers given in it.
    mock_interview_ids: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # Questions whose later answers the candidate chose to share too ("share this question's
    # later answers"): question id (as text) -> ISO time from which its answers are covered.
    follow_questions: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    invite_expires_at: Mapped[datetime] = mapped_column(default=invitation_deadline)
    accepted_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id], lazy="joined")
    recruiter: Mapped[User | None] = relationship(foreign_keys=[recruiter_id], lazy="joined")

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Comment(db.Model):
    """Feedback on an attempt: general, or pinned to a moment or a span of transcript words.

    A reply has ``parent_id``; a suggestion is a better phrasing for the span ("try: …").
    """

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    suggestion: Mapped[str] = mapped_column(Text, default="")
    start_s: Mapped[float | None] = mapped_column()
    end_s: Mapped[float | None] = mapped_column()
    word_start: Mapped[int | None] = mapped_column()
    word_end: Mapped[int | None] = mapped_column()
    addressed_at: Mapped[datetime | None] = mapped_column()
    seen_at: Mapped[datetime | None] = mapped_column()  # when the attempt's owner first saw it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")


class Rubric(db.Model):
    """Criteria rated 1–5, each level described. ``owner_id`` None is the default rubric."""

    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    criteria: Mapped[list] = mapped_column(JSON)  # [{key, name, levels: [5 descriptions]}]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Rating(db.Model):
    """One reviewer's rubric scores for one attempt, and an overall note."""

    __tablename__ = "ratings"
    __table_args__ = (
        UniqueConstraint("attempt_id", "reviewer_id", name="uq_ratings_attempt_reviewer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id"))
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    reviewer: Mapped[User] = relationship(lazy="joined")
    rubric: Mapped[Rubric] = relationship(lazy="joined")


class Assignment(db.Model):
    """A question a recruiter asked a candidate to practise, with an optional due date.

    While the candidate shares with the recruiter, the candidate's answers to it made after
    it was assigned are the recruiter's to see (``feedback.access``); earlier ones are not.
    """

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    recruiter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    # Added to this debrief's plan by the recruiter it was shared with.
    interview_id: Mapped[int | None] = mapped_column(ForeignKey("interviews.id"), index=True)
    due_on: Mapped[date | None] = mapped_column()
    note: Mapped[str] = mapped_column(Text, default="")
    # The recruiter's own follow-ups for this question, by trigger: asked before the bank's.
    follow_ups: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    question: Mapped[Question] = relationship(lazy="joined")
    recruiter: Mapped[User] = relationship(foreign_keys=[recruiter_id], lazy="joined")
    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id], lazy="select")


class Interview(db.Model):
    """A real interview the candidate logs to learn from: the start of a practice plan."""

    __tablename__ = "interviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    company: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(120), default="")
    held_on: Mapped[date | None] = mapped_column()
    stage: Mapped[str] = mapped_column(String(40), default="")
    outcome: Mapped[str] = mapped_column(String(20), default="waiting")
    # The practice plan, in order: the interview's own questions, related bank questions,
    # and any a recruiter added. Built when the candidate asks for the plan.
    plan_question_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MockInterview(db.Model):
    """A mock interview: the interviewer asks questions aloud, listens and follows up.

    ``mode`` is ``practice`` (feedback after each answer, retakes allowed) or ``real`` (no
    feedback and no retakes until the end). ``status`` is ``asking`` while the current turn
    waits for its answer, ``listening`` from an answer until the next turn is chosen, and
    ``finished`` after the last.
    """

    __tablename__ = "mock_interviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    mode: Mapped[str] = mapped_column(String(20), default="practice")
    status: Mapped[str] = mapped_column(String(20), default="asking")
    question_ids: Mapped[list] = mapped_column(JSON, default=list)
    # Where the questions came from: {"category": …}, {"assignments": true}, {"debrief": id}.
    source: Mapped[dict] = mapped_column(JSON, default=dict)
    # Seconds of silence that end an answer (0: only Stop does), and of thinking before
    # the recorder starts in real mode.
    silence_seconds: Mapped[int] = mapped_column(default=5)
    think_seconds: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    turns: Mapped[list[InterviewTurn]] = relationship(
        order_by="InterviewTurn.position", lazy="selectin", cascade="all, delete-orphan",
        back_populates="mock_interview",
    )  # fmt: skip


class InterviewTurn(db.Model):
    """One thing the interviewer asked: a question, or a follow-up and the trigger behind it."""

    __tablename__ = "interview_turns"
    __table_args__ = (
        UniqueConstraint("mock_interview_id", "position", name="uq_interview_turns_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mock_interview_id: Mapped[int] = mapped_column(
        ForeignKey("mock_interviews.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20), default="question")  # or "follow_up"
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    # The rule that asked a follow-up (``app.interviewer.follow_ups``), None for a question.
    trigger: Mapped[str | None] = mapped_column(String(40))
    # Why the rule fired, with the figure behind it, as said on the debrief.
    why: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The answer given (the latest take, in practice mode); None until answered.
    attempt_id: Mapped[int | None] = mapped_column(
        ForeignKey("attempts.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    mock_interview: Mapped[MockInterview] = relationship(back_populates="turns")
    question: Mapped[Question] = relationship(lazy="joined")


class InterviewerSpeech(db.Model):
    """A text the interviewer says, synthesised once per text and voice and stored like a
    recording; ``digest`` (of voice and text) finds it again."""

    __tablename__ = "interviewer_speech"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    voice: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    audio_key: Mapped[str] = mapped_column(String(200))
    mime: Mapped[str] = mapped_column(String(60))
    duration_s: Mapped[float] = mapped_column(default=0.0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InterviewFeedback(db.Model):
    """Feedback received about an interview (from the employer or a recruiter)."""

    __tablename__ = "interview_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(20), default="employer")
    body: Mapped[str] = mapped_column(Text)
    question_ids: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(db.Model):
    """Someone other than the owner looked at, listened to, commented on or rated an attempt."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User] = relationship(lazy="joined")


class JobCounter(db.Model):
    """Totals over every worker's lifetime, for the metrics endpoint.

    Kept in the database, not in a worker's memory: any web process can report them, and
    they survive restarts and deleted answers. Bumped in the same transaction that stores
    a job's result, so a counted job is always a saved one.
    """

    __tablename__ = "job_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[float] = mapped_column(default=0.0)
