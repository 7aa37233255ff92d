"""Email through the server named by ``SMTP_URL``: confirmation links, notices, reset links.

Without ``SMTP_URL`` nothing is mailed (``mail_configured()`` is False) and callers fall
back: reset links go to the server log, and an invitation is claimed only through its link.
A link in a mail starts with ``PUBLIC_URL``, never with the Host header of the request that
caused the mail, which the client chooses.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, url_for

from app.accounts.identity import AccountError
from app.config import SmtpServer, smtp_server

SMTP_TIMEOUT_S = 15


class MailFailed(AccountError):
    """The mail server could not be reached or refused the message."""


def mail_configured() -> bool:
    """True when Rebound can send email (``SMTP_URL`` is set)."""
    return bool(current_app.config["SMTP_URL"])


def public_link(endpoint: str, **values) -> str:
    """An absolute link for a mail: ``PUBLIC_URL`` followed by the endpoint's path."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for(endpoint, **values)


def send_mail(to: str, subject: str, body: str) -> None:
    """Send a plain-text mail now, or raise MailFailed saying what to do."""
    server = smtp_server(current_app.config["SMTP_URL"])
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=server.host)
    message.set_content(body)
    context = ssl.create_default_context()
    try:
        with _connect(server, context) as smtp:
            if server.security == "starttls":
                smtp.starttls(context=context)
            if server.username:
                smtp.login(server.username, server.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as err:
        current_app.logger.error(
            "could not mail %s through %s:%s: %s", to, server.host, server.port, err
        )
        raise MailFailed(
            "We could not send the email just now. Try again in a few minutes; if it keeps "
            "failing, tell the administrator (the server log says why)."
        ) from err


def _connect(server: SmtpServer, context: ssl.SSLContext) -> smtplib.SMTP:
    if server.security == "ssl":
        return smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT_S, context=context)
    return smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_S)
