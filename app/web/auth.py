"""Sign up, log in, log out, change or reset a password; who is asking, on every request.

Every page needs a logged-in user except the ones in ``PUBLIC_ENDPOINTS``. The API also
accepts ``Authorization: Bearer <token>``. Failed logins get one generic message, and are
throttled per address and per account; sign-ups never say whether an address has an
account (``accounts.signup``), and are throttled per client address and per email address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)  # fmt: skip
from flask_login import current_user, login_user, logout_user

from app.accounts.identity import (
    AccountError,
    authenticate,
    reset_password,
    rotate_session,
    set_password,
    user_for_api_token,
    user_for_reset_token,
)  # fmt: skip
from app.accounts.mail import MailFailed, mail_configured
from app.accounts.signup import Outcome, send_reset_link, sign_up
from app.accounts.verification import (
    VERIFY_MAX_AGE_S,
    check_may_log_in,
    confirm_email,
    user_for_verification_token,
)  # fmt: skip
from app.extensions import db, limiter, login_manager
from app.feedback.invitations import claim_email_invitations
from app.models import User
from app.web.errors import error_response, wants_json

bp = Blueprint("auth", __name__)
PUBLIC_ENDPOINTS = {
    "static", "auth.login", "auth.signup", "auth.forgot", "auth.reset", "auth.verify",
    # For load balancers and Prometheus; /metrics checks its own token.
    "ops.healthz", "ops.readyz", "ops.metrics",
}  # fmt: skip
LOGIN_FAILED = "That email and password do not match an account. Check both and try again."
SIGNUPS_PER_EMAIL = "5 per hour"  # each may send a mail to that address


# Where an API token is a login (app.web.api and app.web.interview_api).
API_BLUEPRINTS = frozenset({"api", "interview_api"})
# Guesses at the password of an account already logged in (changing it, deleting the account).
PASSWORD_CHECKS_PER_USER = "8 per minute"
PASSWORD_CHECKS_HELD = "Too many password attempts on this account. Wait a minute, then try again."


def password_check_key() -> str:
    """The account whose password a logged-in form checks (one limit for every such form)."""
    return f"password-check:{getattr(g.get('user'), 'id', None)}"


def _login_email_key() -> str:
    return "login:" + (request.form.get("email") or "").strip().lower()[:254]


def _signup_email_key() -> str:
    return "signup:" + (request.form.get("email") or "").strip().lower()[:254]


def _signup_limit() -> str:
    return current_app.config["SIGNUP_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Only a path on this site; anything else goes home.

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
    ``/%09/evil.example`` (a tab) would become ``//evil.example``: a path with any control character,
    space or backslash is refused, as is one that names a scheme or a host.
    """
    if (
        target
        and target.startswith("/")
        and all(0x21 <= ord(char) < 0x7F for char in target)
        and "\\" not in target
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not parts.path.startswith("//"):
            return target
    return url_for("practice.index")


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(
    _signup_limit,
    methods=["POST"],
    error_message="Too many sign-ups from your network. Wait a while and try again.",
)
@limiter.limit(SIGNUPS_PER_EMAIL, methods=["POST"], key_func=_signup_email_key,
               error_message="Too many sign-ups with this email address. Try again in an hour, "
               "or log in if the account is yours.")  # fmt: skip
def signup():
    """Create an account; the answer never says whether the address had one (``sign_up``)."""
    error = None
    if request.method == "POST":
        role = "recruiter" if request.form.get("role") == "recruiter" else "candidate"
        try:
            result = sign_up(request.form.get("email", ""), request.form.get("password", ""), role,
                             request.form.get("display_name", ""))  # fmt: skip
        except MailFailed as err:
            return render_template("auth/signup.html", error=str(err), form=request.form), 503
        except AccountError as err:
            error = str(err)
        else:
            if result.outcome == Outcome.CHECK_EMAIL:
                return render_template("auth/check_email.html", hours=VERIFY_MAX_AGE_S // 3600)
            if result.outcome == Outcome.LOGIN_FAILED:
                # Exactly the login form's answer to a wrong password or an unknown address.
                return render_template(
                    "auth/login.html", error=LOGIN_FAILED, form=request.form
                ), 401
            login_user(result.user)
            claim_email_invitations(result.user)
            if result.outcome == Outcome.CREATED:
                flash("Welcome to Rebound.")
            return redirect(_safe_next(request.args.get("next")))
    return render_template(
        "auth/signup.html", error=error, form=request.form
    ), 422 if error else 200


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def verify(token: str):
    """Prove an email address with the mailed link and the account's password."""
    try:
        user = user_for_verification_token(token)
    except AccountError as err:
        return render_template("auth/verify.html", error=str(err), user=None), 400
    error = None
    if request.method == "POST":
        try:
            confirm_email(token, request.form.get("password", ""))
        except AccountError as err:
            error = str(err)
        else:
            login_user(user)
            claim_email_invitations(user)
            flash("Your email address is confirmed. Welcome to Rebound.")
            return redirect(url_for("practice.index"))
    return render_template("auth/verify.html", error=error, user=user), 422 if error else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@limiter.limit("8 per minute", methods=["POST"], key_func=_login_email_key)
def login():
    """Log in with email and password (once the address is confirmed, when mail is set up)."""
    error = None
    if request.method == "POST":
        user = authenticate(request.form.get("email", ""), request.form.get("password", ""))
        if user is None:
            error = LOGIN_FAILED
        else:
            try:
                check_may_log_in(user)
            except AccountError as err:
                error = str(err)
            else:
                login_user(user, remember=False)
                claim_email_invitations(user)
                return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", error=error, form=request.form), 401 if error else 200


@bp.post("/logout")
def logout():
    """Log out everywhere this browser's session was valid."""
    rotate_session(current_user._get_current_object())
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@limiter.limit(PASSWORD_CHECKS_PER_USER, methods=["POST"], key_func=password_check_key,
               error_message=PASSWORD_CHECKS_HELD)  # fmt: skip
def change_password():
    """Change the password (ends other sessions)."""
    error = None
    if request.method == "POST":
        user = current_user._get_current_object()
        if authenticate(user.email, request.form.get("current", "")) is None:
            error = "Your current password is not right."
        else:
            try:
                set_password(user, request.form.get("password", ""))
            except AccountError as err:
                error = str(err)
            else:
                login_user(user)  # this session continues with the new token
                flash("Your password was changed. Other sessions were logged out.")
                return redirect(url_for("settings.edit"))
    return render_template("auth/password.html", error=error), 422 if error else 200


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot():
    """Ask for a reset link: mailed, or with no mail server written to the server log."""
    if request.method == "POST":
        try:
            send_reset_link(request.form.get("email", ""))
        except AccountError as err:
            return render_template("auth/forgot.html", error=str(err), mail=True), 503
        # The same answer either way: this page must not reveal who has an account.
        if mail_configured():
            flash("We sent a message to that address. If it has an account, the message holds "
                  "a reset link that works for one hour.")  # fmt: skip
        else:
            flash("If that address has an account, a reset link was sent to the administrator's "
                  "log (no mail server is configured). It works for one hour.")  # fmt: skip
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", mail=mail_configured())


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    """Choose a new password from a one-time link."""
    try:
        user_for_reset_token(token)
    except AccountError as err:
        return render_template("auth/forgot.html", error=str(err), mail=mail_configured()), 400
    error = None
    if request.method == "POST":
        try:
            reset_password(token, request.form.get("password", ""))
        except AccountError as err:
            error = str(err)
        else:
            flash("Your password was reset. Log in with the new one.")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", error=error), 422 if error else 200


def init_app(app: Flask) -> None:
    """Wire Flask-Login and the login requirement into the app."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load(session_token: str) -> User | None:
        if not session_token:
            return None
        return db.session.execute(
            db.select(User).filter_by(session_token=session_token)
        ).scalar_one_or_none()

    @login_manager.request_loader
    def _from_bearer(req) -> User | None:
        """An API token logs in to the API only: a page, a form or the settings (where a
        password is changed and tokens are made) need the account's own login."""
        header = req.headers.get("Authorization", "")
        if header.startswith("Bearer ") and req.blueprint in API_BLUEPRINTS:
            user = user_for_api_token(header.removeprefix("Bearer ").strip())
            if user is not None:
                g.bearer = True
            return user
        return None

    @login_manager.unauthorized_handler
    def _unauthorized():
        if wants_json():
            return error_response(
                401, "Log in first, or send an API token as 'Authorization: Bearer …'."
            )
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def _require_login():
        g.bearer = False
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            g.user = current_user if current_user.is_authenticated else None
            return None
        if not current_user.is_authenticated:
            if request.endpoint == "practice.index" and request.method == "GET":
                # The first page a visitor sees says what Rebound is, with a microphone check.
                g.user = None
                return render_template("auth/welcome.html")
            return login_manager.unauthorized()
        g.user = current_user._get_current_object()
        return None

    app.register_blueprint(bp)
