"""Errors as pages people can act on (or JSON for scripts), never a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from app.extensions import db

MESSAGES = {
    400: "The request was not understood. Go back and try again.",
    404: "There is nothing here. It may have been deleted, or the link is wrong.",
    405: "That action is not allowed here.",
    413: "The file is too large. The limit is {mb} MB; record a shorter answer "
    "or compress the file.",
    500: "Something went wrong on our side. Nothing you saved was lost; try again.",
}


def wants_json() -> bool:
    """True for scripts and the recorder's upload, which read JSON errors."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def logged_path() -> str:
    """The request's path as logs may keep it: the one-time secret of a link (a password
    reset, an address confirmation, a coach's invitation: any ``<token>`` of the route) is
    replaced, since whoever reads the log could otherwise use the link before its owner."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, "[secret]")
    return path


def error_response(status: int, message: str):
    """Render ``message`` with ``status`` as JSON or as the error page."""
    if wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError):
        return error_response(
            400,
            "This form has expired or was not sent from Rebound. Reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        code = err.code or 500
        message = MESSAGES.get(code, err.description or "")
        if code == 413:
            message = message.format(mb=app.config["MAX_UPLOAD_MB"])
        return error_response(code, message)

    @app.errorhandler(DataError)
    def _bad_value(err: DataError):
        # A value the database refused (out of range, malformed) that no check caught first.
        db.session.rollback()
        app.logger.warning("database refused a value on %s %s: %s", request.method,
                           logged_path(), err.orig)  # fmt: skip
        return error_response(400, "A value in the request is out of range or malformed. "
                                   "Check the fields and send it again.")  # fmt: skip

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, logged_path())
        db.session.rollback()  # the error page and the request log read from a usable session
        return error_response(500, MESSAGES[500])
