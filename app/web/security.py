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
SURROGATE_REFUSED = (
    "The request holds half of a UTF-16 character pair (an unpaired surrogate, such as "
    "\\ud800 in JSON), which is not text. Send the field as valid UTF-8 text."
)
JSON_TOO_DEEP = (
    "The JSON body is nested too deeply to read. Send a flat JSON object, as the API "
    "document describes."
)


def _refused_character(value) -> str | None:
    """Why ``value`` (a string, or JSON made of lists and dicts, however deep) cannot be kept
    as text: a NUL character or a lone surrogate; None when it can."""
    waiting = [value]
    while waiting:
        item = waiting.pop()
        if isinstance(item, dict):
            waiting += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            waiting += item
        elif isinstance(item, str):
            if "\x00" in item:
                return NUL_REFUSED
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:  # only a surrogate cannot be encoded
                return SURROGATE_REFUSED
    return None


def init_app(app: Flask) -> None:
    """Refuse characters no field can hold; add the security headers to every response."""

    @app.before_request
    def _refuse_characters_no_field_holds():
        # PostgreSQL cannot store NUL in text and fails the query; SQLite would keep a value
        # that cuts strings short elsewhere. A lone surrogate (JSON's "\ud800") cannot be
        # encoded at all and failed the insert with a 500. No field of ours has a use for them.
        values = [*request.args.values(), *request.args.keys()]
        if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            values += [*request.form.values(), *request.form.keys()]
            values += [f.filename or "" for f in request.files.values()]
        elif request.is_json:
            try:
                values.append(request.get_json(silent=True))
            except RecursionError:  # "silent" covers malformed JSON, not JSON nested past
                return error_response(400, JSON_TOO_DEEP)  # the parser's recursion limit
        why = _refused_character(values)
        return error_response(400, why) if why else None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        # Pages render differently for htmx requests: caches must keep both.
        response.vary.add("HX-Request")
        # Pages, fragments and API answers show one person's answers (and, once, a new API
        # token): no browser or proxy cache keeps them. Static files and audio keep theirs.
        if response.mimetype in ("text/html", "application/json", "text/event-stream") and (
            "Cache-Control" not in response.headers
        ):
            response.headers["Cache-Control"] = "no-store"
        return response
