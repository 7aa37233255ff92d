"""How many uploads one user may have in progress at once: per process, or across all of
them through Redis."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager, suppress

from flask import current_app

from app.recordings.errors import TooManyUploads

log = logging.getLogger(__name__)


class UploadGate:
    """At most ``limit`` uploads in progress per user in this process; the rest get a 429.

    Decoding is the expensive part of an upload; one user should not occupy every web thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: dict[int, int] = {}

    @contextmanager
    def slot(self, user_id: int, limit: int):
        with self._lock:
            if self._active.get(user_id, 0) >= limit:
                raise TooManyUploads(
                    f"You already have {limit} uploads in progress. Wait for them to finish, "
                    "then submit again; your recording is still in the page."
                )
            self._active[user_id] = self._active.get(user_id, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._active[user_id] -= 1


class RedisUploadGate:
    """The same limit counted in Redis, so it holds across web processes and machines.

    A slot held by a process that was killed mid-upload expires after ``ttl_s``.
    """

    def __init__(self, url: str, ttl_s: int, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5)
        self.ttl_s, self.prefix = ttl_s, prefix

    @contextmanager
    def slot(self, user_id: int, limit: int):
        key = f"{self.prefix}:uploads:{user_id}"
        import redis

        try:
            with self.client.pipeline() as pipe:
                count, _ = pipe.incr(key).expire(key, self.ttl_s).execute()
        except redis.RedisError as err:
            # Fail open: a missing limit is better than refusing every candidate's answer.
            log.warning("upload limit not checked, Redis did not answer: %s", err)
            yield
            return
        if count > limit:
            self.client.decr(key)
            raise TooManyUploads(
                f"You already have {limit} uploads in progress. Wait for them to finish, "
                "then submit again; your recording is still in the page."
            )
        try:
            yield
        finally:
            with suppress(redis.RedisError):  # if Redis is gone, the key expires on its own
                self.client.decr(key)


gate = UploadGate()


def upload_gate():
    """The app's gate: Redis-backed with ``REDIS_URL``, else this process's own."""
    return current_app.extensions.get("rebound_upload_gate", gate)
