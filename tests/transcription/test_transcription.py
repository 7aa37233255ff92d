"""The faster-whisper engine, for real: the bundled tiny.en and the joined base model."""

from __future__ import annotations

import numpy as np
import pytest

from app.recordings.audio import load_samples
from app.transcription import EngineUnavailable, ModelNotFound, load_engine
from app.transcription.base import Word
from app.transcription.models import resolve_model
from app.transcription.speech import keep_spoken_words
from tests.conftest import words_of

pytestmark = pytest.mark.slow
SPOKEN = {"last", "job", "team", "deadline", "client", "scope", "project", "weeks"}


@pytest.fixture(scope="module")
def tiny(model_cache):
    return load_engine("faster-whisper", "tiny.en", cache_dir=model_cache)


@pytest.mark.parametrize("name", ["answer.webm", "answer.m4a", "answer.wav"])
def test_tiny_en_hears_the_words(tiny, audio_fixtures, name):
    samples, _ = load_samples(audio_fixtures / name)
    transcript = tiny.transcribe(samples)
    assert len(SPOKEN & words_of(transcript.text)) >= 6, transcript.text
    starts = [w.start for w in transcript.words]
    assert starts == sorted(starts)
    assert all(0 <= w.start <= w.end <= transcript.duration_s + 0.1 for w in transcript.words)
    assert transcript.text == "".join(w.word for w in transcript.words).strip()


@pytest.mark.parametrize("name", ["silence.webm", "tone.webm"])
def test_no_speech_gives_no_words(tiny, audio_fixtures, name):
    samples, _ = load_samples(audio_fixtures / name)
    transcript = tiny.transcribe(samples)
    assert transcript.words == [] and transcript.text == ""
    assert not transcript.has_speech


def test_noise_gives_no_words(tiny):
    noise = np.random.default_rng(7).normal(0, 0.05, 16000 * 6).astype(np.float32)
    assert tiny.transcribe(noise).text == ""


def test_words_outside_speech_are_dropped():
    words = [Word(" Hello", 1.0, 1.4), Word(" Thank you.", 8.0, 8.6)]
    assert keep_spoken_words(words, [(0.8, 2.0)]) == words[:1]


def test_model_is_loaded_once_per_process(tiny, model_cache):
    assert load_engine("faster-whisper", "tiny.en", cache_dir=model_cache) is tiny


def test_base_model_joins_its_parts_and_transcribes(audio_fixtures, model_cache):
    engine = load_engine("faster-whisper", "base", cache_dir=model_cache)
    assert (model_cache / "base" / "model.bin").stat().st_size == 145_217_532
    samples, _ = load_samples(audio_fixtures / "answer.webm")
    assert len(SPOKEN & words_of(engine.transcribe(samples).text)) >= 6


def test_unknown_model_and_engine_say_what_to_do(tmp_path):
    with pytest.raises(ModelNotFound, match="neither a known model name"):
        resolve_model("huge-v9", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFound, match="lacks model.bin"):
        resolve_model(str(tmp_path / "empty"), tmp_path)
    with pytest.raises(EngineUnavailable, match="choose one of faster-whisper, openai-whisper"):
        load_engine("whisper-cpp", "tiny.en", cache_dir=tmp_path)


def test_doubtful_words_after_the_speech_ends_are_dropped():
    from app.transcription.speech import drop_unlikely_tail

    words = [
        Word(" We", 1.0, 1.2, 0.9),
        Word(" shipped.", 1.2, 1.8, 0.8),
        Word(" Thank", 2.3, 2.5, 0.04),
        Word(" you.", 2.5, 2.7, 0.1),
    ]
    assert drop_unlikely_tail(words, [(0.9, 2.2)]) == words[:2]
    # A confident last word stays, and so does a doubtful one said during the speech.
    sure = [*words[:2], Word(" Done.", 2.3, 2.6, 0.8)]
    assert drop_unlikely_tail(sure, [(0.9, 2.2)]) == sure
    assert drop_unlikely_tail(words[:2], [(0.9, 3.0)]) == words[:2]


def test_a_doubted_last_word_with_no_room_in_the_audio_is_dropped():
    # short-dont-know, 30 dB quieter and raised: "I don't know. So." with "So." at 0.12 for
    # 0.04 s, inside the speech's padded end. A doubted last word that takes its time stays.
    from app.transcription.speech import drop_unlikely_tail

    said = [Word(" I", 0.0, 0.44, 0.84), Word(" don't", 0.44, 0.7), Word(" know.", 0.7, 0.92)]
    assert drop_unlikely_tail([*said, Word(" So.", 0.92, 0.96, 0.12)], [(0.0, 1.32)]) == said
    spoken = [*said, Word(" so", 0.95, 1.2, 0.2)]
    assert drop_unlikely_tail(spoken, [(0.0, 1.5)]) == spoken


@pytest.mark.parametrize(
    ("asked", "gpus", "expected"),
    [
        ("auto", 1, ("cuda", "float16")),
        ("auto", 0, ("cpu", "int8")),
        ("cpu", 1, ("cpu", "int8")),
        ("cuda", 0, ("cuda", "float16")),
    ],
)
def test_auto_device_picks_cuda_when_ctranslate2_sees_a_gpu(monkeypatch, asked, gpus, expected):
    import ctranslate2

    from app.transcription.faster import _pick_device

    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: gpus)
    assert _pick_device(asked) == expected


def test_context_follows_the_engines_own_prompt():
    from app.transcription.base import prompt_with

    assert prompt_with("Um, uh.", "") == "Um, uh."
    assert prompt_with(None, "") is None
    long_text = " ".join(f"w{i}" for i in range(100))
    assert prompt_with("Um.", long_text) == "Um. " + " ".join(f"w{i}" for i in range(60, 100))
