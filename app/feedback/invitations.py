"""Invitations: how a candidate's share reaches one recruiter, and only the one invited.

A share names an email address. It reaches a recruiter account in one of two ways, and
``accepted_at`` records when:

- by the address, only once its owner proved it (``User.email_verified_at``: a mailed link,
  or an admin made the account): at once when the candidate shares, else at confirmation
  or login (``claim_email_invitations``). Registering an address proves nothing.
- by its link, which the candidate sends: accepted once, before ``invite_expires_at``
  (``INVITATION_DAYS``), by a recruiter account with the invited address.

Each refusal is an ``InvitationRefused`` naming what was wrong and what to do.
"""

from __future__ import annotations

import enum

from app.accounts.identity import AccountError, find_user, normalise_email
from app.accounts.mail import mail_configured
from app.extensions import db
from app.models import Attempt, Interview, MockInterview, Share, User, utcnow


class InvitationRefused(AccountError):
    """This account cannot accept this invitation; ``status`` is what a page answers."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


class ShareState(enum.StrEnum):
    STOPPED = "stopped"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # their account waits for a proven address
    AWAITING_ACCEPTANCE = "awaiting_acceptance"  # the link waits to be opened


def invite(candidate: User, recruiter_email: str, attempt_ids: list[int] | None = None,
           question_ids: list[int] | None = None, interview_ids: list[int] | None = None,
           later: bool = False, everything: bool = False) -> Share:  # fmt: skip
    """Share with a recruiter by email; a recruiter account with that proven address has it
    at once, anyone else only through the invitation link. ``everything`` shares every
    answer; otherwise only the chosen answers, questions and debriefs that are the
    candidate's own, and a choice that names none of those (ids gone since the page was
    drawn, or never theirs) is refused, never widened. ``later``: the chosen answers'
    questions are followed, so the answers given to them afterwards are shared too."""
    email = normalise_email(recruiter_email)
    if email == candidate.email:
        raise AccountError("That is your own address: share with your recruiter or coach.")
    if everything:
        attempt_ids, question_ids, interview_ids = [], [], []
    own = set(
        db.session.execute(db.select(Attempt.id).where(Attempt.owner_id == candidate.id)).scalars()
    )
    attempt_ids = sorted(set(attempt_ids or []) & own)
    answered = set(
        db.session.execute(
            db.select(Attempt.question_id).where(Attempt.owner_id == candidate.id)
        ).scalars()
    )
    question_ids = sorted(set(question_ids or []) & answered)
    debriefs = set(
        db.session.execute(
            db.select(Interview.id).where(Interview.owner_id == candidate.id)
        ).scalars()
    )
    interview_ids = sorted(set(interview_ids or []) & debriefs)
    if not everything and not (attempt_ids or question_ids or interview_ids):
        raise AccountError("None of what you chose is there any more (deleted, or from an "
                           "older page): reload the page and tick what to share again.")  # fmt: skip
    share = Share(candidate_id=candidate.id, recruiter_email=email, everything=everything,
                  attempt_ids=attempt_ids, question_ids=question_ids,
                  interview_ids=interview_ids)  # fmt: skip
    if later:
        for attempt in db.session.execute(
            db.select(Attempt).where(Attempt.id.in_(attempt_ids))
        ).scalars():
            _follow(share, attempt)
    recruiter = find_user(email)
    if recruiter is not None and _owns_address(recruiter):
        share.recruiter_id, share.accepted_at = recruiter.id, utcnow()
    db.session.add(share)
    db.session.commit()
    return share


def _follow(share: Share, attempt: Attempt) -> None:
    """Cover the answers to ``attempt``'s question from ``attempt`` on (never earlier ones)."""
    followed = dict(share.follow_questions or {})
    key, since = str(attempt.question_id), attempt.created_at.isoformat()
    followed[key] = min(followed.get(key, since), since)
    share.follow_questions = followed  # a new dict, so the JSON column is seen as changed


def _chosen_shares(candidate: User, share_ids: list[int]) -> list[Share]:
    """The candidate's own active shares among ``share_ids``; at least one, or why not."""
    chosen = db.session.execute(
        db.select(Share).where(Share.id.in_(share_ids), Share.candidate_id == candidate.id,
                               Share.revoked_at.is_(None))
    ).unique().scalars().all()  # fmt: skip
    if not chosen:
        raise AccountError("Choose who to share it with.")
    return list(chosen)


def share_attempt(candidate: User, attempt: Attempt, share_ids: list[int],
                  later: bool = False) -> list[Share]:  # fmt: skip
    """Add one of the candidate's answers to some of their active shares (the Share button);
    ``later`` also shares the answers they give to its question from now on. A share of
    everything already covers it. Returns the shares it reached."""
    if attempt.owner_id != candidate.id:
        raise AccountError("You can only share your own answers.")
    chosen = _chosen_shares(candidate, share_ids)
    for share in chosen:
        if share.everything:
            continue
        if attempt.id not in share.attempt_ids:
            share.attempt_ids = [*share.attempt_ids, attempt.id]
        if later:
            _follow(share, attempt)
    db.session.commit()
    return chosen


def share_mock_interview(candidate: User, interview: MockInterview,
                         share_ids: list[int]) -> list[Share]:  # fmt: skip
    """Add one of the candidate's mock interviews, with every answer in it, to some of their
    active shares. A share of everything already covers it. Returns the shares it reached."""
    if interview.owner_id != candidate.id:
        raise AccountError("You can only share your own interviews.")
    chosen = _chosen_shares(candidate, share_ids)
    for share in chosen:
        if not share.everything and interview.id not in (share.mock_interview_ids or []):
            share.mock_interview_ids = [*(share.mock_interview_ids or []), interview.id]
    db.session.commit()
    return chosen


def _owns_address(recruiter: User) -> bool:
    return recruiter.is_recruiter and recruiter.email_verified_at is not None


def find_invitation(token: str) -> Share | None:
    """The share an invitation link names, if any."""
    return (
        db.session.execute(db.select(Share).filter_by(invite_token=token))
        .unique()
        .scalar_one_or_none()
    )


def refusal(share: Share, recruiter: User) -> InvitationRefused | None:
    """Why this account cannot accept this invitation now, or None if it can."""
    whose = share.candidate.name
    if not share.active:
        return InvitationRefused(f"{whose} withdrew this invitation. Ask them to share "
                                 "again if you still need to see their answers.", 410)  # fmt: skip
    if share.recruiter_id == recruiter.id:
        return None  # accepted already, by this account: opening the link again is harmless
    if share.recruiter_id is not None:
        return InvitationRefused("This invitation link was already used: each link is "
                                 f"accepted once. Ask {whose} for a new one.", 410)  # fmt: skip
    if share.invite_expires_at <= utcnow():
        return InvitationRefused(
            f"This invitation expired on {share.invite_expires_at:%d %b %Y}. "
            f"Ask {whose} to share again for a new link.", 410)  # fmt: skip
    if share.candidate_id == recruiter.id:
        return InvitationRefused("You cannot accept your own invitation.")
    if not recruiter.is_recruiter:
        return InvitationRefused("Only a recruiter or coach account can accept an invitation. "
                                 "Sign up as a recruiter, then open the link again.")  # fmt: skip
    if recruiter.email != share.recruiter_email:
        return InvitationRefused(
            f"This invitation is for {share.recruiter_email}, and you are logged in as "
            f"{recruiter.email}. Log in with the invited address, or ask {whose} to share "
            f"with {recruiter.email}.")  # fmt: skip
    if mail_configured() and recruiter.email_verified_at is None:
        return InvitationRefused("Confirm your email address first (open the link we mailed "
                                 "you), then open this invitation again.")  # fmt: skip
    return None


def accept(share: Share, recruiter: User) -> None:
    """Link an invitation to the recruiter of its address who opened it (once)."""
    refused = refusal(share, recruiter)
    if refused is not None:
        raise refused
    if share.recruiter_id is None:
        share.recruiter_id, share.accepted_at = recruiter.id, utcnow()
        db.session.commit()


def claim_email_invitations(recruiter: User) -> None:
    """Link invitations waiting for this recruiter's address, once the address is proven."""
    if not _owns_address(recruiter):
        return
    pending = db.session.execute(
        db.select(Share).where(Share.recruiter_email == recruiter.email, Share.recruiter_id.is_(None),
                               Share.revoked_at.is_(None), Share.invite_expires_at > utcnow())
    ).unique().scalars().all()  # fmt: skip
    for share in pending:
        share.recruiter_id, share.accepted_at = recruiter.id, utcnow()
    if pending:
        db.session.commit()


def active_shares_of(candidate: User) -> list[Share]:
    """The candidate's shares still running, newest first (what the Share button offers)."""
    return list(db.session.execute(
        db.select(Share).where(Share.candidate_id == candidate.id, Share.revoked_at.is_(None))
        .order_by(Share.created_at.desc())
    ).unique().scalars())  # fmt: skip


def share_state(share: Share) -> ShareState:
    """Where a share stands, as its candidate sees it."""
    if not share.active:
        return ShareState.STOPPED
    if share.recruiter_id is not None:
        return ShareState.ACCEPTED
    if share.invite_expires_at <= utcnow():
        return ShareState.EXPIRED
    if mail_configured():
        account = find_user(share.recruiter_email)
        if account is not None and account.is_recruiter and account.email_verified_at is None:
            return ShareState.AWAITING_CONFIRMATION
    return ShareState.AWAITING_ACCEPTANCE


def revoke(share: Share) -> None:
    """End a share now."""
    share.revoked_at = utcnow()
    db.session.commit()
