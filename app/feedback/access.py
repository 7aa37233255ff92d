"""Who may see what: candidates see their own; recruiters what is shared with them, while shared.

Every view that shows an attempt, its audio or its feedback goes through ``viewable_attempt``;
anything not visible answers 404, never 403, so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import abort

from app.extensions import db
from app.feedback import audit
from app.models import (
    WITHOUT_WORDS_OR_METRICS,
    Attempt,
    Interview,
    InterviewTurn,
    MockInterview,
    Question,
    Share,
    User,
)
from app.questions.assignments import assigned_since


def shares_with(recruiter: User) -> list[Share]:
    """The active shares that reached this recruiter (see ``feedback.invitations``)."""
    return list(db.session.execute(
        db.select(Share).where(Share.recruiter_id == recruiter.id, Share.accepted_at.is_not(None),
                               Share.revoked_at.is_(None))
        .order_by(Share.created_at.desc())
    ).unique().scalars())  # fmt: skip


def debrief_questions(share: Share) -> dict[int, datetime]:
    """Questions of the interviews a share includes (their plans and the dictation prompts),
    each with when its interview was logged: the debrief shares the answers given for it, from
    then on, never the history of a bank question its plan happens to hold."""
    if not share.interview_ids:
        return {}
    interviews = db.session.execute(
        db.select(Interview).where(Interview.id.in_(share.interview_ids),
                                   Interview.owner_id == share.candidate_id)
    ).scalars().all()  # fmt: skip
    since: dict[int, datetime] = {}

    def cover(question_id: int, logged: datetime) -> None:
        since[question_id] = min(since.get(question_id, logged), logged)

    for interview in interviews:
        for question_id in interview.plan_question_ids:
            cover(question_id, interview.created_at)
        for question_id in db.session.execute(db.select(Question.id).where(
            (Question.interview_id == interview.id) | (Question.key == f"dictation-{interview.id}")
        )).scalars():  # fmt: skip
            cover(question_id, interview.created_at)
    return since


def assignments_under(share: Share) -> dict[int, datetime]:
    """The questions the share's recruiter assigned its candidate, each from when its answers
    reach the recruiter: the assignment, and never before this share began. An assignment
    made under an earlier share, since revoked, does not bring back what the candidate
    answered while nothing was shared."""
    if not share.recruiter_id:
        return {}
    began = share.accepted_at or share.created_at
    return {question_id: max(assigned, began)
            for question_id, assigned in assigned_since(share.recruiter_id, share.candidate_id).items()}  # fmt: skip


@dataclass(frozen=True)
class Scope:
    """What one active share covers: whole questions; questions whose later answers the
    candidate chose to share (from the shared answer on); and questions the recruiter
    assigned (only answers given after the assignment, never the history)."""

    questions: set[int]
    assigned: dict[int, datetime]
    followed: dict[int, datetime]
    # The answers given in the mock interviews shared whole.
    interview_answers: frozenset[int] = frozenset()
    # The questions of shared debriefs, from when each interview was logged.
    debriefs: dict[int, datetime] = field(default_factory=dict)


def followed_questions(share: Share) -> dict[int, datetime]:
    """The questions whose later answers this share covers, each with the time it starts."""
    followed = {}
    for key, since in (share.follow_questions or {}).items():
        try:
            followed[int(key)] = datetime.fromisoformat(since)
        except (TypeError, ValueError):
            continue  # a value this code never writes: cover nothing rather than fail
    return followed


def mock_interview_answers(share: Share) -> frozenset[int]:
    """The answers given in the mock interviews this share names (each turn's answer)."""
    if not share.mock_interview_ids:
        return frozenset()
    return frozenset(db.session.execute(
        db.select(InterviewTurn.attempt_id).join(MockInterview)
        .where(MockInterview.id.in_(share.mock_interview_ids),
               MockInterview.owner_id == share.candidate_id,
               InterviewTurn.attempt_id.is_not(None))
    ).scalars())  # fmt: skip


def coverage(shares: list[Share]) -> list[tuple[Share, Scope]]:
    """Each active share with what it covers, worked out once per request."""
    return [
        (s, Scope(set(s.question_ids), assignments_under(s), followed_questions(s),
                  mock_interview_answers(s), debrief_questions(s)))
        for s in shares if s.active
    ]  # fmt: skip


def covers(share: Share, scope: Scope, attempt: Attempt) -> bool:
    """Whether a share (with its ``scope``) includes the attempt: the one rule of who may see
    an answer, which every page, fragment, queue and API call reaches through ``can_view``.

    Only the candidate widens a share (what they chose to share, the later answers of a
    question they chose to follow, and the debriefs' plans they built); a recruiter's
    assignment adds just the answers the candidate gives to it after it was set.
    """
    if attempt.owner_id != share.candidate_id:
        return False
    if (
        share.everything
        or attempt.id in share.attempt_ids
        or attempt.question_id in scope.questions
        or attempt.id in scope.interview_answers
    ):
        return True
    for since in (scope.followed.get(attempt.question_id),
                  scope.assigned.get(attempt.question_id),
                  scope.debriefs.get(attempt.question_id)):  # fmt: skip
        if since is not None and attempt.created_at >= since:
            return True
    return False


def why_covered(share: Share, scope: Scope, attempt: Attempt) -> str | None:
    """Why the share includes the attempt ("assigned", "shared"), or None if it does not."""
    if not covers(share, scope, attempt):
        return None
    since = scope.assigned.get(attempt.question_id)
    if since is not None and attempt.created_at >= since:
        return "assigned"
    return "shared"


def can_view(user: User, attempt: Attempt) -> bool:
    """The owner, or a recruiter with an active share that covers the attempt."""
    if attempt.owner_id == user.id:
        return True
    shares = [s for s in shares_with(user) if s.candidate_id == attempt.owner_id]
    return any(covers(share, scope, attempt) for share, scope in coverage(shares))


def owned_attempt(user: User, attempt_id: int) -> Attempt:
    """The user's own attempt, or 404 (never 403: ids leak nothing)."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.owner_id != user.id:
        abort(404)
    return attempt


def viewable_attempt(user: User, attempt_id: int, read: str = "viewed") -> Attempt:
    """The attempt if this user may see it, else 404.

    Every read by someone other than the owner is written to the candidate's audit log here,
    as ``read`` ("viewed", "listened", "api"), whichever page, fragment, report or API call
    asked: a read that skips the log cannot reach the answer.
    """
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or not can_view(user, attempt):
        abort(404)
    audit.record(attempt, user, read)
    return attempt


def read_shared(recruiter: User, attempts: list[Attempt]) -> None:
    """Log that a recruiter opened these attempts (the compare view shows two at once)."""
    for attempt in attempts:
        audit.record(attempt, recruiter, "viewed")


def shared_with_reasons(
    recruiter: User, candidate_id: int | None = None
) -> list[tuple[Attempt, str]]:
    """Every attempt shared with the recruiter (optionally of one candidate), newest first,
    each with why (``why_covered``: "assigned" for an answer to their assignment)."""
    shares = [s for s in shares_with(recruiter) if candidate_id in (None, s.candidate_id)]
    if not shares:
        return []
    rows = db.session.execute(
        db.select(Attempt).options(*WITHOUT_WORDS_OR_METRICS)
        .where(Attempt.owner_id.in_({s.candidate_id for s in shares}))
        .order_by(Attempt.created_at.desc(), Attempt.id.desc())
    ).scalars()  # fmt: skip
    scopes = coverage(shares)
    found = []
    for attempt in rows:
        reasons = {why_covered(share, scope, attempt) for share, scope in scopes} - {None}
        if reasons:
            found.append((attempt, "assigned" if "assigned" in reasons else "shared"))
    return found


def shared_attempts(recruiter: User, candidate_id: int | None = None) -> list[Attempt]:
    """Every attempt shared with the recruiter (optionally of one candidate), newest first."""
    return [attempt for attempt, _ in shared_with_reasons(recruiter, candidate_id)]


def viewable_interview(user: User, interview_id: int):
    """A debrief its owner may see, or a recruiter it was shared with; else 404."""
    interview = db.session.get(Interview, interview_id)
    if interview is None:
        abort(404)
    if interview.owner_id == user.id:
        return interview
    if any(
        interview.id in s.interview_ids and s.candidate_id == interview.owner_id
        for s in shares_with(user)
    ):
        return interview
    abort(404)


def shared_interviews(recruiter: User, candidate_id: int) -> list[Interview]:
    """The candidate's interview debriefs shared with this recruiter."""
    ids = {
        i for s in shares_with(recruiter) if s.candidate_id == candidate_id for i in s.interview_ids
    }
    return list(db.session.execute(
        db.select(Interview).where(Interview.id.in_(ids), Interview.owner_id == candidate_id)
    ).scalars())  # fmt: skip


def viewable_mock_interview(user: User, interview_id: int) -> MockInterview:
    """A mock interview its owner may see, or a recruiter it was shared with (whole, or a
    share of everything); else 404."""
    interview = db.session.get(MockInterview, interview_id)
    if interview is None:
        abort(404)
    if interview.owner_id == user.id:
        return interview
    if any(
        s.candidate_id == interview.owner_id
        and (s.everything or interview.id in (s.mock_interview_ids or []))
        for s in shares_with(user)
    ):
        return interview
    abort(404)


def shared_mock_interviews(recruiter: User, candidate_id: int) -> list[MockInterview]:
    """The candidate's mock interviews this recruiter may see, newest first."""
    shares = [s for s in shares_with(recruiter) if s.candidate_id == candidate_id]
    if not shares:
        return []
    query = db.select(MockInterview).where(MockInterview.owner_id == candidate_id)
    if not any(s.everything for s in shares):
        ids = {i for s in shares for i in (s.mock_interview_ids or [])}
        query = query.where(MockInterview.id.in_(ids))
    return list(db.session.execute(
        query.order_by(MockInterview.created_at.desc(), MockInterview.id.desc())
    ).scalars())  # fmt: skip
