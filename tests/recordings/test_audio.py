"""Audio checks and decoding: every accepted format decodes; every bad file gets a reason."""

from __future__ import annotations

import time

import pytest

from app.recordings.audio import decode_to_wav, probe, read_wav_samples
from app.recordings.errors import AudioRejected

ACCEPTED = [
    ("answer.webm", "webm/opus"),
    ("answer.ogg", "ogg/opus"),
    ("answer.m4a", "m4a/aac"),
    ("answer.mp3", "mp3/mp3"),
    ("answer.flac", "flac/flac"),
    ("answer.wav", "wav/pcm_s16le"),
]

REJECTED = [
    ("empty.webm", "empty"),
    ("random.bin", "not a recording we can read"),
    ("page.html", "not a recording we can read"),
    ("image.png", "no sound track"),
    ("video.mp4", "is a video"),
    ("truncated_header.webm", "not a recording we can read"),
    ("truncated.m4a", "not a recording we can read"),
    ("long.webm", "longer than the limit of 10 minutes"),
]


@pytest.mark.parametrize(("name", "label"), ACCEPTED)
def test_accepted_formats_probe_and_decode(audio_fixtures, tmp_path, name, label):
    info = probe(audio_fixtures / name, 600)
    assert info.label == label
    assert 9.0 < info.duration_s < 10.5
    out = tmp_path / "out.wav"
    seconds = decode_to_wav(audio_fixtures / name, info, out)
    samples = read_wav_samples(out)
    assert abs(seconds - info.duration_s) < 0.2
    assert abs(samples.size / 16000 - seconds) < 0.01
    assert 0.01 < abs(samples).max() <= 1.0


@pytest.mark.asvs("12.2.1")
@pytest.mark.parametrize(("name", "reason"), REJECTED)
def test_bad_files_are_rejected_with_a_reason(audio_fixtures, name, reason):
    with pytest.raises(AudioRejected, match=reason):
        probe(audio_fixtures / name, 600)


@pytest.mark.asvs("12.1.3")
def test_length_is_decided_without_decoding_everything(audio_fixtures):
    # 11 minutes of Opus: the packet scan stops just past the limit.
    started = time.perf_counter()
    with pytest.raises(AudioRejected, match="longer than the limit of 2 minutes"):
        probe(audio_fixtures / "long.webm", 120)
    assert time.perf_counter() - started < 5  # a guard against decoding, not a benchmark


def test_truncated_webm_keeps_what_survived(audio_fixtures, tmp_path):
    # A WebM cut mid-stream is what a dropped connection leaves: keep the part that arrived.
    info = probe(audio_fixtures / "truncated_half.webm", 600)
    seconds = decode_to_wav(audio_fixtures / "truncated_half.webm", info, tmp_path / "o.wav")
    assert 3 < seconds < 6
