"""Configuration: embedded defaults, overridden by the environment.

Every setting has a default that works on a laptop with nothing else installed:
SQLite in ``instance/``, recordings under ``audio/``, the bundled Whisper base model.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Settings read from the environment, with the type each one converts to.
ENV_SETTINGS: dict[str, Callable] = {
    "DATABASE_URL": str,
    "AUDIO_DIR": str,
    "SECRET_KEY": str,
    "WHISPER_ENGINE": str,
    "WHISPER_MODEL": str,
    "WHISPER_DEVICE": str,
    "WHISPER_BEAM_SIZE": int,
    # Threads each transcription uses (0: up to 4, as many as there are cores).
    "WHISPER_CPU_THREADS": int,
    "WHISPER_VERBATIM": lambda raw: raw.strip().lower() in ("1", "true", "yes", "on"),
    "MAX_UPLOAD_MB": int,
    # What one account's recordings may take in all (0: no limit).
    "MAX_STORAGE_MB": int,
    "MAX_ANSWER_SECONDS": int,
    # Streamed recordings: the largest piece, and how long without a piece before the
    # worker finishes a recording with what arrived.
    "MAX_PIECE_KB": int,
    "ABANDONED_RECORDING_SECONDS": int,
    # Transcribe streamed recordings while they arrive (off: only at finish).
    # CPU priority of `rebound worker` (and the worker `rebound serve` starts): 0-19.
    "WORKER_NICE": int,
    "LIVE_TRANSCRIPTION": lambda raw: raw.strip().lower() in ("1", "true", "yes", "on"),
    "PORT": int,
    "QUEUE_PATH": str,
    "MODEL_CACHE_DIR": str,
    "JOB_LEASE_SECONDS": int,
    # Set to 1 behind HTTPS so cookies are never sent in clear text.
    "SESSION_COOKIE_SECURE": lambda raw: raw.strip().lower() in ("1", "true", "yes", "on"),
    # Reverse proxies in front of Rebound that add X-Forwarded-For/-Proto (nginx: 1). Only
    # set it behind a proxy: each hop's header is believed, and /metrics then needs its token.
    "TRUSTED_PROXY_HOPS": int,
    "RATELIMIT_STORAGE_URI": str,
    "MAX_CONCURRENT_UPLOADS": int,
    "DECODE_TIMEOUT_SECONDS": float,
    # Several machines: a Redis job queue and S3-compatible storage (docs/deploy.md).
    "REDIS_URL": str,
    "QUEUE_NAME": str,
    "RATELIMIT_KEY_PREFIX": str,
    "REAP_INTERVAL_SECONDS": float,
    "S3_BUCKET": str,
    "S3_PREFIX": str,
    "S3_ENDPOINT_URL": str,
    "S3_REGION": str,
    "S3_SERVER_SIDE_ENCRYPTION": str,
    "WEB_PROCESSES": int,
    # Answers followed live (Server-Sent Events) at once by one web process, and by one user
    # in it; each holds a server thread while open (app/web/events.py).
    "EVENT_STREAMS": int,
    "EVENT_STREAMS_PER_USER": int,
    "EVENT_STREAM_SECONDS": float,
    "METRICS_TOKEN": str,
    "LOG_FORMAT": str,
    # Email (verification links, sign-up notices, reset links); unset: nothing is mailed.
    "SMTP_URL": lambda raw: smtp_server(raw) and raw.strip(),
    "MAIL_FROM": str,
    # Where people open Rebound, e.g. https://rebound.example.org: links in emails start here.
    "PUBLIC_URL": str,
    "INVITATION_DAYS": int,
    "SIGNUP_RATE_LIMIT": str,
}


class ConfigError(Exception):
    """A setting from the environment has a value we cannot use."""


@dataclass(frozen=True)
class SmtpServer:
    """Where mail goes: ``security`` is ``plain``, ``starttls`` or ``ssl``."""

    host: str
    port: int
    security: str
    username: str
    password: str


SMTP_SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}


def smtp_server(url: str) -> SmtpServer:
    """``smtp://``, ``smtp+starttls://`` or ``smtps://[user:password@]host[:port]``, read."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    # The message never repeats the URL: it may hold the mail server's password.
    if parts.scheme not in SMTP_SCHEMES or not parts.hostname or port == -1:
        raise ConfigError(
            "SMTP_URL is not a mail server address: write smtp://host:25 (no encryption), "
            "smtp+starttls://user:password@host:587 or smtps://user:password@host:465"
        )
    security, default_port = SMTP_SCHEMES[parts.scheme]
    return SmtpServer(parts.hostname, port or default_port, security,
                      unquote(parts.username or ""), unquote(parts.password or ""))  # fmt: skip


def model_cache_dir() -> Path:
    """Where joined and converted models live: shared by every data folder of this user."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rebound" / "models"


def defaults(data_dir: Path) -> dict:
    """The embedded defaults, rooted at ``data_dir`` (the folder the app is started from)."""
    instance = data_dir / "instance"
    return {
        "DATABASE_URL": f"sqlite:///{instance / 'rebound.sqlite3'}",
        "AUDIO_DIR": str(data_dir / "audio"),
        "SECRET_KEY": None,
        "WHISPER_ENGINE": "faster-whisper",
        # base, not tiny.en: it keeps 18 of 20 "um"/"uh" (tiny.en: 2, or 15 with a prompt
        # that costs it 3 points of WER on clean answers); see bench/FILLERS.md.
        "WHISPER_MODEL": "base",
        "WHISPER_DEVICE": "auto",
        # Beam 5 keeps the verbatim prompt's cost on clean answers under a point of WER
        # (base, beam 1: +1.4 points pooled; beam 5: +0.2), at about 1.7x the time
        # (bench/RESULTS.md: 9.12 s against 5.50 s for a 57 s answer).
        "WHISPER_BEAM_SIZE": 5,
        "WHISPER_CPU_THREADS": 0,
        "WHISPER_VERBATIM": True,
        "MAX_UPLOAD_MB": 50,
        "MAX_STORAGE_MB": 2048,
        "MAX_ANSWER_SECONDS": 600,
        # A 1 s Opus piece is 2-8 KB; a browser that falls behind may send several seconds.
        "MAX_PIECE_KB": 1024,
        "ABANDONED_RECORDING_SECONDS": 60,
        "LIVE_TRANSCRIPTION": True,
        # bench/RESULTS.md ("Streaming"): page loads while the worker is busy, nice 0 and 5.
        "WORKER_NICE": 5,
        "PORT": 5000,
        "QUEUE_PATH": str(instance / "queue.sqlite3"),
        "MODEL_CACHE_DIR": str(model_cache_dir()),
        "JOB_LEASE_SECONDS": 60,
        "QUEUE_IMMEDIATE": False,
        # The mock interviewer's next lines are synthesised while the candidate answers (a
        # worker job), so each turn's voice is ready at Stop; off, each is made when first
        # asked for.
        "SPEAK_AHEAD": True,
        "PRACTICE_MAX_QUESTIONS": 20,
        "MAX_CONCURRENT_UPLOADS": 2,
        "DECODE_TIMEOUT_SECONDS": 120,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": False,
        "TRUSTED_PROXY_HOPS": 0,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PASSWORD_HASH_METHOD": "scrypt",
        # memory:// counts per process; with REDIS_URL set, create_app uses Redis instead.
        "RATELIMIT_STORAGE_URI": None,
        "REDIS_URL": None,
        # Names the queue and prefixes Rebound's other Redis keys: two deployments may share
        # one Redis server under different names.
        "QUEUE_NAME": "rebound",
        "RATELIMIT_KEY_PREFIX": None,
        # How often a worker looks for answers whose worker died (and for queued rows that
        # never reached the queue). A dead worker's answer is picked up within
        # JOB_LEASE_SECONDS + REAP_INTERVAL_SECONDS.
        "REAP_INTERVAL_SECONDS": 20,
        "S3_BUCKET": None,
        "S3_PREFIX": "rebound/",
        "S3_ENDPOINT_URL": None,
        "S3_REGION": None,
        "S3_SERVER_SIDE_ENCRYPTION": None,
        "WEB_PROCESSES": 0,
        # 0: half of `rebound serve --threads` (4 of the default 8), 4 under other servers.
        "EVENT_STREAMS": 0,
        # The recorder's stream and the answer page's overlap for a moment at Stop.
        "EVENT_STREAMS_PER_USER": 3,
        # A stream still pending then ends, and the browser connects again (a fresh check of
        # who may see the answer, and a thread that cannot be held for ever).
        "EVENT_STREAM_SECONDS": 60,
        "METRICS_TOKEN": None,
        # "text" (one readable line per event) or "json" (one JSON object per line).
        "LOG_FORMAT": "text",
        "RATELIMIT_HEADERS_ENABLED": False,
        # If Redis stops answering, count limits in this process rather than fail logins.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SMTP_URL": None,
        "MAIL_FROM": "Rebound <rebound@localhost>",
        "PUBLIC_URL": None,
        # How long an invitation link may wait to be accepted.
        "INVITATION_DAYS": 14,
        # Sign-ups from one client address (each costs a memory-hard hash); one email
        # address has its own, tighter limit (app/web/auth.py).
        "SIGNUP_RATE_LIMIT": "20 per minute;200 per day",
    }


def from_environment(environ: os._Environ | dict) -> dict:
    """Read the known settings present in ``environ``, converted to their types."""
    found = {}
    for name, kind in ENV_SETTINGS.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        try:
            found[name] = kind(raw)
        except ValueError as err:
            label = getattr(kind, "__name__", "value").replace("<lambda>", "flag")
            raise ConfigError(f"{name}={raw!r} is not a valid {label}") from err
    return found


def check_mail_settings(config) -> None:
    """Mailed links must not be built from a request's Host header, which a client chooses."""
    if config["SMTP_URL"] and not config["PUBLIC_URL"]:
        raise ConfigError(
            "SMTP_URL is set, so set PUBLIC_URL too: the address people open Rebound at "
            "(e.g. https://rebound.example.org). Links in emails start with it."
        )


def load_secret_key(instance: Path) -> str:
    """Return a secret key kept in ``instance/secret_key``, creating it on first start."""
    path = instance / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key)
    return key
