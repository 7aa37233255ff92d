"""The openai-whisper engine, run offline from the bundled CTranslate2 models converted once."""

from __future__ import annotations

import difflib
import os
import shutil
import string
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from app.transcription import load_engine
from app.transcription.base import SAMPLE_RATE
from app.transcription.models import resolve_model
from app.transcription.openai import OpenAIWhisperEngine, checkpoint_path
from app.transcription.speech import speech_regions

if os.environ.get("CI") != "true":
    whisper = pytest.importorskip("whisper")
    torch = pytest.importorskip("torch")
else:  # CI installs the extra: a missing package is a failure there, not a skip.
    import torch
    import whisper

pytestmark = pytest.mark.slow

SENTENCE = "I finished the project two weeks early and the client renewed the contract."
# Content words tiny.en and base both hear in espeak-ng's voice ("renewed" is shaky).
KEY_WORDS = {"finished", "project", "two", "weeks", "early", "client", "contract"}
LEAD_S, TAIL_S = 0.5, 0.7
TINY_EN_DIMS = {
    "n_mels": 80,
    "n_audio_ctx": 1500,
    "n_audio_state": 384,
    "n_audio_head": 6,
    "n_audio_layer": 4,
    "n_vocab": 51864,
    "n_text_ctx": 448,
    "n_text_state": 384,
    "n_text_head": 6,
    "n_text_layer": 4,
}


def _words(text: str) -> list[str]:
    """Lower-cased words with punctuation stripped."""
    return text.lower().translate(str.maketrans("", "", string.punctuation)).split()


def _decode(path: Path) -> np.ndarray:
    """Decode ``path`` to 16 kHz mono float32 with imageio-ffmpeg's ffmpeg, padded in silence."""
    pad = f"adelay={int(LEAD_S * 1000)},apad=pad_dur={TAIL_S}"
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(path)]
    cmd += ["-af", pad, "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE), "-"]
    raw = subprocess.run(cmd, capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.int16).astype(np.float32) / 32768.0


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model cache shared by the module: the conversion runs once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def engine(cache_dir: Path) -> OpenAIWhisperEngine:
    """tiny.en through openai-whisper, converted into ``cache_dir``."""
    return load_engine("openai-whisper", "tiny.en", cache_dir=cache_dir)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """SENTENCE spoken by espeak-ng, as 16 kHz mono float32 samples."""
    if shutil.which("espeak-ng") is None and os.environ.get("CI") != "true":
        pytest.skip("espeak-ng is not installed")
    wav = tmp_path_factory.mktemp("speech") / "sentence.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), SENTENCE], check=True)
    return _decode(wav)


def test_converted_checkpoint_loads_strictly(engine: OpenAIWhisperEngine) -> None:
    checkpoint = torch.load(engine.checkpoint, map_location="cpu", weights_only=True)
    assert checkpoint["dims"] == TINY_EN_DIMS
    model = whisper.model.Whisper(whisper.model.ModelDimensions(**checkpoint["dims"]))
    result = model.load_state_dict(checkpoint["model_state_dict"], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert all(t.dtype == torch.float32 for t in checkpoint["model_state_dict"].values())
    loaded = whisper.load_model(str(engine.checkpoint), device="cpu")
    assert loaded.dims == whisper.model.ModelDimensions(**TINY_EN_DIMS)
    assert not loaded.is_multilingual
    # The engine's model uses the alignment heads of the model's config.json.
    heads = engine._model.alignment_heads.to_dense().nonzero().tolist()
    assert (
        heads
        == checkpoint["alignment_heads"]
        == [[1, 0], [2, 0], [2, 5], [3, 0], [3, 1], [3, 2], [3, 3], [3, 4]]
    )


def test_transcribes_speech_like_faster_whisper(
    engine: OpenAIWhisperEngine, speech: np.ndarray, cache_dir: Path
) -> None:
    duration = speech.size / SAMPLE_RATE
    result = engine.transcribe(speech)

    assert result.duration_s == pytest.approx(duration)
    heard = _words(result.text)
    assert KEY_WORDS.issubset(heard), result.text
    assert [w for word in result.words for w in _words(word.word)] == heard
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    for word in result.words:
        assert 0.0 <= word.start <= word.end <= duration + 0.05, word
        assert 0.0 < word.probability <= 1.0, word
    # The speech sits between LEAD_S of silence before and TAIL_S after: words stay inside.
    # (openai-whisper rounds word times to 0.01 s and aligns them on 0.02 s frames.)
    regions = speech_regions(speech)
    first, last = regions[0][0] - 0.02, regions[-1][1] + 0.02
    assert LEAD_S - 0.4 <= first <= result.words[0].start <= LEAD_S + 0.5
    assert duration - TAIL_S - 1.0 <= result.words[-1].end <= last

    faster = load_engine("faster-whisper", "tiny.en", cache_dir=cache_dir).transcribe(speech)
    agreement = difflib.SequenceMatcher(a=heard, b=_words(faster.text)).ratio()
    assert agreement >= 0.8, (result.text, faster.text)


@pytest.mark.parametrize("kind", ["silence", "tone"])
def test_silence_and_tone_give_no_words(engine: OpenAIWhisperEngine, kind: str) -> None:
    t = np.arange(5 * SAMPLE_RATE) / SAMPLE_RATE
    samples = np.zeros_like(t) if kind == "silence" else 0.3 * np.sin(2 * np.pi * 440 * t)
    result = engine.transcribe(samples.astype(np.float32))
    assert result.text == ""
    assert result.words == []
    assert result.duration_s == pytest.approx(5.0)


def test_conversion_is_cached(engine: OpenAIWhisperEngine, cache_dir: Path) -> None:
    model_dir = resolve_model("tiny.en", cache_dir)
    path = checkpoint_path(model_dir, cache_dir)
    assert engine.checkpoint == path and path.is_file()
    before = path.stat().st_mtime_ns
    again = OpenAIWhisperEngine(model_dir, "tiny.en", cache_dir=cache_dir, device="cpu")
    assert again.checkpoint == path
    assert path.stat().st_mtime_ns == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left


def test_multilingual_base_converts_and_transcribes(
    speech: np.ndarray, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = load_engine("openai-whisper", "base", cache_dir=tmp_path_factory.mktemp("base"))
    assert base._model.dims.n_vocab == 51865
    assert base._model.is_multilingual
    result = base.transcribe(speech)
    assert KEY_WORDS.issubset(_words(result.text)), result.text


def test_the_app_uses_openai_whisper_when_configured(app, client, audio_fixtures):
    """WHISPER_ENGINE=openai-whisper sends an uploaded answer through openai-whisper."""
    from app.extensions import db
    from app.models import Attempt
    from tests.conftest import upload

    app.config["WHISPER_ENGINE"] = "openai-whisper"
    attempt_id = upload(client, audio_fixtures / "answer.webm").json["id"]
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "done", attempt.error
        assert attempt.engine == "openai-whisper"
        assert {"deadline", "client", "scope"} <= {
            w.strip(string.punctuation).lower() for w in attempt.transcript_text.split()
        }


def test_a_window_whose_first_try_loops_on_fillers_is_tried_without_them(
    cache_dir: Path, speech: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first try (temperature 0) that loops on the verbatim prompt's fillers is tried again
    at temperature 0 without them, before openai-whisper would sample it warmer (as
    faster-whisper's engine does; ``base.believed``)."""
    from dataclasses import replace

    from app.transcription.base import VERBATIM_PROMPT

    verbatim = load_engine("openai-whisper", "tiny.en", cache_dir=cache_dir, verbatim=True)
    tokenizer = verbatim._tokenizer
    primed = tokenizer.encode(" " + VERBATIM_PROMPT)
    real, tries = verbatim._whisper_decode, []

    def one_try(model, mel, options):
        prompt = list(options.prompt or [])
        kind = "primed" if prompt[: len(primed)] == primed else "plain"
        tries.append((kind, options.temperature))
        result = real(model, mel, options)
        return replace(result, text="Uh, uh, uh, uh, uh, uh.") if kind == "primed" else result

    monkeypatch.setattr(verbatim, "_whisper_decode", one_try)
    heard = set(_words(verbatim.transcribe(speech).text))
    assert tries[:2] == [("primed", 0.0), ("plain", 0.0)], tries
    assert all(temperature == 0.0 for _, temperature in tries), tries
    assert len(KEY_WORDS & heard) >= 5, heard
