"""Each audio measure on Piper recordings from the evaluation set, changed with Praat so the
truth is known: pitch flattened, an ending faded out, an ending raised."""

from pathlib import Path

import numpy as np
import parselmouth
import pytest
from parselmouth.praat import call

from app.delivery import analyse
from app.delivery.contours import measure
from app.recordings.audio import load_samples

SET = Path(__file__).resolve().parents[2] / "bench" / "speech_set" / "audio"
RATE = 16_000


def spoken(name: str, text: str) -> tuple[np.ndarray, list[dict]]:
    """A recording of the set and its words, spread evenly over the speech in it."""
    samples, _info = load_samples(SET / f"{name}.ogg", 600, 30)
    loud = np.flatnonzero(np.abs(samples) > 0.02)
    start, end = loud[0] / RATE, loud[-1] / RATE
    parts = text.split()
    step = (end - start) / len(parts)
    words = [{"word": " " + w, "start": start + i * step, "end": start + (i + 1) * step}
             for i, w in enumerate(parts)]  # fmt: skip
    return samples, words


def repitched(samples: np.ndarray, change) -> np.ndarray:
    """The recording resynthesised by Praat with each pitch point changed by ``change``."""
    sound = parselmouth.Sound(samples.astype(np.float64), RATE)
    manipulation = call(sound, "To Manipulation", 0.01, 75, 300)
    tier = call(manipulation, "Extract pitch tier")
    new = call("Create PitchTier", "changed", sound.xmin, sound.xmax)
    for i in range(1, call(tier, "Get number of points") + 1):
        t = call(tier, "Get time from index", i)
        call(new, "Add point", t, change(t, call(tier, "Get value at index", i)))
    call([new, manipulation], "Replace pitch tier")
    return call(manipulation, "Get resynthesis (overlap-add)").values[0]


SALARY = (
    "I'm looking for something around ninety five thousand a year, which is in line with what "
    "the role pays in this city. That said, I care more about the team and the chance to grow, "
    "so I'm open to talking about the whole package, including equity and time for training."
)
YES = "Yes, I led that project for two years."


@pytest.fixture(scope="module")
def salary():
    return spoken("salary", SALARY)


def test_a_natural_answer_is_not_monotone(salary):
    samples, words = salary
    pitch = analyse(samples, RATE, words)["pitch"]
    assert pitch["monotone_spans"] == []
    assert pitch["spread_semitones"] > 1.5
    assert 70 < pitch["median_hz"] < 130  # Piper's joe speaks around 90 Hz


def test_the_same_answer_with_its_pitch_flattened_is(salary):
    samples, words = salary
    flat = repitched(samples, lambda _t, _hz: 90.0)
    pitch = analyse(flat, RATE, words)["pitch"]
    assert pitch["spread_semitones"] < 0.5
    assert pitch["monotone_spans"] == [
        {"start": round(words[0]["start"], 2), "end": round(words[-1]["end"], 2)}
    ]


def test_an_ending_that_fades_out_trails_off_and_the_spoken_one_does_not():
    samples, words = spoken("short-yes", YES)
    assert analyse(samples, RATE, words)["volume"]["trailing_off"] == []
    end = words[-1]["end"]
    a, b = int((end - 0.8) * RATE), int(end * RATE) + 1
    faded = samples.copy()
    faded[a:b] *= 10 ** (np.linspace(0, -20, b - a) / 20)
    faded[b:] *= 0.1
    volume = analyse(faded, RATE, words)["volume"]
    assert [span["end"] for span in volume["trailing_off"]] == [round(end, 2)]
    assert volume["mean_db"] is not None


def test_a_statement_raised_at_the_end_is_a_rising_ending():
    samples, words = spoken("short-yes", YES)
    assert analyse(samples, RATE, words)["rising_endings"] == []
    contours = measure(samples, RATE)
    last = contours.pitch_times[contours.pitch_hz > 0][-1]

    def raise_end(t, hz):
        # The last word ("years", voiced throughout) climbs 5 semitones from 95 Hz.
        if t < last - 0.3:
            return hz
        return 95.0 * 2 ** (5 * min((t - (last - 0.3)) / 0.3, 1) / 12)

    (rising,) = analyse(repitched(samples, raise_end), RATE, words)["rising_endings"]
    assert rising["text"] == YES and rising["end"] == round(words[-1]["end"], 2)


def test_a_question_that_rises_is_not_a_rising_statement():
    samples, words = spoken("short-yes", YES.replace(".", "?"))
    contours = measure(samples, RATE)
    last = contours.pitch_times[contours.pitch_hz > 0][-1]
    raised = repitched(samples, lambda t, hz: hz * 2 ** (6 * (t > last - 0.3) / 12))
    assert analyse(raised, RATE, words)["rising_endings"] == []


def test_syllable_rate_is_in_the_range_of_speech(salary):
    samples, words = salary
    (window,) = analyse(samples, RATE, words)["rate"]
    # 62 syllables in about 14 s of speech: Piper speaks 4 to 5 a second.
    assert 3.0 < window["syllables_per_s"] < 6.0


def test_silence_and_no_words_give_the_empty_shape():
    empty = analyse(np.zeros(RATE), RATE, [])
    assert empty["pitch"] == {"median_hz": None, "spread_semitones": 0.0, "monotone_spans": []}
    silent = analyse(np.zeros(3 * RATE), RATE, [{"word": " Hi.", "start": 0.5, "end": 1.0}])
    assert silent["pitch"]["monotone_spans"] == [] and silent["rising_endings"] == []


HUMAN = SET.parent / "human"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (SET / "salary.ogg", SALARY),
        (
            HUMAN / "librivox-0920.flac",
            "Had he married a more a amiable woman, he might have been "
            "made still more respectable than he was.",
        ),
    ],
    ids=["piper", "human"],
)
def test_the_same_answer_30_db_quieter_is_too_quiet(path, text):
    samples, _info = load_samples(path, 600, 30)
    loud = np.flatnonzero(np.abs(samples) > 0.02)
    start, end = loud[0] / RATE, loud[-1] / RATE
    parts = text.split()
    step = (end - start) / len(parts)
    words = [{"word": " " + w, "start": start + i * step, "end": start + (i + 1) * step}
             for i, w in enumerate(parts)]  # fmt: skip
    as_recorded = analyse(samples, RATE, words)["volume"]
    assert as_recorded["too_quiet"] is False
    quieter = analyse(samples * 10 ** (-30 / 20), RATE, words)["volume"]
    assert quieter["too_quiet"] is True
    assert as_recorded["mean_db"] - quieter["mean_db"] == pytest.approx(30, abs=1)
    # The fade and pitch measures are relative: a quieter recording changes none of them.
    assert quieter["trailing_off"] == as_recorded["trailing_off"]
