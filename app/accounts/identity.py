"""Accounts: password rules and hashing, one-time reset links, personal API tokens.

Passwords are hashed with scrypt (memory-hard, in Werkzeug). Reset links are signed and
carry a fingerprint of the current password hash, so a link stops working once used; one
that was mailed to the address also proves the address once used. API tokens are random,
shown once, and only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from importlib import resources

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import begin_write, db
from app.models import ApiToken, Role, User, new_session_token, utcnow

MIN_PASSWORD = 12
RESET_MAX_AGE_S = 3600
TOKEN_PREFIX = "rbd_"
TOKEN_USE_PRECISION = timedelta(minutes=1)


class AccountError(Exception):
    """A request about an account cannot be done; the message says why and what to do."""


def _common_passwords() -> frozenset[str]:
    text = resources.files("app").joinpath("data/common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is refused (too short, too common, the email), or None."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters; a few words strung together work well."
    if len(password) > 256:
        return "Use at most 256 characters."
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 4:
        return "That password is among the most common ones; choose something less guessable."
    if email and lowered in (email.lower(), email.lower().split("@")[0]):
        return "Do not use your email address as your password."
    return None


def hash_password(password: str) -> str:
    """A memory-hard hash of the password (method from ``PASSWORD_HASH_METHOD``)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


# One @, something before it, and a domain with a dot after it; none of the characters that
# only a pasted list or a display name brings ("['x@example.com']", "Ann <ann@x.org>").
EMAIL_SHAPE = re.compile(r"[^@\s\[\]()<>,;:\"']+@[^@\s\[\]()<>,;:\"'.]+(\.[^@\s\[\]()<>,;:\"'.]+)+")


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased; refuses what cannot be an address."""
    email = (email or "").strip().lower()
    if len(email) > 254 or not EMAIL_SHAPE.fullmatch(email):
        raise AccountError("Enter a valid email address, such as name@example.com.")
    return email


def find_user(email: str) -> User | None:
    """The user with this email, if any."""
    try:
        email = normalise_email(email)
    except AccountError:
        return None
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one_or_none()


def create_user(
    email: str,
    password: str,
    role: str = Role.CANDIDATE,
    display_name: str = "",
    *,
    verified: bool = False,
) -> User:
    """Create an account, or raise AccountError naming the problem.

    ``verified``: the address counts as proven (an admin made the account); otherwise only
    a mailed link proves it (``accounts.verification``).
    """
    email = normalise_email(email)
    if role not in set(Role):
        raise AccountError(f"Unknown role {role!r}: choose candidate, recruiter or admin.")
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    password_hash = hash_password(password)  # slow on purpose: before the write lock
    begin_write()  # the check below and the insert, with no writer in between
    if find_user(email) is not None:
        raise AccountError("An account with this email already exists. Log in instead.")
    user = User(email=email, role=role, display_name=display_name.strip()[:120],
                password_hash=password_hash,
                email_verified_at=utcnow() if verified else None)  # fmt: skip
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the password matches, else None (the same answer for unknown emails)."""
    user = find_user(email)
    if user is None or not user.password_hash:
        spend_hash_time(password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def spend_hash_time(password: str) -> None:
    """Take as long as checking a real password, so response times do not reveal accounts."""
    check_password_hash(_dummy_hash(), password)


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY:
        _DUMMY[method] = generate_password_hash(secrets.token_hex(8), method=method)
    return _DUMMY[method]


def set_password(user: User, password: str, verified: bool = False) -> None:
    """Change the password and end every existing session of this user.

    ``verified``: the change came through a link mailed to the address, which it proves.
    """
    problem = password_problem(password, user.email)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    if verified and user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.session.commit()


def rotate_session(user: User) -> None:
    """End every session of this user (logout, password change)."""
    user.session_token = new_session_token()
    db.session.commit()


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def reset_token(user: User, mailed: bool = False) -> str:
    """A signed, one-hour, one-time token for resetting this user's password.

    ``mailed``: the token goes to the account's address, so using it proves the address.
    """
    fingerprint = hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
    return _reset_serializer().dumps({"id": user.id, "p": fingerprint, "m": mailed})


def user_for_reset_token(token: str) -> User:
    """The user a reset token belongs to, or AccountError if it is invalid, used or expired."""
    return _read_reset_token(token)[0]


def reset_password(token: str, password: str) -> User:
    """Set a new password from a reset link; a mailed link also proves the address."""
    user, mailed = _read_reset_token(token)
    set_password(user, password, verified=mailed)
    return user


def _read_reset_token(token: str) -> tuple[User, bool]:
    try:
        data = _reset_serializer().loads(token, max_age=RESET_MAX_AGE_S)
    except SignatureExpired as err:
        raise AccountError("This reset link has expired. Ask for a new one.") from err
    except BadSignature as err:
        raise AccountError("This reset link is not valid. Ask for a new one.") from err
    user = db.session.get(User, data.get("id"))
    if user is None or hashlib.sha256(user.password_hash.encode()).hexdigest()[:16] != data.get(
        "p"
    ):
        raise AccountError("This reset link was already used. Ask for a new one.")
    return user, data.get("m") is True


def create_api_token(user: User, name: str = "") -> str:
    """Create a token for the API and return it; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(30)
    db.session.add(ApiToken(user_id=user.id, name=name.strip()[:80] or "API token",
                            token_hash=hashlib.sha256(token.encode()).hexdigest(),
                            prefix=token[:10]))  # fmt: skip
    db.session.commit()
    return token


def user_for_api_token(token: str) -> User | None:
    """The owner of a valid, unrevoked token (and note when it was used)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = db.session.execute(db.select(ApiToken).filter_by(token_hash=digest)).scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > TOKEN_USE_PRECISION:
        # Noted once a minute at most, in a write that takes the lock up front: every API
        # call, GETs included, comes through here.
        db.session.commit()
        begin_write()
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        db.session.commit()
    return db.session.get(User, row.user_id)
