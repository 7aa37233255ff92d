"""Shared pieces of the benchmarks: fixtures with their reference text, and word error rate."""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.make_fixtures import SPEECH, ffmpeg, make_all  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "audio"
NUMBERS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "forty": "40", "fifth": "5th", "first": "1st",
}  # fmt: skip


def free_port() -> int:
    """A TCP port nothing listens on right now, for the server a benchmark starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fixtures() -> Path:
    """Make the test fixtures if needed, plus a 57-second answer for latency runs."""
    folder = make_all(FIXTURES)
    minute = folder / "minute.webm"
    if not minute.exists():
        # story (44 s) + answer (10 s) + short (4 s): about a minute of varied speech.
        parts = [folder / "story.wav", folder / "answer.wav", folder / "short.wav"]
        inputs = [arg for part in parts for arg in ("-i", str(part))]
        ffmpeg(
            *inputs,
            "-filter_complex",
            "concat=n=3:v=0:a=1",
            "-c:a",
            "libopus",
            "-b:a",
            "32k",
            "-f",
            "webm",
            str(minute),
        )
    return folder


def reference(name: str) -> str:
    """The text spoken in a fixture, by file stem."""
    if name == "minute":
        return " ".join([SPEECH["story"], SPEECH["answer"], SPEECH["short"]])
    return SPEECH[name]


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation, number words as digits."""
    words = re.sub(r"[^a-z0-9' ]", " ", text.lower().replace("-", " ")).split()
    return [NUMBERS.get(w, w) for w in words]


def word_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(edit distance in words, number of reference words)."""
    r, h = normalise(ref), normalise(hyp)
    row = list(range(len(h) + 1))
    for i, rw in enumerate(r, 1):
        prev, row[0] = row[0], i
        for j, hw in enumerate(h, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (rw != hw))
    return row[len(h)], len(r)
