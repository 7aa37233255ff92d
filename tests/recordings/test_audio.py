"""Audio checks and decoding: every accepted format decodes; every bad file gets a reason."""

from __future__ import annotations

import shutil
import time

import pytest

from app.recordings.audio import (
    DecodeLimits,
    decode_arrived,
    decode_to_wav,
    load_samples,
    probe,
    read_wav_samples,
)
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
    decoded, seconds = decode_to_wav(audio_fixtures / name, out, DecodeLimits(600, 120))
    assert decoded == info
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
    _info, seconds = decode_to_wav(
        audio_fixtures / "truncated_half.webm", tmp_path / "o.wav", DecodeLimits(600, 120)
    )
    assert 3 < seconds < 6


LYING = "timestamps-claim-12-seconds.webm"  # 20 minutes of Opus whose container claims 12 s


@pytest.mark.asvs("12.1.2")
def test_every_decode_counts_samples_whatever_the_timestamps_claim(corpus, tmp_path):
    """The upload's WAV, the command line, and the live and final decodes of a streamed
    answer: each refuses the file once its samples pass the limit, and holds no more."""
    limits = DecodeLimits(600, 120)
    assert probe(corpus / LYING, 600).duration_s < 13  # what the container claims
    out = tmp_path / "out.wav"
    decodes = {
        "upload": lambda: decode_to_wav(corpus / LYING, out, limits),
        "command line": lambda: load_samples(corpus / LYING, 600, 120),
        "live": lambda: decode_arrived(corpus / LYING, limits),
        "final, from a boundary": lambda: decode_arrived(corpus / LYING, limits, from_s=5.0),
    }
    for name, decode in decodes.items():
        with pytest.raises(AudioRejected) as refused:
            decode()
        message = str(refused.value)
        assert "more sound than the limit of 10 minutes" in message, name
        assert "claims to last 12" in message and "Record your answer again" in message, name
    # The samples stopped at the limit and its grace, and a refused decode writes no WAV.
    assert not out.exists()


@pytest.mark.asvs("12.1.2", "12.2.1")
def test_a_concat_script_is_refused_before_it_opens_anything(corpus, tmp_path):
    """An ``ffconcat`` script naming a four-hour FLAC beside it: FFmpeg's concat demuxer would
    open the FLAC (a live decode took 2.3 GB); the allow-list refuses the script itself."""
    shutil.copy(corpus / "four-hours-in-33-kb.flac", tmp_path / "arrived.webm")
    script = tmp_path / "script.webm"
    script.write_bytes(b"ffconcat version 1.0\n" + b"file arrived.webm\n" * 3)
    limits = DecodeLimits(600, 120)
    for decode in (
        lambda: probe(script, 600),
        lambda: decode_arrived(script, limits),
        lambda: load_samples(script, 600, 120),
        lambda: decode_to_wav(script, tmp_path / "out.wav", limits),
    ):
        with pytest.raises(AudioRejected, match="no sound track of a type we accept. Upload"):
            decode()


@pytest.mark.asvs("12.1.3")
def test_the_time_limit_applies_to_every_decode(audio_fixtures, tmp_path):
    limits = DecodeLimits(600, 0.001)
    path = audio_fixtures / "paused.webm"
    for decode in (
        lambda: decode_to_wav(path, tmp_path / "out.wav", limits),
        lambda: load_samples(path, 600, 0.001),
        lambda: decode_arrived(path, limits),
        lambda: decode_arrived(path, limits, from_s=30.0),
    ):
        with pytest.raises(AudioRejected, match="could not be decoded within the time limit"):
            decode()


def test_an_answer_a_fraction_over_the_limit_is_kept_whole(audio_fixtures, tmp_path):
    """The recorder stops itself at the limit and hands over a little more: kept, not cut."""
    path = audio_fixtures / "answer.webm"
    length = probe(path, 600).duration_s
    limit = int(length)  # the answer ends a fraction of a second past it
    assert 0 < length - limit < 1
    limits = DecodeLimits(limit, 120)
    info, seconds = decode_to_wav(path, tmp_path / "out.wav", limits)
    assert info.duration_s == length and seconds > limit
    assert decode_arrived(path, limits).size / 16000 > limit
    assert load_samples(path, limit)[0].size / 16000 > limit
    with pytest.raises(AudioRejected, match="longer than the limit of 6 seconds"):
        probe(path, limit - 3)  # more than the grace over: refused as before
