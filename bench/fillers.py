"""Do filler words survive transcription? Recall, precision and WER per model, beam and prompt.

    python bench/fillers.py [--models tiny.en,base] [--beams 1,5] [--prompts none,app,...]

Transcribes the answers in ``tests/fixtures/fillers.py`` (12 with known fillers, 6 clean)
with faster-whisper for every model x beam x prompt, in this process, and reports:

* recall: fillers written into the text that come back (per answer and filler type,
  ``min(found, expected)``), over every expected filler; ``um/uh`` is the same for the
  um and uh families only (what Whisper likes to drop);
* precision: those matched fillers over every filler found, in all 18 answers: extra fillers
  in a filler answer and any filler in a clean answer count against it;
* invented: fillers found in the clean answers;
* WER clean: word error rate on the clean answers (151 words; the prompt must not cost
  accuracy); WER content: the same on the filler answers with um/uh/hmm removed from both
  sides (375 words); WER all: both pooled;
* tail+: clips where the transcript goes on for 2 or more words after the last spoken word
  (hallucinated endings such as "Thank you." or "We'll see you next time.");
* s/audio s: transcription seconds per audio second (after one warm-up call).

The matcher is deliberately simple (the app's own counter lives elsewhere). Words are
lower-cased without punctuation; spelling variants are folded: um/umm/erm/uhm -> um,
uh/uhh/er/ah -> uh, hmm/hm/mm -> hmm. "you know", "i mean", "kind of" and "sort of" are
matched as phrases, "basically", "actually" and "literally" as words; none of them appears in
the clean answers, so counting every occurrence is safe here. "like" is the trap ("I'd like
to", "it looks like"): it counts as a filler only where punctuation sits on both sides of it
(", like,", "Like," opening a sentence, ", like." closing one), or in an answer whose expected
list holds "like" (every "like" in those answers is a filler by construction, so recall
measures whether Whisper kept the word, not whether it placed the commas).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter

from common import ROOT, normalise, word_errors

from tests.fixtures.fillers import ALL_ANSWERS, CLEAN_ANSWERS, Answer, make_filler_fixtures

# Candidate prompts for the decoder (``initial_prompt``); "none" is plain Whisper and "app"
# is whatever app/transcription/base.py holds as VERBATIM_PROMPT right now.
PROMPTS: dict[str, str | None] = {
    "none": None,
    # The first VERBATIM_PROMPT: turned "uh" into "er"/"erm" (it spells "er").
    "v1": (
        "Umm, let me think, like, hmm... Okay, so, uh, I mean, you know, I was, er, kind of "
        "nervous."
    ),
    # The same idea without "er" or "uh".
    "noer": "Umm, let me think like, hmm... Okay, here's what I'm, like, thinking.",
    # A sentence with each hesitation spelled once the way we count it, no "er".
    "spelled": "Um, so, uh, I mean, you know, I was, uh, kind of nervous. Hmm.",
    # Bare hesitations, no sentence: less for the decoder to continue from.
    "short": "Uh, um, hmm.",
    "chain": "Uh, um, uh, hmm, um.",
}
# The default run is verbatim off/on with the app's prompt; compare candidates with --prompts.
DEFAULT_PROMPTS = "none,app"

FAMILIES = (
    ("um", re.compile(r"u+m+|erm+|uhm+")),
    ("uh", re.compile(r"u+h+|er+|a+h+")),
    ("hmm", re.compile(r"h+m+|m{2,}")),
)
PHRASES = ("you know", "i mean", "kind of", "sort of")
WORDS = ("basically", "actually", "literally")
TOKEN = re.compile(r"[a-z0-9']+|[,.;:!?]")


def filler_key(filler: str) -> str:
    """The counting key of one filler as written in a fixture ("er" -> "uh", "I mean" -> ...)."""
    text = filler.lower()
    for key, pattern in FAMILIES:
        if pattern.fullmatch(text):
            return key
    return text


def count_fillers(text: str, like_is_filler: bool = False) -> Counter:
    """Count fillers in a transcript by key; see the module docstring for the rules."""
    tokens = TOKEN.findall(text.lower().replace("-", " "))
    found: Counter = Counter()
    words: list[str] = []
    for i, tok in enumerate(tokens):
        if not tok[0].isalnum():
            continue
        words.append(tok)
        family = next((key for key, pattern in FAMILIES if pattern.fullmatch(tok)), None)
        if family:
            found[family] += 1
        elif tok in WORDS:
            found[tok] += 1
        elif tok == "like":
            before = tokens[i - 1] if i > 0 else "."
            after = tokens[i + 1] if i + 1 < len(tokens) else "."
            set_off = not before[0].isalnum() and not after[0].isalnum()
            if like_is_filler or set_off:
                found["like"] += 1
    joined = " " + " ".join(words) + " "
    for phrase in PHRASES:
        found[phrase] += joined.count(f" {phrase} ")
    return +found


def trailing_insertions(ref: str, hyp: str) -> list[str]:
    """Words of ``hyp`` after the last word aligned to ``ref`` (a hallucinated ending)."""
    r, h = normalise(ref), normalise(hyp)
    d = [[i + j if i == 0 or j == 0 else 0 for j in range(len(h) + 1)] for i in range(len(r) + 1)]
    for i in range(1, len(r) + 1):
        for j in range(1, len(h) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (r[i - 1] != h[j - 1])
            )
    # Walk back from the end while dropping the last hyp word keeps the alignment optimal.
    j = len(h)
    while j > 0 and d[len(r)][j] == d[len(r)][j - 1] + 1:
        j -= 1
    tail = len(h) - j
    return h[len(h) - tail :] if tail else []


def strip_hesitations(text: str) -> str:
    """The text without um/uh/hmm-family words (for WER on the filler answers)."""
    return " ".join(w for w in normalise(text) if not any(p.fullmatch(w) for _, p in FAMILIES))


def evaluate(results: dict[str, str]) -> dict:
    """Score one configuration's transcripts (answer id -> text)."""
    expected_total = matched = found_total = hes_expected = hes_matched = invented = 0
    clean_err = clean_words = content_err = content_words = 0
    tails: dict[str, list[str]] = {}
    for answer in ALL_ANSWERS:
        hyp = results[answer.id]
        expected = Counter(filler_key(f) for f in answer.fillers)
        found = count_fillers(hyp, like_is_filler="like" in expected)
        hits = {k: min(n, found[k]) for k, n in expected.items()}
        expected_total += sum(expected.values())
        matched += sum(hits.values())
        found_total += sum(found.values())
        hes_expected += expected["um"] + expected["uh"]
        hes_matched += hits.get("um", 0) + hits.get("uh", 0)
        if answer.fillers:
            e, n = word_errors(strip_hesitations(answer.text), strip_hesitations(hyp))
            content_err, content_words = content_err + e, content_words + n
        else:
            invented += sum(found.values())
            e, n = word_errors(answer.text, hyp)
            clean_err, clean_words = clean_err + e, clean_words + n
        tail = trailing_insertions(answer.text, hyp)
        if len(tail) >= 2:
            tails[answer.id] = tail
    return {
        "expected": expected_total,
        "matched": matched,
        "found": found_total,
        "recall": matched / expected_total,
        "um_uh": f"{hes_matched}/{hes_expected}",
        "precision": matched / found_total if found_total else 1.0,
        "invented": invented,
        "wer_clean": clean_err / clean_words,
        "wer_content": content_err / content_words,
        "wer_all": (clean_err + content_err) / (clean_words + content_words),
        "tails": tails,
    }


def run(model: str, beam: int, prompt_name: str, clips: list, cache: str) -> dict:
    """Load one configuration, transcribe every clip, time it and score it."""
    from app.transcription.faster import FasterWhisperEngine
    from app.transcription.models import resolve_model

    engine = FasterWhisperEngine(
        resolve_model(model, cache), model, beam_size=beam, initial_prompt=PROMPTS[prompt_name]
    )
    engine.transcribe(clips[0][1])  # warm-up: first calls compile and allocate
    results, processing_s, audio_s = {}, 0.0, 0.0
    for answer, samples in clips:
        t0 = time.perf_counter()
        results[answer.id] = engine.transcribe(samples).text
        processing_s += time.perf_counter() - t0
        audio_s += samples.size / 16000
    row = {"model": model, "beam": beam, "prompt": prompt_name, "audio_s": audio_s}
    row.update(evaluate(results), rtf=processing_s / audio_s, transcripts=results)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="tiny.en,base")
    parser.add_argument("--beams", default="1,5")
    parser.add_argument(
        "--prompts", default=DEFAULT_PROMPTS, help=f"names from: {', '.join(PROMPTS)}, app"
    )
    parser.add_argument("--cache", default=str(ROOT / ".cache" / "models"))
    parser.add_argument("--json", help="also write every transcript and score to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every transcript")
    args = parser.parse_args()

    from app.recordings.audio import load_samples
    from app.transcription.base import VERBATIM_PROMPT

    PROMPTS["app"] = VERBATIM_PROMPT
    names = args.prompts.split(",")
    unknown = [n for n in names if n not in PROMPTS]
    if unknown:
        parser.error(f"unknown prompt(s) {', '.join(unknown)}; choose from {', '.join(PROMPTS)}")
    folder = make_filler_fixtures()
    answers: list[Answer] = list(ALL_ANSWERS)
    clips = [(a, load_samples(folder / a.filename)[0]) for a in answers]
    n_fill = len(answers) - len(CLEAN_ANSWERS)
    print(f"{n_fill} filler answers, {len(CLEAN_ANSWERS)} clean, "
          f"{sum(s.size for _, s in clips) / 16000:.0f} s of audio")  # fmt: skip
    for name in names:
        print(f"  {name:<8} {PROMPTS[name]!r}")

    rows = []
    started = time.perf_counter()
    for model in args.models.split(","):
        for beam in (int(b) for b in args.beams.split(",")):
            for name in names:
                row = run(model, beam, name, clips, args.cache)
                rows.append(row)
                print(f"... {model} beam {beam} {name}: recall {row['recall']:.0%}, "
                      f"WER clean {row['wer_clean']:.1%}", flush=True)  # fmt: skip
                if args.verbose:
                    for answer_id, text in row["transcripts"].items():
                        print(f"      {answer_id}: {text}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s\n")
    print(f"{'model':<8} {'beam':>4} {'prompt':<8} {'recall':>7} {'um/uh':>6} {'precision':>9} "
          f"{'invented':>8} {'WER clean':>9} {'WER content':>11} {'WER all':>7} {'tail+':>5} "
          f"{'s/audio s':>9}")  # fmt: skip
    for r in rows:
        print(f"{r['model']:<8} {r['beam']:>4} {r['prompt']:<8} {r['recall']:>7.0%} "
              f"{r['um_uh']:>6} {r['precision']:>9.0%} {r['invented']:>8} "
              f"{r['wer_clean']:>9.1%} {r['wer_content']:>11.1%} {r['wer_all']:>7.1%} "
              f"{len(r['tails']):>5} {r['rtf']:>9.3f}")  # fmt: skip
    tails = [(r, clip, words) for r in rows for clip, words in r["tails"].items()]
    for r, clip, words in tails:
        print(f"tail+ {r['model']} beam {r['beam']} {r['prompt']} {clip}: {' '.join(words)!r}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"prompts": {n: PROMPTS[n] for n in names}, "rows": rows}, out, indent=1)


if __name__ == "__main__":
    main()
