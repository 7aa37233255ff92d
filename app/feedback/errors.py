"""Feedback that cannot be saved, with the status a page or the API answers."""

from __future__ import annotations


class FeedbackError(Exception):
    """Feedback that cannot be saved; the message says why and what to do instead."""

    status = 422


class CommentNotAllowed(FeedbackError):
    """This person may not start a comment here (only reply)."""

    status = 403
