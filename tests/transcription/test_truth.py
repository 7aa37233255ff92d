"""Every word said, nothing invented: the real base model on the evaluation set's clips.

Each test is one cause found with bench/accuracy.py, on a recording of the set
(bench/speech_set: Piper's natural voice, and real people reading from pocketsphinx's data).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from faster_whisper.tokenizer import Tokenizer

from app.recordings.audio import load_samples
from app.transcription import load_engine
from app.transcription.base import SAMPLE_RATE
from app.transcription.segments import (
    MAX_SEGMENT_S,
    MIN_SEGMENT_S,
    final_transcript,
    live_segments,
    next_cut,
    transcribe_by_pauses,
)
from app.transcription.speech import SPEECH_LEVEL_DB, speech_level_db, speech_regions
from bench.rooms import conditioned, in_a_room, reverberant
from bench.scoring import score, tokens
from bench.speech_set.make import load_set

pytestmark = pytest.mark.slow
SET = Path(__file__).resolve().parents[2] / "bench" / "speech_set"
HUMAN = {
    "cards-002": "Four queen of clubs.",
    "cards-003": "Seven of clubs.",
    "librivox-0930": "He might even have been made amiable himself.",
}


@pytest.fixture(scope="module")
def base(model_cache):
    # As the app runs it by default: base, beam 5, the verbatim prompt.
    return load_engine("faster-whisper", "base", cache_dir=model_cache, beam_size=5, verbatim=True)


def piper(name: str):
    return load_samples(SET / "audio" / f"{name}.ogg")[0]


@pytest.mark.parametrize("name", sorted(HUMAN))
def test_no_ending_is_invented_after_a_real_voice(base, name):
    # Before: "… Queen of Clothes. I'm sorry, I'm sorry.", "Seven of clubs. Thanks for
    # watching.", "… amiable himself. off." The recordings run on after the words.
    heard = base.transcribe(load_samples(SET / "human" / f"{name}.flac")[0]).text
    result = score(HUMAN[name], heard)
    assert result.invented == 0, heard


def test_nothing_is_added_after_a_short_answer(base):
    # Before: "I don't know. You" (2.5 s of silence after the answer). The full window's
    # warmer retry samples the silence at random ("You", "I'm", "Thank you very much." by
    # turns; one in twelve got past the filters), so it is asked several times.
    samples = piper("short-dont-know")
    for _ in range(6):
        heard = base.transcribe(samples).text
        assert score("I don't know.", heard).invented == 0, heard


def test_the_sentence_after_a_long_pause_is_kept(base):
    # Before: the decoder ended its window after the second sentence and the third, after a
    # 2.5 s pause, was never decoded.
    heard = base.transcribe(piper("long-pause-think")).text
    assert "ship small changes" in heard.lower(), heard


def test_a_fluent_speaker_gets_live_words_before_a_long_pause():
    # Before: no cut until a 0.6 s pause, so a fluent answer waited for Stop.
    samples = piper("fluent-fast")[: int((MAX_SEGMENT_S + 1) * SAMPLE_RATE)]
    cut = next_cut(samples, 0.0)
    assert cut is not None and MIN_SEGMENT_S <= cut <= MAX_SEGMENT_S


INSIDE_A_SENTENCE = {
    # fluent-fast from 9.5 s, inside "fraud checks": the first try, with the verbatim prompt,
    # was "Uh, uh, uh, uh, uh." over ten seconds of speech, and on another CPU "I'm going to
    # find the one small change …", the first sentence and a half lost.
    9.5: "and the fraud checks, and I mentored three new hires.",
    # From 10 s, with a trace of noise: the first try was "Uh, um, uh, uh, uh, uh, uh, uh, uh,
    # uh, uh, uh." (compression 2.47, which failed the decoder's check), then sampled warmer:
    # "I'm going to go check out some of the new items I've been using for a long time." on
    # one run, "I'm. I'm. I'm." on the next.
    10.0: "checks, and I mentored three new hires.",
}


@pytest.mark.parametrize("start", sorted(INSIDE_A_SENTENCE))
def test_a_clip_that_starts_inside_a_sentence_is_heard_as_said_at_every_run(base, start):
    # Decoded with no words before it (a first segment, or a file cut from a longer
    # recording), the verbatim prompt's fillers took over the first window.
    samples = piper("fluent-fast")[int(start * SAMPLE_RATE) :]
    if start == 10.0:
        samples = samples + np.random.default_rng(1).normal(0, 1e-4, samples.size)
    said = INSIDE_A_SENTENCE[start] + (
        " What I enjoy most is finding the one small change that removes a whole class of"
        " support tickets. That is why this role, which sits between support and engineering,"
        " fits me so well."
    )
    heard = [base.transcribe(samples.astype(np.float32)).text for _ in range(3)]
    assert len(set(heard)) == 1, heard
    result = score(said, heard[0])
    assert result.hyp_fillers == 0 and result.dropped_sentences == 0, heard[0]
    # The half word the clip starts on may come out as another ("I'm" for the "-nd" of
    # "and", "Check's" for "checks"): which, depends on the CPU.
    assert result.invented <= 1 and result.wer <= 0.15, heard[0]


@dataclass
class _Options:
    temperatures: list


def test_a_window_whose_first_try_is_not_believed_is_tried_without_the_fillers_before_warmer(
    base, monkeypatch
):
    """The rule of ``_QuickWindowModel.generate_with_fallback``, with faster-whisper's tries
    stood in for: a first try that loops on fillers (or fails the decoder's checks) is tried
    again at temperature 0 without the verbatim prompt, before any warmer one."""
    import faster_whisper

    from app.transcription.base import VERBATIM_PROMPT

    tokenizer = Tokenizer(base._model.hf_tokenizer, False, task="transcribe", language="en")
    verbatim = tokenizer.encode(" " + VERBATIM_PROMPT)
    tries = []
    says = {
        "primed": {"text": " Uh, uh, uh, uh, uh.", "compression": 1.3},
        "plain": {"text": " and the fraud checks.", "compression": 1.2},
    }

    def one_try(model, encoder_output, prompt, tokenizer, options):
        primed = prompt[1 : 1 + len(verbatim)] == verbatim
        kind = "primed" if primed else "plain"
        tries.append((kind, list(options.temperatures)))
        said = says[kind]
        result = SimpleNamespace(sequences_ids=[tokenizer.encode(said["text"])], no_speech_prob=0.1)
        return result, -0.4, options.temperatures[0], said["compression"]

    monkeypatch.setattr(faster_whisper.WhisperModel, "generate_with_fallback", one_try)
    first_window = [tokenizer.sot_prev, *verbatim, *tokenizer.sot_sequence]
    warm = _Options([0.0, 0.2, 0.4])
    monkeypatch.setattr(base._model.quick, "plain", "", raising=False)
    chosen = base._model.generate_with_fallback(None, first_window, tokenizer, warm)
    assert tries == [("primed", [0.0]), ("plain", [0.0])]
    assert tokenizer.decode(chosen[0].sequences_ids[0]).strip() == "and the fraud checks."

    # The words said before the window stay in its prompt; the fillers in front go.
    tries.clear()
    monkeypatch.setattr(base._model.quick, "plain", "we shipped it", raising=False)
    context = tokenizer.encode(" " + VERBATIM_PROMPT + " we shipped it")
    base._model.generate_with_fallback(
        None, [tokenizer.sot_prev, *context, *tokenizer.sot_sequence], tokenizer, warm
    )
    assert [kind for kind, _ in tries] == ["primed", "plain"]

    # A plain try that repeats itself too: the first try stands where the decoder's checks
    # accept it (``base.unlooped`` then asks the whole clip again), else faster-whisper goes
    # on warmer, with its prompt.
    tries.clear()
    says["plain"] = {"text": " checks checks checks checks", "compression": 3.0}
    monkeypatch.setattr(base._model.quick, "plain", "", raising=False)
    chosen = base._model.generate_with_fallback(None, first_window, tokenizer, warm)
    assert tries == [("primed", [0.0]), ("plain", [0.0])] and chosen[3] == 1.3
    tries.clear()
    says["primed"] = {"text": " Uh, um, uh, uh, uh, uh, uh, uh.", "compression": 2.5}
    base._model.generate_with_fallback(None, first_window, tokenizer, warm)
    assert tries == [("primed", [0.0]), ("plain", [0.0]), ("primed", [0.2, 0.4])]

    # A later window carries no words before it (the engine does not condition on the text
    # before), so there is nothing to take out.
    tries.clear()
    base._model.generate_with_fallback(None, list(tokenizer.sot_sequence), tokenizer, warm)
    assert [kind for kind, _ in tries] == ["plain", "plain"]
    monkeypatch.setattr(base._model.quick, "plain", None, raising=False)


def test_streamed_fluent_answer_matches_what_was_said(base):
    # Cut where the speaker barely pauses, the pieces still join into the whole answer, and
    # no misheard fragment from one piece is carried into the next through the prompt.
    samples = piper("fluent-fast")
    committed, until = [], 0.0
    for end in range(SAMPLE_RATE, samples.size, SAMPLE_RATE):
        for words, cut in live_segments(base, samples[:end], committed, until):
            committed, until = words, cut
    assert until > 0, "live words came before Stop"
    heard = final_transcript(base, samples, committed, until).text
    said = next(a["text"] for a in load_set() if a["id"] == "fluent-fast")
    result = score(said, heard)
    assert result.invented == 0 and result.dropped_sentences == 0, heard
    assert result.wer <= 0.06, heard


@pytest.mark.parametrize(
    "name, opening", [("short-python", "uh probably"), ("weakness-fillers", "um my biggest")]
)
def test_a_filler_that_opens_an_answer_is_kept(base, name, opening):
    # Before: "Probably Python." and "My biggest weakness …": the decoder left the "Uh"/"Um"
    # out and gave its time to the next word.
    heard = base.transcribe(piper(name)).text
    assert " ".join(heard.lower().replace(",", "").split()[:3]).startswith(opening), heard


def test_a_number_cut_in_fluent_speech_is_heard_once(base):
    # numbers-results: the segment is cut inside "eighteen percent in the first month"; the
    # next one began where the timing of "%" said it ended, inside "percent", and heard its
    # end as "then" ("18% then in"). Before that, "%" was dropped as punctuation.
    samples = piper("numbers-results")
    heard = transcribe_by_pauses(base, samples).text
    said = next(a["text"] for a in load_set() if a["id"] == "numbers-results")
    result = score(said, heard)
    assert result.invented == 0 and tokens(heard).count("percent") == 1, heard


def test_the_full_window_drops_a_doubtful_sentence_after_the_speech(base, monkeypatch):
    """What the warmer retry once said in the silence after "I don't know." ("I'm", at
    temperature 1.0, mean log-probability under -1) is dropped as the quick window's is."""
    from types import SimpleNamespace

    def segment(text, logprob, words):
        return SimpleNamespace(
            text=text,
            start=words[0][1],
            end=words[-1][2],
            avg_logprob=logprob,
            compression_ratio=0.6,
            no_speech_prob=0.02,
            words=[SimpleNamespace(word=w, start=a, end=b, probability=p) for w, a, b, p in words],
        )

    # The speech runs from 0.35 to 1.05 s; the made-up word sits on its last sound.
    said = segment(
        " I don't know!",
        -0.49,
        [(" I", 0.35, 0.5, 0.9), (" don't", 0.5, 0.75, 0.9), (" know!", 0.75, 0.95, 0.9)],
    )
    made_up = segment(" I'm", -1.16, [(" I'm", 0.95, 1.05, 0.6)])
    monkeypatch.setattr(base, "_segments", lambda samples, prompt, mode: [said, made_up])
    assert base.transcribe(piper("short-dont-know")).text == "I don't know!"
    # The same retries sample at warmer temperatures without always doubting what they say
    # ("." at -0.8, temperature 0.4); one "I'm" got through in a run of the suite. The
    # no-speech detector gives the moment 0.51, and nothing is voiced there.
    sampled = segment(" I'm", -0.8, [(" I'm", 0.92, 1.4, 0.2)])
    sampled.temperature, sampled.no_speech_prob = 0.4, 0.51
    monkeypatch.setattr(base, "_segments", lambda samples, prompt, mode: [said, sampled])
    assert base.transcribe(piper("short-dont-know")).text == "I don't know!"


def test_a_quiet_voice_is_not_heard_twice(base):
    # cards-001 as a microphone 20 dB further away hears it (bench/accuracy.py --gain -20
    # --noise -65): the live guess of the last two seconds, in the quick window, came back
    # "Ten of clubs. Ten of clubs.", the copy squeezed into 0.08 s; "clubs." stayed twice.
    voice = load_samples(SET / "human" / "cards-001.flac")[0]
    samples = in_a_room(voice, -65.0, 3.0, seed=24, gain_db=-20.0)[: 2 * SAMPLE_RATE]
    heard = base.transcribe(samples, quick=True).text
    assert tokens(heard).count("clubs") == 1, heard


def test_the_decoder_hears_a_quiet_voice_at_an_ordinary_level(base, monkeypatch):
    # 20 dB further from the microphone, base heard "Five, five, five." for cards-004's "Five
    # five." and an "It's" before cards-002's "Four queen"; raised first, neither (whole path,
    # bench/accuracy.py --gain -20 --noise -65 --tail 3: human clips 1 invented word → 0).
    heard_levels = []
    decode = base._decode_segments

    def listening(samples, prompt, mode, **kwargs):
        heard_levels.append(speech_level_db(samples, speech_regions(samples)))
        return decode(samples, prompt, mode, **kwargs)

    monkeypatch.setattr(base, "_decode_segments", listening)
    voice = load_samples(SET / "human" / "cards-004.flac")[0]
    quiet = in_a_room(voice, -65.0, 3.0, seed=27, gain_db=-20.0)
    assert speech_level_db(quiet, speech_regions(quiet)) < -25
    heard = transcribe_by_pauses(base, quiet).text
    assert heard_levels and all(abs(level - SPEECH_LEVEL_DB) < 1 for level in heard_levels)
    assert tokens(heard).count("five") == 2, heard


def test_the_room_echo_of_a_last_word_is_not_heard_again(base):
    # short-no-tail in a bare room (bench/accuracy.py --room reverb:0.6, its fifth answer):
    # "I would ask for feedback first. First.", the second from the reflections (0.15).
    samples = reverberant(piper("short-no-tail"), 0.6, seed=4)
    heard = transcribe_by_pauses(base, samples).text
    assert tokens(heard).count("first") == 1, heard


def test_music_after_the_answer_is_not_heard_as_words(base):
    # short-team-size with music under it (bench/accuracy.py --room music:-30, its fourth
    # answer): the 1.9 s after the last cut, decoded at Stop, looped "I'm not sure if I'm
    # right." (no speech 0.78) and "I'm" was added to the answer.
    samples = in_a_room(conditioned(piper("short-team-size"), "music:-30", seed=3), None, 0.0, 3)
    rest = samples[int(5.241 * SAMPLE_RATE) :]
    heard = base.transcribe(rest, context="people across three time zones.", quick=True,
                            greedy=True)  # fmt: skip
    assert heard.words == [], heard.text


@pytest.mark.parametrize(
    ("name", "word"), [("short-python", "probably"), ("weakness-fillers", "used")]
)
def test_a_filler_apart_from_the_next_word_is_kept_in_a_browser_recording(base, name, word):
    # Recorded through Chromium's fake microphone (bench/speech_set/browser): the decoder gave
    # the "uh" to the next word ("Probably" from 0.0 to 1.06 s; "I used" with "used" from the
    # end of "I", over the "uh" and the silences either side), and a decode of just that
    # moment heard "Probably." and "use it." The silence between the "uh" and the word shows
    # a sound apart; the moment is decoded again with a little more of the word.
    heard = tokens(
        transcribe_by_pauses(base, load_samples(SET / "browser" / f"{name}.webm")[0]).text
    )
    assert word in heard, heard
    assert heard[heard.index(word) - 1] in {"uh", "um"}, heard


def test_a_filler_in_an_accent_is_not_heard_as_a_word(base):
    # short-python in one of Kokoro's Japanese voices (bench/speech_set/accented): the drawn
    # "uh" came back as a doubted "Whoa," (a word more, and a filler less).
    heard = tokens(
        transcribe_by_pauses(base, load_samples(SET / "accented" / "short-python.ogg")[0]).text
    )
    assert heard == ["uh", "probably", "python"], heard


def test_a_short_clips_decode_is_capped_above_the_fastest_speech(base, monkeypatch):
    """A decode that loops runs on to the model's 448 tokens: on 6 s of a fluent answer cut
    inside a word, 7 s of decoding in a live job. One window's decode now stops at
    ``token_budget``, far above what the fastest voice of the set says in it."""
    from app.transcription.base import token_budget

    asked = []
    real = base._model.transcribe

    def spy(samples, **options):
        asked.append((samples.size / SAMPLE_RATE, options.get("max_new_tokens")))
        return real(samples, **options)

    clip = piper("fluent-fast")[: int(MAX_SEGMENT_S * SAMPLE_RATE)]  # the longest segment
    monkeypatch.setattr(base._model, "transcribe", spy)
    capped = base.transcribe(clip, context="", quick=True, greedy=True)
    assert asked and all(cap == token_budget(seconds) for seconds, cap in asked)
    monkeypatch.setattr(base._model, "transcribe", real)
    monkeypatch.setattr("app.transcription.faster.token_budget", lambda seconds: 400)
    assert capped.text == base.transcribe(clip, context="", quick=True, greedy=True).text
    assert tokens(capped.text)[-3:] == ["three", "new", "hires"], capped.text  # 38 words


def test_a_filler_check_decodes_only_the_first_window_of_its_moment(base, monkeypatch):
    """A filler check hears again the moment around one word. Whisper went on after its first
    window ("Um, my big.") to decode the voice activity's padding after the last word as a
    second window, as long to encode as the first and decoded with the beam, and wrote
    "I'm sorry, I'm sorry, …" there, which the filters dropped: half of each check's time."""
    import faster_whisper

    encoded = []
    real = faster_whisper.WhisperModel.encode
    monkeypatch.setattr(faster_whisper.WhisperModel, "encode",
                        lambda model, features: encoded.append(1) or real(model, features))  # fmt: skip
    clip = piper("weakness-fillers")[: int(1.2 * SAMPLE_RATE)]  # "Um, my big-"
    moment = base._decode_moment(clip, "")
    assert len(encoded) == 1
    asked = base._decode_segments(clip, base.initial_prompt, "quick")  # every window
    first = [s.text for s in asked if s.seek == asked[0].seek]
    assert [s.text for s in moment] == first and "um" in first[0].lower(), (moment, asked)


def test_no_filler_is_heard_where_the_voice_makes_no_sound(base):
    """The accented voice says "Hmm, next time"; base heard "Um, uh, next time", the "uh"
    timed at one instant and doubted: a filler the candidate would be counted for, with no
    sound under it. Real fillers are all still heard."""
    said = next(a["text"] for a in load_set() if a["id"] == "disfluent-restart")
    samples = load_samples(SET / "accented" / "disfluent-restart.ogg")[0]
    heard = transcribe_by_pauses(base, samples).text
    result = score(said, heard)
    assert result.hyp_fillers <= result.ref_fillers == 3, heard
    assert result.found_fillers >= 2 and result.invented == 0, heard


def test_a_number_written_again_over_audio_already_heard_is_dropped(base):
    """A held-out voice (Flite's slt): "… returns dropped by three point five percent." came
    back "by 3.5%. 0.5%. and": the decoder's next segment started 0.25 s inside the number it
    had just written and wrote it again, the " 0" at 0.19."""
    samples = load_samples(SET / "holdout" / "slt" / "budget-numbers.ogg")[0]
    heard = transcribe_by_pauses(base, samples)
    said = (
        "In 2019 our team had a budget of $320,000 for the whole year. We finished 11% under "
        "it, and the new warehouse system went live in 2021. Orders per hour went from 1,200 "
        "to about 1,750, and returns dropped by 3.5%."
    )
    result = score(said, heard.text)
    assert result.invented <= 1 and result.dropped_sentences == 0, heard.text  # " and" at most
    assert heard.text.count("5%") == 1, heard.text


def test_a_doubted_scrap_before_a_pause_is_kept_only_if_heard_again(base):
    """A held-out voice (Flite's slt): "… into the new owners platform." then 2.5 s of silence
    came back "… platform. Oh, I'm..." ("Oh," at 0.03): a sentence opened where the speaker
    had stopped. Heard again alone, the end of that clip holds no such words."""
    samples = load_samples(SET / "holdout" / "slt" / "long-career-story.ogg")[0]
    heard = transcribe_by_pauses(base, samples[: 30 * SAMPLE_RATE]).text
    assert "platform. Since then I've been" in heard, heard
    assert "Oh" not in heard and "I'm" not in heard, heard
