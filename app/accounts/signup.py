"""Signing up and asking for a reset link without telling anyone which addresses have accounts.

With mail (``SMTP_URL``) both answer the same for every address, and the mail does the
telling, to the address's owner only: a new address gets a confirmation link, one that
already has an account gets a notice with a reset link, and the page says "check your
email" either way. Without mail, see ``sign_up``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask import current_app, url_for

from app.accounts.identity import (
    AccountError,
    authenticate,
    create_user,
    find_user,
    normalise_email,
    password_problem,
    reset_token,
    spend_hash_time,
)  # fmt: skip
from app.accounts.mail import mail_configured, public_link, send_mail
from app.accounts.verification import send_confirmation
from app.models import Role, User


class Outcome(enum.StrEnum):
    CREATED = "created"  # no mail: a new account, to sign in
    CHECK_EMAIL = "check_email"  # mail: the one answer for new and taken addresses
    LOGGED_IN = "logged_in"  # no mail, a taken address and its own password: a login
    LOGIN_FAILED = "login_failed"  # no mail, a taken address and another password


@dataclass(frozen=True)
class Signup:
    outcome: Outcome
    user: User | None = None


def sign_up(
    email: str, password: str, role: str = Role.CANDIDATE, display_name: str = ""
) -> Signup:
    """Create an account, answering alike whether or not the address already has one.

    Problems with the address or the password are raised as AccountError first; they depend
    only on what was typed. With mail, a new account is made unconfirmed and sent its
    confirmation link, and a taken address's owner is told by mail that someone tried, with a
    reset link: ``CHECK_EMAIL`` both ways, after one password hash and one mail both ways.

    Without mail nothing can reach the owner, and a taken address cannot get a second
    account. A sign-up for it is then treated as the login form would treat the same email
    and password: the owner's own password logs them in (``LOGGED_IN``), any other gets
    ``LOGIN_FAILED``, which the page answers with the login form's failure, the very
    response the login form gives an unknown address. So nothing is said about the account
    (no "already exists", no role, no name), the time spent is one scrypt either way, and the
    one thing a client learns, that no new account was made, is what any sign-up for a
    taken address must show; the limits per client and per address on the sign-up route
    (``web.auth``) bound how many addresses one client can test that way.
    """
    email = normalise_email(email)
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    existing = find_user(email)
    if mail_configured():
        if existing is None:
            send_confirmation(create_user(email, password, role, display_name))
        else:
            spend_hash_time(password)
            _send_signup_notice(existing)
        return Signup(Outcome.CHECK_EMAIL)
    if existing is None:
        return Signup(Outcome.CREATED, create_user(email, password, role, display_name))
    user = authenticate(email, password)
    return Signup(Outcome.LOGGED_IN, user) if user else Signup(Outcome.LOGIN_FAILED)


def _send_signup_notice(user: User) -> None:
    reset = public_link("auth.reset", token=reset_token(user, mailed=True))
    send_mail(
        user.email,
        "Someone tried to sign up to Rebound with your address",
        "Someone, perhaps you, tried to create a Rebound account with this address, which "
        "already has one. Nothing was changed.\n\n"
        f"If it was you, log in at {public_link('auth.login')}\n"
        f"or choose a new password here (the link works once, for one hour):\n{reset}\n\n"
        "If it was not you, you can ignore this email.\n",
    )


def send_reset_link(email: str) -> None:
    """Send a reset link to the address's account; without mail, write it to the server log.

    With mail, an address without an account is told so by mail, so that the time taken and
    the page shown are the same either way.
    """
    try:
        email = normalise_email(email)
    except AccountError:
        return
    user = find_user(email)
    if not mail_configured():
        if user is not None:
            link = url_for("auth.reset", token=reset_token(user), _external=True)
            current_app.logger.warning("password reset link for %s: %s", user.email, link)
        return
    if user is None:
        send_mail(
            email,
            "Resetting a Rebound password",
            "Someone, perhaps you, asked to reset the password of a Rebound account with "
            "this address, but there is no account with it.\n\n"
            f"To create one: {public_link('auth.signup')}\n"
            "If it was not you, you can ignore this email.\n",
        )
        return
    reset = public_link("auth.reset", token=reset_token(user, mailed=True))
    send_mail(
        user.email,
        "Reset your Rebound password",
        f"To choose a new password, open this link within one hour (it works once):\n{reset}\n\n"
        "It also confirms your email address. If you did not ask for it, ignore this email: "
        "your password stays as it is.\n",
    )
