"""The web: blueprints that parse a request, call one domain function and render the answer.

Pages and the JSON API live here; the rules they apply live in the domain packages
(``accounts``, ``questions``, ``recordings``, ``feedback``, ``reports``, ``privacy``), so a
page and its API twin can never disagree.
"""

from __future__ import annotations

from flask import Flask

from app.extensions import csrf
from app.web import (
    api,
    attempts,
    auth,
    debriefs,
    display,
    errors,
    interview_api,
    interviews,
    ops,
    practice,
    progress,
    questions,
    review,
    security,
    settings,
    shares,
)

BLUEPRINTS = (
    practice.bp,
    questions.bp,
    attempts.bp,
    progress.bp,
    settings.bp,
    shares.bp,
    review.bp,
    debriefs.bp,
    interviews.bp,
    api.bp,
    interview_api.bp,
)


def init_app(app: Flask) -> None:
    """Install the request hooks, then every blueprint."""
    ops.init_app(app)  # first: every later hook and log line has the request id
    auth.init_app(app)
    display.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    # The API checks CSRF itself: only cookie-authenticated calls need the token.
    csrf.exempt(api.bp)
    csrf.exempt(interview_api.bp)
