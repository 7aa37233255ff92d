"""``rebound serve``: the web app, with a transcription worker beside it (supervised)."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext

from app.commands.database import prepare_database
from app.extensions import db


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
    app = current_app._get_current_object()
    prepare_database(app)
    port = port or app.config["PORT"]
    # Each answer followed live holds a thread: keep half of them for pages and uploads.
    # gunicorn's processes build their own app, from the environment.
    app.config["EVENT_STREAMS"] = app.config["EVENT_STREAMS"] or max(1, threads // 2)
    os.environ["EVENT_STREAMS"] = str(app.config["EVENT_STREAMS"])
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
            freeze_startup_objects()
            serve(
                app,
                host=host,
                port=port,
                threads=threads,
                ident="rebound",
                # The app answers a body over its limit with its own 413 (the limit, what to
                # do; JSON for the API and the recorder): waitress, which would answer first in
                # plain text, only stops bodies declared at more than twice that.
                max_request_body_size=2 * app.config["MAX_CONTENT_LENGTH"],
                # Keep reading a connection while its request runs, so an event stream sees
                # a closed tab at once and gives its thread back (app/web/events.py).
                channel_request_lookahead=1,
            )
    finally:
        if supervisor is not None:
            supervisor.stop()


def _stop_on_sigterm(_signum, _frame) -> None:
    raise KeyboardInterrupt


def freeze_startup_objects() -> None:
    """Keep what starting up made (modules, the app, its settings: over 100,000 objects) out
    of every later full garbage collection.

    A full collection walks every object that can hold others. A page that builds a large
    response (the API list: tens of thousands of dicts of words) sets one off every few
    requests, and walking the startup objects made that request 55-75 ms slower on a
    2-core machine (``bench/pages.py``); frozen, the same collection takes about 2 ms.
    """
    gc.collect()  # what is garbage already is freed, not frozen for good
    gc.freeze()


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

    # Each process builds its own app, the way this command was given one (rebound or flask).
    given = click.get_current_context().ensure_object(ScriptInfo)

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            app = ScriptInfo(
                app_import_path=given.app_import_path,
                create_app=given.create_app,
                set_debug_flag=False,
            ).load_app()
            freeze_startup_objects()  # in each web process, once its app is built
            return app

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
