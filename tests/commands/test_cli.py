"""The ``rebound`` command: transcribe without a database, and clean errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AUDIO_DIR")}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_transcribe_json_prints_one_object_per_file(tmp_path, audio_fixtures):
    result = run(
        "transcribe",
        "--json",
        str(audio_fixtures / "answer.m4a"),
        str(audio_fixtures / "short.wav"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert set(first) == {"file", "text", "duration_s", "words", "metrics"}
    assert first["metrics"]["words"] == len(first["words"])
    assert first["metrics"]["star"]["result"] in (True, False)
    assert first["file"].endswith("answer.m4a") and "deadline" in first["text"]
    assert 9 < first["duration_s"] < 10.5
    assert set(first["words"][0]) == {"word", "start", "end"}
    # How it sounded, measured from the same samples (app.delivery).
    delivery = first["metrics"]["delivery"]
    assert set(delivery) == {"pitch", "volume", "rising_endings", "filler_bursts",
                             "repetitions", "rate"}  # fmt: skip
    assert delivery["pitch"]["median_hz"] > 0 and delivery["rate"]
    assert "help" in json.loads(lines[1])["text"].lower()
    # It needed no database and made none.
    assert not (tmp_path / "instance").exists() and not any(tmp_path.iterdir())


def test_transcribe_bad_file_is_one_error_line_and_non_zero(tmp_path, audio_fixtures):
    result = run(
        "transcribe",
        "--json",
        str(audio_fixtures / "page.html"),
        str(audio_fixtures / "short.wav"),
        str(tmp_path / "missing.wav"),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert errors[0].startswith("error: ") and "page.html" in errors[0]
    assert "missing.wav: no such file" in errors[1]
    assert "Traceback" not in result.stderr
    # One JSON object per file, as --json promises: the good file's words, and each
    # failure with its file and why, so a script can tell which failed.
    records = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [sorted(r) for r in records] == [["error", "file"], sorted(
        ["file", "text", "duration_s", "words", "metrics"]), ["error", "file"]]  # fmt: skip
    assert records[0]["file"].endswith("page.html") and records[1]["text"]
    assert records[2]["error"] == "no such file"


def test_transcribe_with_a_model_that_will_not_load_says_so_once_per_file(tmp_path, audio_fixtures):
    result = run(
        "transcribe",
        "--json",
        "--model",
        str(tmp_path / "no-such-model"),
        str(audio_fixtures / "short.wav"),
        str(audio_fixtures / "short.wav"),
        cwd=tmp_path,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 2 and errors[0].split(": ", 2)[2] == errors[1].split(": ", 2)[2]
    assert [sorted(json.loads(line)) for line in result.stdout.splitlines()] == [
        ["error", "file"]
    ] * 2


def test_transcribe_silence_prints_empty_text(tmp_path, audio_fixtures):
    result = run("transcribe", "--json", str(audio_fixtures / "silence.webm"), cwd=tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["text"] == ""
    assert json.loads(result.stdout)["metrics"]["delivery"]["rate"] == []


def test_flask_cli_sees_the_same_commands(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, REBOUND_DATA_DIR=str(tmp_path)),
    )
    for command in ("serve", "worker", "transcribe", "banks"):
        assert command in result.stdout


def test_transcribe_json_with_a_question_reads_the_answer_by_meaning(tmp_path, audio_fixtures):
    result = run(
        "transcribe",
        "--json",
        "--question",
        "Tell me about a time you missed an important deadline.",
        "--talking-point",
        "who they told and how",
        "--talking-point",
        "a recipe for bread",
        str(audio_fixtures / "answer.m4a"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)["metrics"]
    assert metrics["relevance"]["on_topic"] is True
    assert 0 < metrics["relevance"]["similarity"] <= 1
    assert set(metrics["star"]) == {"situation", "task", "action", "result"}
    assert metrics["star_spans"] and all(
        set(span) >= {"part", "start", "end", "text"} for span in metrics["star_spans"]
    )
    points = metrics["talking_points"]
    assert [p["point"] for p in points] == ["who they told and how", "a recipe for bread"]
    assert points[1]["covered"] is False and "text" not in points[1]
    for point in points:
        if point["covered"]:
            assert set(point) >= {"start", "end", "text"}


def test_transcribe_talking_points_need_a_question(tmp_path, audio_fixtures):
    result = run(
        "transcribe", "--talking-point", "x", str(audio_fixtures / "short.wav"), cwd=tmp_path
    )
    assert result.returncode == 2 and "--talking-point needs --question" in result.stderr
