"""Transcribing a streamed recording while it arrives, and finishing from the boundary."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from faster_whisper import WhisperModel

from app.extensions import db
from app.models import Attempt
from app.recordings.audio import DecodeLimits, decode_arrived, load_samples
from app.transcription.base import SAMPLE_RATE, Transcript, Word
from app.transcription.faster import QUICK_MIN_S, QUICK_PAD_S, trimmed_window
from app.transcription.segments import (
    MAX_SEGMENT_S,
    MIN_SEGMENT_S,
    QUICK_TAIL_S,
    TRAILING_PAUSE_S,
    final_transcript,
    following,
    next_cut,
    text_of,
)
from app.transcription.speech import FINE_PAUSES, speech_regions
from app.worker.jobs import engine_for_app
from bench.common import word_errors
from tests.fixtures.make_fixtures import SPEECH
from tests.recordings.test_streaming import pieces_of, put, start

LIMITS = DecodeLimits(600, 120)


def test_decoding_from_the_boundary_gives_the_same_samples_at_the_same_times(audio_fixtures):
    whole = decode_arrived(audio_fixtures / "paused.webm", LIMITS)
    for boundary in (12.3, 40.0):
        part = decode_arrived(audio_fixtures / "paused.webm", LIMITS, from_s=boundary)
        assert abs(part.size - whole.size) < SAMPLE_RATE // 100  # same length, to 10 ms
        start = int(boundary * SAMPLE_RATE)
        assert not part[: start - SAMPLE_RATE].any()  # not decoded: silence
        window = part[start : start + 2 * SAMPLE_RATE]
        # Aligned with the whole decode to the millisecond: the best shift is tiny.
        errors = {
            shift: float(
                np.mean((whole[start + shift : start + shift + window.size] - window) ** 2)
            )
            for shift in range(-160, 161, 4)
        }
        best = min(errors, key=errors.get)
        assert abs(best) <= 16 and errors[best] < 1e-6, (best, errors[best])


def test_whatever_arrived_decodes(audio_fixtures, tmp_path):
    data = (audio_fixtures / "paused.webm").read_bytes()
    whole = decode_arrived(audio_fixtures / "paused.webm", LIMITS)
    assert 50 < whole.size / SAMPLE_RATE < 60
    cut = tmp_path / "cut.webm"
    cut.write_bytes(data[: len(data) // 3 + 17])  # ends inside a frame
    part = decode_arrived(cut, LIMITS)
    assert 10 < part.size / SAMPLE_RATE < 25
    # The part is the start of the whole: the same samples, up to codec rounding.
    assert np.abs(part[: 5 * SAMPLE_RATE] - whole[: 5 * SAMPLE_RATE]).max() < 1e-3
    cut.write_bytes(b"junk")
    assert decode_arrived(cut, LIMITS).size == 0


def test_segments_are_cut_in_pauses(audio_fixtures):
    samples = decode_arrived(audio_fixtures / "paused.webm", LIMITS)
    cut = next_cut(samples, 0.0)
    assert cut is not None and cut >= MIN_SEGMENT_S
    # No speech around the cut: no word is split.
    window = samples[int((cut - 0.15) * SAMPLE_RATE) : int((cut + 0.15) * SAMPLE_RATE)]
    assert speech_regions(np.concatenate([np.zeros(SAMPLE_RATE, np.float32), window])) == []
    # Too little after the boundary: wait for more.
    assert next_cut(samples[: int(3 * SAMPLE_RATE)], 0.0) is None
    # A long silence is skipped without transcribing it.
    silence = np.zeros(12 * SAMPLE_RATE, dtype=np.float32)
    assert next_cut(silence, 0.0) == pytest.approx(12 - TRAILING_PAUSE_S)
    assert next_cut(silence[: 5 * SAMPLE_RATE], 0.0) is None


def test_segments_end_at_pauses_and_the_last_after_the_last_sentence(audio_fixtures):
    samples = decode_arrived(audio_fixtures / "paused.webm", LIMITS)
    cuts = [0.0]
    while (cut := next_cut(samples, cuts[-1])) is not None:
        cuts.append(cut)
    # Each segment ends at a pause within MAX_SEGMENT_S; the last one after the last sentence.
    assert all(0 < b - a <= MAX_SEGMENT_S for a, b in pairwise(cuts))
    assert cuts[-1] > 50
    assert not speech_regions(samples[int(cuts[-1] * SAMPLE_RATE) :])


def test_the_final_transcript_joins_committed_words_and_the_rest():
    class Engine:
        def transcribe(self, samples, context="", quick=False, greedy=False):
            self.context, self.quick = context, quick and greedy
            return Transcript("later", [Word(" later", 0.5, 0.9)], duration_s=samples.size / 16000)

    engine = Engine()
    committed = [{"word": " Earlier", "start": 1.0, "end": 1.4, "probability": 0.9}]
    samples = np.zeros(10 * SAMPLE_RATE, dtype=np.float32)
    result = final_transcript(engine, samples, committed, 6.0)
    assert result.text == "Earlier later" and engine.context == "Earlier"
    assert [(w.start, w.end) for w in result.words] == [(1.0, 1.4), (6.5, 6.9)]
    assert result.duration_s == 10
    assert engine.quick  # a short rest: someone is waiting for it
    long_rest = np.zeros(int((QUICK_TAIL_S + 7) * SAMPLE_RATE), dtype=np.float32)
    final_transcript(engine, long_rest, committed, 6.0)
    assert not engine.quick  # a long one gets the full window


def test_a_word_both_sides_of_a_cut_heard_is_kept_once():
    # numbers-results over a phone line, cut inside "to one point one seconds" after the
    # first "one": the rest came back " 1" (doubted, 0.06 s) ".1 seconds.", "to 1 1.1".
    class Engine:
        def transcribe(self, samples, context="", quick=False, greedy=False):
            words = [
                Word(" 1", 0.0, 0.06, 0.37),
                Word(".1", 0.06, 0.5),
                Word(" seconds.", 0.5, 0.96),
            ]
            return Transcript("", words, duration_s=samples.size / SAMPLE_RATE)

    committed = [{"word": " to", "start": 2.88, "end": 3.16, "probability": 0.96},
                 {"word": " 1", "start": 3.16, "end": 3.36, "probability": 0.99}]  # fmt: skip
    samples = np.zeros(6 * SAMPLE_RATE, dtype=np.float32)
    assert final_transcript(Engine(), samples, committed, 3.36).text == "to 1.1 seconds."
    # Said twice, in the time two need: both stay.
    again = [{"word": " 1,", "start": 3.36, "end": 3.6, "probability": 0.9}]
    assert following(committed, again) == again


def test_a_quick_window_keeps_the_clip_and_some_silence_and_nothing_more():
    features = np.zeros((80, 3000), dtype=np.float32)
    features[:, :420] = -0.5  # 4.2 s of audio, then the zero padding
    assert trimmed_window(features).shape == (80, int(QUICK_MIN_S * 100))
    features[:, :1700] = -0.5
    assert trimmed_window(features).shape == (80, 1700 + int(QUICK_PAD_S * 100))
    features[:, :2900] = -0.5  # nearly 30 s: the full window stays
    assert trimmed_window(features).shape == (80, 3000)
    assert trimmed_window(features[None]).shape == (1, 80, 3000)


@pytest.mark.slow
def test_the_quick_window_hears_the_same_sentence_faster(app, audio_fixtures, monkeypatch):
    """The real base model: the last sentence of an answer, full window against quick."""
    samples, _ = load_samples(audio_fixtures / "answer.wav")
    reference = SPEECH["answer"]
    with app.app_context():
        engine = engine_for_app()
    encoded = []
    original = WhisperModel.encode

    def counting_encode(model, features):
        encoded.append(features.shape[-1])
        return original(model, features)

    monkeypatch.setattr(WhisperModel, "encode", counting_encode)
    full = engine.transcribe(samples)
    quick = engine.transcribe(samples, quick=True)
    again = engine.transcribe(samples)
    assert encoded[0] == 3000 and encoded[2] == 3000  # the quick mode does not leak
    assert encoded[1] < 2000  # 10 s of speech + 3 s, not 30 s
    full_errors, words = word_errors(reference, full.text)
    quick_errors, _ = word_errors(reference, quick.text)
    assert quick_errors <= full_errors + 1, (full.text, quick.text)
    assert again.text == full.text
    assert quick.words[-1].end <= samples.size / SAMPLE_RATE + 0.1


@pytest.mark.slow
def test_streamed_transcript_appears_while_recording_and_matches_batch(client, app, audio_fixtures):
    """The real engine, the real API, jobs run as each piece arrives (immediate queue)."""
    source = audio_fixtures / "paused.webm"
    attempt_id = start(client).json["id"]
    partials = []
    for seq, piece in enumerate(pieces_of(source, 30)):
        assert put(client, attempt_id, seq, piece).status_code == 204
        partials.append(client.get(f"/api/v1/attempts/{attempt_id}").json["partial_text"])
    assert partials[5] == "" or len(partials[5]) < len(partials[-1])
    assert "customer" in partials[-1].lower()  # words shown before Stop
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        boundary, committed = attempt.live_until_s, len(attempt.live_words)
    assert boundary > 30 and committed > 50
    client.post(f"/api/v1/attempts/{attempt_id}/finish")
    shown = client.get(f"/api/v1/attempts/{attempt_id}").json
    assert shown["status"] == "done" and shown["metrics"]["words"] > 100
    words = shown["transcript"]["words"]
    assert all(a["start"] <= b["start"] for a, b in zip(words, words[1:], strict=False))
    assert words[-1]["end"] <= shown["duration_s"] + 0.1
    with app.app_context():
        samples, _ = load_samples(Path(source))
        batch = engine_for_app().transcribe(samples).text
    streamed_errors, total = word_errors(SPEECH["story"], shown["transcript"]["text"])
    batch_errors, _ = word_errors(SPEECH["story"], batch)
    # As good as the batch transcript of the same audio (within two words in 150).
    assert streamed_errors <= batch_errors + 2, (shown["transcript"]["text"], batch)
    assert streamed_errors / total < 0.1


def test_a_final_transcript_goes_before_live_ones_in_the_sqlite_queue(tmp_path):
    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "AUDIO_DIR": str(tmp_path / "audio"),
            "QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        }
    )
    jobs = app.extensions["rebound_queue"]
    jobs.enqueue_live(1)
    jobs.enqueue_live(2)
    jobs.enqueue_transcription(3)
    first = jobs.huey.dequeue()
    assert first.name == "transcribe_attempt" and first.args == (3,)
    assert jobs.huey.dequeue().name == "transcribe_live"


def test_a_quick_pass_drops_what_was_added_after_the_speaker_stopped():
    from types import SimpleNamespace as Segment

    from app.transcription.faster import _doubtful, _spoken

    said = Segment(start=0.0, words=[1] * 12, avg_logprob=-0.2, compression_ratio=1.1)
    afterthought = Segment(start=4.1, words=[1], avg_logprob=-1.2, compression_ratio=0.3)
    after_the_end = Segment(start=5.5, words=[1, 2], avg_logprob=-0.4, compression_ratio=0.5)
    assert _spoken([said, afterthought], spoken_until=5.0) == [said]
    assert _spoken([said, after_the_end], spoken_until=5.0) == [said]
    assert _spoken([afterthought], spoken_until=5.0) == [afterthought]  # nothing else was said
    unsure = Segment(start=0.0, words=[1] * 12, avg_logprob=-1.3, compression_ratio=1.1)
    looping = Segment(start=0.0, words=[1] * 40, avg_logprob=-0.1, compression_ratio=3.0)
    assert not _doubtful([said])
    assert _doubtful([said, unsure]) and _doubtful([looping])


def test_words_near_a_cut_inside_speech_wait_for_the_next_segment():
    # A forced cut (no pause within MAX_SEGMENT_S) can split "and": "a" here, "nd" there, and
    # the prompt spreads "nd". The words ending within HOLD_BACK_S of it are decoded again.
    from app.transcription.segments import HOLD_BACK_S, settled

    words = [
        {"word": " we", "start": 4.0, "end": 4.3},
        {"word": " shipped", "start": 4.3, "end": 10.6},
        {"word": " a", "start": 11.2, "end": 11.9},
    ]
    kept, boundary = settled(words, 12.0)
    assert kept == words[:2] and words[1]["end"] <= boundary <= words[2]["start"]
    assert kept[-1]["end"] <= 12.0 - HOLD_BACK_S
    # Nothing safe to keep: the segment stays whole rather than never moving on.
    assert settled(words[2:], 12.0) == (words[2:], 12.0)


def test_the_next_segment_starts_in_a_gap_between_words_not_inside_one():
    from app.transcription.segments import settled

    # numbers-results, cut at 7.36 s: "18%" ends at 6.16 s by its timing and "in" starts there,
    # but the end of "percent" lies after 6.16 s (the next segment heard it as "then").
    words = [
        {"word": " seconds.", "start": 3.82, "end": 4.36},
        {"word": " Signups", "start": 4.64, "end": 5.02},
        {"word": " went", "start": 5.02, "end": 5.2},
        {"word": " up", "start": 5.2, "end": 5.32},
        {"word": " by", "start": 5.32, "end": 5.5},
        {"word": " 18", "start": 5.5, "end": 5.74},
        {"word": "%", "start": 5.74, "end": 6.16},
        {"word": " in", "start": 6.16, "end": 6.38},
        {"word": " the", "start": 6.38, "end": 6.5},
    ]
    kept, boundary = settled(words, 7.36)
    assert kept == words[:1] and boundary == 4.5


def test_the_next_segment_does_not_start_after_a_number():
    from app.transcription.segments import settled

    # numbers-results with key presses under it, cut at 4.5 s inside "to one point one
    # seconds": started after "1", the next segment heard "0.1" for "point one".
    words = [
        {"word": " from", "start": 1.54, "end": 1.78},
        {"word": " 4", "start": 1.78, "end": 2.02},
        {"word": ".2", "start": 2.02, "end": 2.54},
        {"word": " seconds", "start": 2.54, "end": 2.88},
        {"word": " to", "start": 3.0, "end": 3.18},
        {"word": " 1", "start": 3.18, "end": 3.36},
        {"word": " point", "start": 3.5, "end": 3.7},
        {"word": " 1", "start": 3.7, "end": 3.84},
    ]
    kept, boundary = settled(words, 4.5)
    assert kept == words[:4] and boundary == 2.94
    # With no gap between the words at all, the cut still comes before the number.
    touching = [{**w, "start": a["end"]} for a, w in pairwise(words[3:])]
    kept, boundary = settled(words[:4] + touching, 4.5)
    assert [w["word"] for w in kept][-2:] == [" seconds", " to"] and boundary == 3.18


class CountingEngine:
    """Hears one word per call, where the speech it was given ends; counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def transcribe(self, samples, context="", quick=False, greedy=False):
        self.calls += 1
        end = speech_regions(samples)[-1][1]
        return Transcript(f"heard{self.calls}", [Word(f" heard{self.calls}", end - 0.6, end - 0.3)])


def _silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def test_the_last_sentence_is_guessed_once_the_speaker_goes_quiet(audio_fixtures):
    from app.transcription.segments import guess_holds, tail_guess

    sentence, _ = load_samples(audio_fixtures / "short.wav")
    regions = speech_regions(sentence)
    speaking = sentence[: int((regions[-1][1] - 0.4) * SAMPLE_RATE)]  # mid-sentence
    committed = [{"word": " Before.", "start": 0.2, "end": 0.6, "probability": 0.9}]
    engine = CountingEngine()
    lead = _silence(2.0)  # the committed part: the rest starts at 2.0 s
    assert tail_guess(engine, np.concatenate([lead, speaking]), committed, 2.0, None) is None
    assert engine.calls == 0  # still speaking: nothing to guess yet

    quiet = np.concatenate([lead, sentence, _silence(1.0)])
    guess = tail_guess(engine, quiet, committed, 2.0, None)
    assert engine.calls == 1 and guess["from_s"] == 2.0
    assert [w["word"] for w in guess["words"]] == [" heard1"]
    assert guess["words"][0]["start"] > 2.0  # absolute timings
    # More silence: the guess still holds, and is not made again.
    longer = np.concatenate([quiet, _silence(3.0)])
    assert tail_guess(engine, longer, committed, 2.0, guess) is guess and engine.calls == 1
    # The final job keeps it: no decoding at Stop.
    final = final_transcript(engine, longer, committed, 2.0, guess)
    assert engine.calls == 1 and final.text == "Before. heard1"
    # Another boundary (the live run committed more): the guess is not about this rest.
    assert not guess_holds(guess, longer, 3.0)


def test_speech_after_the_guess_is_decoded_at_stop(audio_fixtures):
    sentence, _ = load_samples(audio_fixtures / "short.wav")
    engine = CountingEngine()
    quiet = np.concatenate([sentence, _silence(1.0)])
    from app.transcription.segments import tail_guess

    guess = tail_guess(engine, quiet, [], 0.0, None)
    went_on = np.concatenate([quiet, sentence, _silence(0.3)])
    final = final_transcript(engine, went_on, [], 0.0, guess)
    assert engine.calls == 2 and final.text == "heard2"  # the whole rest, decoded again
    # A guess made before the speech that followed is never mixed into the transcript.
    assert "heard1" not in final.text


def test_a_worker_with_nothing_to_do_guesses_a_rest_that_ends_quietly(audio_fixtures, monkeypatch):
    """A speaker who stops and presses Stop within a second leaves no pause the voice
    activity closes before Stop: with ``speculate`` a long rest is guessed as soon as what
    arrived ends quietly, and Stop keeps that guess only if nothing was said after it."""
    from app.transcription import segments
    from app.transcription.segments import SPECULATE_MIN_S, live_segments, tail_guess

    sentence, _ = load_samples(audio_fixtures / "short.wav")
    spoken = sentence[: int(speech_regions(sentence, FINE_PAUSES)[-1][1] * SAMPLE_RATE)]
    voiced = spoken[int(speech_regions(spoken, FINE_PAUSES)[0][0] * SAMPLE_RATE) :]
    said = np.concatenate([spoken, voiced, voiced, voiced])  # four sentences, no pause
    assert said.size > SPECULATE_MIN_S * SAMPLE_RATE
    committed = [{"word": " Before.", "start": 0.2, "end": 0.6, "probability": 0.9}]
    arrived = np.concatenate([_silence(2.0), said, _silence(0.1)])
    engine = CountingEngine()
    assert tail_guess(engine, arrived, committed, 2.0, None) is None  # not closed yet
    guess = tail_guess(engine, arrived, committed, 2.0, None, speculate=True)
    assert engine.calls == 1 and guess["closed"] is False
    assert guess["to_s"] == round(arrived.size / SAMPLE_RATE, 3)
    # Silence after it until Stop: kept as it is, and Stop decodes nothing.
    stopped = np.concatenate([arrived, _silence(0.8)])
    assert tail_guess(engine, stopped, committed, 2.0, guess, speculate=True) is guess
    assert final_transcript(engine, stopped, committed, 2.0, guess).text == "Before. heard1"
    assert engine.calls == 1
    # The candidate went on after a breath: decoded again at Stop, the guess mixed in nowhere,
    # and never committed as a segment (its end may lie between two words of a sentence).
    went_on = np.concatenate([arrived, _silence(0.7), sentence])
    assert final_transcript(engine, went_on, committed, 2.0, guess).text == "Before. heard2"
    later = np.concatenate([arrived, _silence(4.0), sentence])
    words, _ = next(live_segments(engine, later, committed, 2.0, guess))
    assert engine.calls == 3 and "heard1" not in text_of(words)
    # A short rest is left to Stop, which decodes it quickly.
    short = np.concatenate([spoken, _silence(0.1)])
    assert tail_guess(engine, short, [], 0.0, None, speculate=True) is None
    # Still speaking when the piece ended: no guess, even for an idle worker.
    level = np.convolve(np.abs(voiced), np.ones(960), mode="valid")
    loudest = said.size - voiced.size + int(np.argmax(level)) + 960
    assert loudest > SPECULATE_MIN_S * SAMPLE_RATE
    assert tail_guess(engine, said[:loudest], [], 0.0, None, speculate=True) is None
    assert engine.calls == 3
    # A piece that ended in a quiet instant inside a word: the rest of the word after the
    # guess's end is speech after it, so the whole rest is decoded again at Stop.
    monkeypatch.setattr(segments, "ends_quietly", lambda *_: True)
    inside = tail_guess(engine, said[:loudest], [], 0.0, None, speculate=True)
    assert inside is not None and engine.calls == 4
    assert final_transcript(engine, said, [], 0.0, inside).text == "heard5"


# short.wav's speech runs from 0.7 to 2.8 s, and the file ends 0.8 s later.
@pytest.mark.parametrize(
    ("times", "pause"), [(1, 1.7), (3, 0.2)], ids=["a-pause", "straight-to-stop"]
)
def test_a_streamed_answer_that_ends_in_silence_needs_no_decoding_at_stop(
    client, app, audio_fixtures, tmp_path, monkeypatch, times, pause
):
    """The real engine and API: the last sentence is decoded while the candidate is silent,
    and Stop keeps that decode; also when the candidate pressed Stop straight after a long
    stretch of speech (too soon for the voice activity to close it: the worker guessed it
    because it had nothing else to do and what arrived ended quietly)."""
    from tests.fixtures.make_fixtures import ffmpeg

    clip = tmp_path / "quiet_end.webm"
    # Silence after the speech, too short for the live run to commit it (MIN_SEGMENT_S), or
    # too short for the voice activity to close it, after sentences said without a pause.
    parts = "".join(f"[0]atrim=0.7:2.85,asetpts=PTS-STARTPTS[s{n}];" for n in range(1, times))
    joined = "".join(f"[s{n}]" for n in range(1, times))
    ffmpeg("-i", str(audio_fixtures / "short.wav"), "-filter_complex",
           f"[0]atrim=0:2.85[s0];{parts}[s0]{joined}concat=n={times}:v=0:a=1,"
           f"apad=pad_dur={pause}",
           "-c:a", "libopus", "-b:a", "32k", "-f", "webm", str(clip))  # fmt: skip
    attempt_id = start(client).json["id"]
    for seq, piece in enumerate(pieces_of(clip, 5)):
        assert put(client, attempt_id, seq, piece).status_code == 204
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        guess, boundary = attempt.live_guess, attempt.live_until_s
        engine = engine_for_app()
        guessed = text_of(attempt.live_words + (guess or {}).get("words", []))
    assert guess is not None and guess["from_s"] == boundary
    assert guess["closed"] is (pause > 0.5)
    calls = []
    real = engine.transcribe
    monkeypatch.setattr(engine, "transcribe", lambda *a, **k: calls.append(1) or real(*a, **k))
    client.post(f"/api/v1/attempts/{attempt_id}/finish")
    shown = client.get(f"/api/v1/attempts/{attempt_id}").json
    assert shown["status"] == "done" and calls == []
    assert shown["transcript"]["text"] == guessed
    errors, total = word_errors(" ".join([SPEECH["short"]] * times), shown["transcript"]["text"])
    assert errors / total < 0.1
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).live_guess is None  # not kept once used


def test_a_doubtful_sentence_after_the_speech_ended_is_dropped_without_decoding_again(
    audio_fixtures,
):
    """The quick window once added "This is a very important event." (mean log-probability
    -1.96) in the silence before Stop, after a sentence it heard well; the whole tail was then
    decoded again for it, a second at Stop. Only a voiced last segment is worth that."""
    from types import SimpleNamespace as Segment

    from app.transcription.faster import _without_unvoiced_end

    sentence, _ = load_samples(audio_fixtures / "short.wav")
    end = speech_regions(sentence)[-1][1] - 0.3  # the voice activity pads its end by 0.3 s
    heard = Segment(start=0.4, end=end, words=[1] * 8, avg_logprob=-0.2, compression_ratio=1.1)
    made_up = Segment(start=end, end=end + 1.0, words=[1] * 6, avg_logprob=-1.96,
                      compression_ratio=0.84)  # fmt: skip
    quiet_after = np.concatenate([sentence, _silence(1.0)])
    assert _without_unvoiced_end([heard, made_up], quiet_after) == [heard]
    # A real sentence the model doubts is voiced: kept, to be decoded again.
    said_after = np.concatenate([sentence[: int(end * SAMPLE_RATE)], sentence])
    assert _without_unvoiced_end([heard, made_up], said_after) == [heard, made_up]
    # Nothing sure before it, or more than its end in doubt: not this rule's to judge.
    unsure = Segment(start=0.4, end=end, words=[1] * 8, avg_logprob=-1.3, compression_ratio=1.1)
    assert _without_unvoiced_end([unsure, made_up], quiet_after) == [unsure, made_up]
    assert _without_unvoiced_end([made_up], quiet_after) == [made_up]


def test_a_guess_the_candidate_spoke_past_after_a_pause_becomes_a_segment(audio_fixtures):
    """No decode is wasted on a pause between sentences: the guess of the sentence before
    it is committed as it is, ending in the pause, and only what follows is decoded."""
    from app.transcription.segments import live_segments, tail_guess

    sentence, _ = load_samples(audio_fixtures / "short.wav")
    engine = CountingEngine()
    paused = np.concatenate([sentence, _silence(1.0)])
    guess = tail_guess(engine, paused, [], 0.0, None)
    went_on = np.concatenate([paused, _silence(0.5), sentence])
    steps = live_segments(engine, went_on, [], 0.0, guess)
    words, cut = next(steps)
    assert engine.calls == 1 and words == guess["words"] and cut == guess["to_s"]
    # Speech that began before the end of what the guess heard: the guess may hold half a
    # word of it, so the stretch is decoded again (the pause between the sentences is a cut).
    early = dict(guess, to_s=paused.size / SAMPLE_RATE + 2.0)  # into the next sentence
    words, cut = next(live_segments(engine, went_on, [], 0.0, early))
    assert engine.calls == 2 and [w["word"] for w in words] == [" heard2"]
    assert cut < early["to_s"]
    # A guess from another boundary is not this rest's.
    words, _ = next(live_segments(engine, went_on, [], 0.5, guess))
    assert engine.calls == 3 and [w["word"] for w in words] == [" heard3"]
