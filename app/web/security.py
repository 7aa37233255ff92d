"""Response headers every page gets: a strict CSP and friends, and ``Vary: HX-Request``."""

from __future__ import annotations

from flask import Flask, Response, request

from app.web.errors import error_response

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


NUL_REFUSED = (
    "The request holds a NUL character (\\0), which no field may contain. "
    "Remove it and send the request again."
)


def _has_nul(value) -> bool:
    """True if ``value`` (a string, or JSON made of lists and dicts) holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def init_app(app: Flask) -> None:
    """Refuse NUL characters in input; add the security headers to every response."""

    @app.before_request
    def _refuse_nul_characters():
        # PostgreSQL cannot store NUL in text and fails the query; SQLite would keep a value
        # that cuts strings short elsewhere. Either way, no field of ours has a use for it.
        values = [*request.args.values(), *request.args.keys()]
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            values += [*request.form.values(), *request.form.keys()]
            values += [f.filename or "" for f in request.files.values()]
        elif request.is_json:
            values.append(request.get_json(silent=True))
        if any(_has_nul(value) for value in values):
            return error_response(400, NUL_REFUSED)
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        # Pages render differently for htmx requests: caches must keep both.
        response.vary.add("HX-Request")
        return response
