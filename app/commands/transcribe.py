"""``rebound transcribe``: audio files in, transcripts out; no database, no server."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from app.config import ConfigError, defaults, from_environment
from app.delivery import analyse
from app.recordings.audio import load_samples
from app.recordings.errors import AudioRejected
from app.reports.speech import compute as compute_metrics
from app.transcription import TranscriptionError, load_engine
from app.transcription.base import SAMPLE_RATE
from app.transcription.segments import transcribe_by_pauses


@dataclass
class AskedQuestion:
    """The question an answer replies to, as given on the command line (no database)."""

    text: str
    talking_points: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    answer_seconds: int | None = None


@click.command("transcribe")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
@click.option("--engine", default=None, help="faster-whisper or openai-whisper.")
@click.option("--model", default=None, help="Model name (tiny.en, base) or folder.")
@click.option(
    "--question", default=None, help="The question answered: adds relevance to the metrics."
)
@click.option(
    "--talking-point",
    "talking_points",
    multiple=True,
    help="A point a good answer covers (repeat for several); needs --question.",
)
def transcribe_command(
    files: tuple[str, ...],
    as_json: bool,
    engine: str | None,
    model: str | None,
    question: str | None,
    talking_points: tuple[str, ...],
) -> None:
    """Transcribe audio files with the configured engine; needs no database or server."""
    if talking_points and not question:
        raise click.UsageError("--talking-point needs --question (the question it belongs to)")
    asked = AskedQuestion(question.strip(), list(talking_points)) if question else None
    try:
        settings = defaults(Path.cwd()) | from_environment(os.environ)
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    failed = 0
    loaded = None
    engine_error: TranscriptionError | None = None
    for name in files:
        path = Path(name)
        try:
            if not path.is_file():
                raise AudioRejected("no such file")
            samples, _info = load_samples(
                path, settings["MAX_ANSWER_SECONDS"], settings["DECODE_TIMEOUT_SECONDS"]
            )
            if engine_error is not None:
                raise engine_error  # the model that would not load will not load for this file
            if loaded is None:
                loaded = load_engine(
                    engine or settings["WHISPER_ENGINE"],
                    model or settings["WHISPER_MODEL"],
                    cache_dir=settings["MODEL_CACHE_DIR"],
                    device=settings["WHISPER_DEVICE"],
                    beam_size=settings["WHISPER_BEAM_SIZE"],
                    verbatim=settings["WHISPER_VERBATIM"],
                )
            transcript = transcribe_by_pauses(loaded, samples)
        except (AudioRejected, TranscriptionError) as err:
            if isinstance(err, TranscriptionError) and loaded is None:
                engine_error = err
            click.echo(f"error: {name}: {err}", err=True)
            if as_json:  # one object per file, as promised, so a script can tell which failed
                click.echo(json.dumps({"file": name, "error": str(err)}))
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
                "metrics": compute_metrics(words, data["duration_s"], asked)
                | {"delivery": analyse(samples, SAMPLE_RATE, words)},
            }
            click.echo(json.dumps(record))
        else:
            click.echo(f"{name}: {data['text'] or '(no speech)'}")
    if failed:
        sys.exit(1)
