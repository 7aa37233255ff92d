"""One URL, two renderings: the whole page, or one named block of it for an htmx request."""

from __future__ import annotations

from flask import render_template
from jinja2_fragments.flask import render_block

from app.extensions import htmx


def render(template: str, block: str | None = None, **context) -> str:
    """The full page, or only ``block`` when htmx asks (one URL, two renderings)."""
    if block and htmx:
        return render_block(template, block, **context)
    return render_template(template, **context)
