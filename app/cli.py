"""The ``rebound`` command (also ``flask --app app ...``): serve, worker, transcribe, banks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from .config import ConfigError, defaults, from_environment


def _create_app(*_args) -> Flask:
    from . import create_app

    return create_app()


def prepare_database(app: Flask) -> None:
    """Bring the schema up to date and load the shipped question banks."""
    from flask_migrate import upgrade

    from .banks import sync_banks

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        sync_banks(Path(app.config["QUESTION_BANKS_DIR"]))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port (default: $PORT or 5000).")
@click.option("--no-worker", is_flag=True, help="Do not start a transcription worker.")
@click.option("--threads", type=int, default=8, show_default=True, help="Threads per process.")
@click.option(
    "--production",
    is_flag=True,
    help="Several web processes (gunicorn) instead of one; see docs/deploy.md.",
)
@click.option(
    "--processes",
    type=int,
    default=None,
    help="Web processes with --production (default: $WEB_PROCESSES, else 2 per core + 1).",
)
@with_appcontext
def serve_command(
    host: str,
    port: int | None,
    no_worker: bool,
    threads: int,
    production: bool,
    processes: int | None,
) -> None:
    """Run the web app, and a transcription worker beside it unless REDIS_URL is set.

    With REDIS_URL the queue is shared: run ``rebound worker`` on the machines meant for
    transcription, and web machines spend their cores on pages only.
    """
    from .extensions import db

    app = current_app._get_current_object()
    prepare_database(app)
    port = port or app.config["PORT"]
    # SIGTERM (systemd, docker stop, a test's terminate()) must run the cleanup below, or
    # the worker this process started would be left running on its own.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    swept = app.extensions["rebound_store"].sweep_spool()
    if swept:
        click.echo(f"removed {swept} half-received upload(s) left by a stopped web process")
    supervisor = None
    if app.config["REDIS_URL"]:
        click.echo(
            "Queue on Redis: this process serves pages only; run `rebound worker` to transcribe."
        )
    elif not no_worker:
        supervisor = WorkerSupervisor(Path(app.instance_path).parent)
        supervisor.start()
    try:
        if production:
            processes = processes or app.config["WEB_PROCESSES"] or 2 * (os.cpu_count() or 1) + 1
            if processes > 1 and app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
                click.echo(
                    "warning: login limits are counted per process; set REDIS_URL so "
                    f"{processes} processes share them.",
                    err=True,
                )
            db.engine.dispose()  # each forked process opens its own connections
            click.echo(
                f"Rebound is running at http://{host}:{port}/ with {processes} web processes "
                "(Ctrl+C stops it)"
            )
            run_gunicorn(app, host, port, processes, threads)
        else:
            from waitress import serve

            click.echo(f"Rebound is running at http://{host}:{port}/  (Ctrl+C stops it)")
            serve(
                app,
                host=host,
                port=port,
                threads=threads,
                ident="rebound",
                max_request_body_size=app.config["MAX_CONTENT_LENGTH"],
            )
    finally:
        if supervisor is not None:
            supervisor.stop()


def _stop_on_sigterm(_signum, _frame) -> None:
    raise KeyboardInterrupt


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to send SIGTERM when the supervising ``rebound serve`` dies, even by SIGKILL."""
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the supervisor's own cleanup still stops this worker
    if os.getppid() != parent_pid:  # the parent died before the request was in place
        raise SystemExit(0)


def run_gunicorn(app: Flask, host: str, port: int, processes: int, threads: int) -> None:
    """Serve with gunicorn's pre-forking server; each process builds its own app."""
    from gunicorn.app.base import BaseApplication

    options = {
        "bind": f"{host}:{port}",
        "workers": processes,
        "threads": threads,
        "worker_class": "gthread",
        # Long enough for the slowest upload: receiving it plus decoding under its limit.
        "timeout": int(app.config["DECODE_TIMEOUT_SECONDS"]) + 60,
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": None,  # every request is logged by the app, with its request id
        "errorlog": "-",
        "proc_name": "rebound-web",
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from . import create_app

            return create_app()

    Server().run()


class WorkerSupervisor(threading.Thread):
    """Runs ``rebound worker`` beside the web server and restarts it if it dies.

    Whatever the dead worker held comes back through its lease, so a restart loses nothing.
    """

    def __init__(self, data_dir: Path) -> None:
        super().__init__(daemon=True, name="worker-supervisor")
        self.env = dict(os.environ, REBOUND_DATA_DIR=str(data_dir))
        self.stopping = threading.Event()
        self.process: subprocess.Popen | None = None

    def run(self) -> None:
        while not self.stopping.is_set():
            env = dict(self.env, REBOUND_SUPERVISOR_PID=str(os.getpid()))
            self.process = subprocess.Popen([sys.executable, "-m", "app", "worker"], env=env)
            while self.process.poll() is None and not self.stopping.wait(1):
                pass
            if not self.stopping.is_set():
                click.echo(
                    f"worker exited with status {self.process.returncode}; restarting", err=True
                )
                self.stopping.wait(2)

    def stop(self) -> None:
        self.stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@click.command("worker")
@click.option(
    "--concurrency",
    type=int,
    default=1,
    show_default=True,
    help="Jobs run at once (each uses the cores the engine is given).",
)
@click.option(
    "--nice",
    "niceness",
    type=int,
    default=None,
    help="Lower this process's CPU priority so web pages stay quick [default: WORKER_NICE, 5].",
)
@with_appcontext
def worker_command(concurrency: int, niceness: int | None) -> None:
    """Run a transcription worker: load the model once, then take jobs from the queue."""
    from .extensions import queue
    from .jobs import engine_for_app
    from .transcription import EngineUnavailable, ModelNotFound

    app = current_app._get_current_object()
    if os.environ.get("REBOUND_SUPERVISOR_PID"):
        _die_with_parent(int(os.environ["REBOUND_SUPERVISOR_PID"]))
    if niceness is None:
        niceness = current_app.config["WORKER_NICE"]
    if niceness:
        os.nice(niceness)
    started = time.perf_counter()
    try:
        engine = engine_for_app()
    except (ModelNotFound, EngineUnavailable) as err:
        # Keep running: answers stay queued and are transcribed once the model is fixed.
        click.echo(f"worker: transcription unavailable: {err}", err=True)
    else:
        elapsed = time.perf_counter() - started
        device = getattr(engine, "device", "cpu")
        click.echo(
            f"worker: {engine.name} {engine.model_name} ({device}) loaded in {elapsed:.1f} s"
        )
    swept = app.extensions["rebound_store"].sweep_spool()
    if swept:
        click.echo(f"worker: removed {swept} half-received upload(s) left by a stopped web process")
    reaper = Reaper(app, app.config["REAP_INTERVAL_SECONDS"])
    reaper.start()
    consumer = queue.huey.create_consumer(
        # An idle worker looks for jobs every 0.1 s at most: the final job of a streamed
        # answer is due at once, and a look is one small query.
        workers=concurrency,
        periodic=True,
        worker_type="thread",
        initial_delay=0.05,
        max_delay=0.1,
    )
    with app.app_context():
        consumer.run()


class Reaper(threading.Thread):
    """Hands answers whose worker died back to the queue: at start, then at each interval.

    Every worker runs one; two reapers finding the same answer queue it twice, and the
    guarded claim in ``jobs.claim`` lets only one job run it.
    """

    def __init__(self, app: Flask, interval_s: float) -> None:
        super().__init__(daemon=True, name="reaper")
        self.app, self.interval_s = app, interval_s
        self.stopped = threading.Event()

    def run(self) -> None:
        from .extensions import queue

        while True:
            try:
                with self.app.app_context():
                    queue.run_reaper()
            except Exception:  # a database hiccup must not end reaping for good
                self.app.logger.exception("reaper: could not check for abandoned answers")
            if self.stopped.wait(self.interval_s):
                return


@click.command("transcribe")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
@click.option("--engine", default=None, help="faster-whisper or openai-whisper.")
@click.option("--model", default=None, help="Model name (tiny.en, base) or folder.")
def transcribe_command(
    files: tuple[str, ...], as_json: bool, engine: str | None, model: str | None
) -> None:
    """Transcribe audio files with the configured engine; needs no database or server."""
    from .audio import AudioRejected, load_samples
    from .metrics import compute as compute_metrics
    from .transcription import TranscriptionError, load_engine

    try:
        settings = defaults(Path.cwd()) | from_environment(os.environ)
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    failed = 0
    loaded = None
    for name in files:
        path = Path(name)
        try:
            if not path.is_file():
                raise AudioRejected("no such file")
            samples, _info = load_samples(path, settings["MAX_ANSWER_SECONDS"])
            if loaded is None:
                loaded = load_engine(
                    engine or settings["WHISPER_ENGINE"],
                    model or settings["WHISPER_MODEL"],
                    cache_dir=settings["MODEL_CACHE_DIR"],
                    device=settings["WHISPER_DEVICE"],
                    beam_size=settings["WHISPER_BEAM_SIZE"],
                    verbatim=settings["WHISPER_VERBATIM"],
                )
            transcript = loaded.transcribe(samples)
        except (AudioRejected, TranscriptionError) as err:
            click.echo(f"error: {name}: {err}", err=True)
            failed += 1
            continue
        data = transcript.to_dict()
        if as_json:
            words = [
                {"word": w["word"], "start": w["start"], "end": w["end"]} for w in data["words"]
            ]
            record = {
                "file": name,
                "text": data["text"],
                "duration_s": data["duration_s"],
                "words": words,
                "metrics": compute_metrics(words, data["duration_s"]),
            }
            click.echo(json.dumps(record))
        else:
            click.echo(f"{name}: {data['text'] or '(no speech)'}")
    if failed:
        sys.exit(1)


@click.group("banks")
def banks_group() -> None:
    """Question banks: check and import YAML or CSV files."""


@banks_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--user",
    "email",
    default=None,
    help="Whose questions these become (email); optional when there is one account.",
)
@with_appcontext
def banks_import(path: str, email: str | None) -> None:
    """Import a bank file as a user's own questions (running it twice adds nothing twice)."""
    from .banks import BankError, load_bank_file, store_questions, user_scope
    from .extensions import db
    from .identity import find_user
    from .models import User

    prepare_database(current_app._get_current_object())
    if email:
        user = find_user(email)
        if user is None:
            raise click.ClickException(
                f"no account for {email}: create it with `rebound users create`"
            )
    else:
        users = db.session.execute(db.select(User).limit(2)).scalars().all()
        if len(users) != 1:
            raise click.ClickException("say whose questions these are: --user EMAIL")
        user = users[0]
    try:
        specs = load_bank_file(Path(path))
    except BankError as err:
        raise click.ClickException(str(err)) from err
    result = store_questions(
        specs, user_scope(user.id), user.id, f"imported from {Path(path).name}"
    )
    click.echo(
        f"{Path(path).name}: {result.added} added, {result.updated} updated, "
        f"{len(specs) - result.added - result.updated} unchanged"
    )


@banks_group.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
def banks_check(paths: tuple[str, ...]) -> None:
    """Validate bank files (or folders of them) without touching the database."""
    from .banks import BankError, bank_files, load_bank_file

    failed = False
    for name in paths:
        path = Path(name)
        for file in bank_files(path) if path.is_dir() else [path]:
            try:
                click.echo(f"{file.name}: {len(load_bank_file(file))} questions")
            except BankError as err:
                click.echo(f"error: {err}", err=True)
                failed = True
    if failed:
        sys.exit(1)


@click.group("users")
def users_group() -> None:
    """Accounts: create users, print password-reset links."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_group.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(["candidate", "recruiter", "admin"]),
    default="candidate",
    show_default=True,
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--name", default="", help="Display name.")
@with_appcontext
def users_create(email: str, role: str, password_stdin: bool, name: str) -> None:
    """Create an account (the password is asked at a prompt)."""
    from .identity import AccountError, create_user
    from .sharing import claim_email_invitations

    prepare_database(current_app._get_current_object())
    try:
        user = create_user(email, _read_password(password_stdin), role, name)
    except AccountError as err:
        raise click.ClickException(str(err)) from err
    claim_email_invitations(user)  # shares sent to this address before it had an account
    click.echo(f"created {user.role} {user.email}")


@users_group.command("reset-link")
@click.argument("email")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@with_appcontext
def users_reset_link(email: str, base_url: str) -> None:
    """Print a one-time, one-hour password reset link for a user."""
    from .identity import find_user, reset_token

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    click.echo(f"{base_url.rstrip('/')}/password/reset/{reset_token(user)}")


@click.group("tokens")
def tokens_group() -> None:
    """Personal API tokens."""


@tokens_group.command("create")
@click.argument("email")
@click.option("--name", default="created from the command line")
@with_appcontext
def tokens_create(email: str, name: str) -> None:
    """Create an API token for a user; the token alone is printed on the last line."""
    from .identity import create_api_token, find_user

    prepare_database(current_app._get_current_object())
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account for {email}: create it with `rebound users create`")
    token = create_api_token(user, name)
    click.echo(f"API token for {user.email} (shown once, store it now):")
    click.echo(token)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database and load the shipped question banks."""
    prepare_database(current_app._get_current_object())
    click.echo("database ready")


APP_COMMANDS = (
    serve_command,
    worker_command,
    banks_group,
    users_group,
    tokens_group,
    init_db_command,
)


def register_commands(app: Flask) -> None:
    """Add the commands to ``flask --app app``."""
    for command in (*APP_COMMANDS, transcribe_command):
        app.cli.add_command(command)


class ReboundGroup(FlaskGroup):
    """``transcribe`` must work without loading the app (no database, no folders)."""

    def get_command(self, ctx, name):
        if name == "transcribe":
            return transcribe_command
        return super().get_command(ctx, name)


main = ReboundGroup(
    create_app=_create_app,
    add_version_option=False,
    help="Rebound: practise difficult interview questions aloud.",
)
