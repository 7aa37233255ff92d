"""Proving an email address: a signed, expiring, single-use link mailed to it.

The link names the account and its address and works for ``VERIFY_MAX_AGE_S``, once: after
that the address is proven and the link says so. Opening it changes nothing by itself: the
page asks for the account's password. So a mail scanner that follows every link proves
nothing, and someone who receives a link for an account a stranger made with their address
(choosing its password) cannot be led into confirming it; they reset the password instead,
which proves the address too (``identity.reset_password``).
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash

from app.accounts.identity import AccountError
from app.accounts.mail import mail_configured, public_link, send_mail
from app.extensions import db
from app.models import User, utcnow

VERIFY_MAX_AGE_S = 2 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="email-verification")


def verification_token(user: User) -> str:
    """A signed token proving, once and for two days, that its holder reads ``user.email``."""
    return _serializer().dumps({"id": user.id, "e": user.email})


def user_for_verification_token(token: str) -> User:
    """The account a confirmation link is for, or AccountError if expired, forged or used."""
    try:
        data = _serializer().loads(token, max_age=VERIFY_MAX_AGE_S)
    except SignatureExpired as err:
        raise AccountError(
            "This confirmation link has expired. Log in and we will send you a new one."
        ) from err
    except BadSignature as err:
        raise AccountError(
            "This confirmation link is not valid: check that you opened the whole link from "
            "the email, or log in and we will send you a new one."
        ) from err
    user = db.session.get(User, data.get("id"))
    if user is None or user.email != data.get("e"):
        raise AccountError("This confirmation link is for an account that no longer exists.")
    if user.email_verified_at is not None:
        raise AccountError("This link was already used: your address is confirmed. Log in.")
    return user


def confirm_email(token: str, password: str) -> User:
    """Prove the address with the mailed link and the account's own password."""
    user = user_for_verification_token(token)
    if not user.password_hash or not check_password_hash(user.password_hash, password):
        raise AccountError(
            "That is not the password of this account. If you did not create it, "
            "choose “Forgot your password?” on the login page: the link it sends makes the "
            "account yours."
        )
    user.email_verified_at = utcnow()
    db.session.commit()
    return user


def send_confirmation(user: User) -> None:
    """Mail the account's owner a link that proves their address."""
    link = public_link("auth.verify", token=verification_token(user))
    send_mail(
        user.email,
        "Confirm your email address for Rebound",
        f"Someone, probably you, created a Rebound account with this address.\n\n"
        f"To confirm it, open this link within two days and enter the account's password:\n"
        f"{link}\n\n"
        "Until then, nothing shared with this address reaches the account.\n"
        "If you did not create it, ignore this email: the account stays unconfirmed.\n",
    )


def check_may_log_in(user: User) -> None:
    """With mail set up, an account logs in once its address is proven.

    Until then the right password sends a fresh confirmation link and raises AccountError
    saying so; without mail nothing could prove the address, and everyone may log in.
    """
    if not mail_configured() or user.email_verified_at is not None:
        return
    send_confirmation(user)
    raise AccountError(
        f"Confirm your email address first: we sent a new link to {user.email}. "
        "It works for two days."
    )
