"""``rebound worker``: load the model once, then take transcription jobs from the queue."""

from __future__ import annotations

import os
import signal
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from app.reports.stored import warm_up
from app.transcription import EngineUnavailable, ModelNotFound
from app.worker.jobs import engine_for_app
from app.worker.queue import queue
from app.worker.reaper import Reaper


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


def _warm_up(app) -> None:
    """Load the sentence model and read the banks' questions (``reports.stored.warm_up``)."""
    started = time.perf_counter()
    with app.app_context():
        try:
            warm_up()
        except Exception as err:  # the first answer then loads it; nothing is lost
            click.echo(f"worker: the reading by meaning could not be warmed up: {err}", err=True)
            return
    click.echo(f"worker: reading by meaning ready in {time.perf_counter() - started:.1f} s")


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
    # The reading by meaning loads beside the first jobs rather than before them.
    threading.Thread(target=_warm_up, args=(app,), name="warm-up", daemon=True).start()
    swept = app.extensions["rebound_store"].sweep_spool()
    if swept:
        click.echo(f"worker: removed {swept} half-received upload(s) left by a stopped web process")
    reaper = Reaper(app, app.config["REAP_INTERVAL_SECONDS"])
    reaper.start()
    # After an upgrade that changed the metric rules, stored metrics are stale until this
    # job (and the ones it queues) measured them again; the pages measure them meanwhile.
    queue.refresh_stored_metrics()
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
