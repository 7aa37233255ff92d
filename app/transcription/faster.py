"""faster-whisper (CTranslate2): the default engine, int8 on CPU, no PyTorch."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

from .base import (
    FILLERS_TIMED,
    MAX_COMPRESSION_RATIO,
    MIN_AVG_LOGPROB,
    NO_SPEECH_SKIP,
    SAMPLE_RATE,
    Transcript,
    TranscriptionError,
    Word,
    believed,
    decoder_accepts,
    prompt_with,
    token_budget,
    unlooped,
    unprimed,
)
from .filters import (
    DOUBTFUL_NO_SPEECH,
    Decoded,
    confirm_last_fragment,
    fill_gaps,
    restore_fillers,
    supported_words,
)
from .speech import drop_unlikely_tail, join_words, keep_spoken_words, speech_regions

log = logging.getLogger(__name__)

# A quick transcription (the end of a streamed answer, at Stop) encodes the clip plus this much
# silence, in a window of at least QUICK_MIN_S, instead of the 30 s window Whisper pads every
# clip to: 3x faster for a sentence on a CPU. Less padding than this made the decoder invent
# words after the speech (bench/quick_window.py). Only for the models where that benchmark
# found the quick window as accurate as the full one: tiny.en loops and repeats in it.
QUICK_MODELS = frozenset({"base"})
QUICK_PAD_S = 3.0
QUICK_MIN_S = 10.0
FRAMES_PER_S = 100
# Where the audio after a sure segment is looked at for speech: this long after its end
# (word timings run a little early; the voice activity needs a quarter second of speech).
AFTER_SURE_S = 0.2


def trimmed_window(features: np.ndarray) -> np.ndarray:
    """Cut the all-zero padding after a short clip's mel frames down to the quick window.

    faster-whisper pads the log-mel features of every window with zero columns up to 30 s;
    a frame of real audio is never exactly zero in all bands.
    """
    voiced = np.flatnonzero(features.reshape(-1, features.shape[-1]).any(axis=0))
    content = int(voiced[-1]) + 1 if voiced.size else 0
    frames = max(int(QUICK_MIN_S * FRAMES_PER_S), content + int(QUICK_PAD_S * FRAMES_PER_S))
    frames += frames % 2  # the encoder's convolution halves the frame count
    return features[..., :frames] if frames < features.shape[-1] else features


def _pick_device(device: str) -> tuple[str, str]:
    """Choose device and compute type: CUDA when asked for or present, else int8 CPU."""
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return device, ("float16" if device == "cuda" else "int8")


class FasterWhisperEngine:
    """A faster-whisper model loaded once and reused for every job in this process."""

    name = "faster-whisper"

    def __init__(
        self,
        model_dir: Path,
        model_name: str,
        device: str = "auto",
        beam_size: int = 1,
        cpu_threads: int = 0,
        initial_prompt: str | None = None,
    ) -> None:
        self.model_name = model_name
        self.fillers_timed = model_name in FILLERS_TIMED
        self.beam_size = beam_size
        self.initial_prompt = initial_prompt
        self.device, self.compute_type = _pick_device(device)
        self._model = _QuickWindowModel(
            str(model_dir),
            device=self.device,
            compute_type=self.compute_type,
            cpu_threads=cpu_threads or min(4, os.cpu_count() or 1),
        )

    def transcribe(
        self, samples: np.ndarray, context: str = "", quick: bool = False, greedy: bool = False
    ) -> Transcript:
        """Transcribe with word timestamps; silence and noise give an empty transcript.

        ``quick`` encodes a short clip in a short window (``trimmed_window``) with the
        models that allow it (``QUICK_MODELS``), at temperature 0 only (and with beam 1 when
        ``greedy``); a decode the model itself doubts (``_doubtful``) is done again in the
        full window.
        """
        duration = samples.size / SAMPLE_RATE
        regions = speech_regions(samples)
        if not regions:
            return Transcript(text="", words=[], duration_s=duration)
        prompt = prompt_with(self.initial_prompt, context)
        spoken_until = regions[-1][1]
        segments = None
        if quick and self.model_name in QUICK_MODELS:
            quick_mode = "quick-greedy" if greedy else "quick"
            segments = _spoken(self._segments(samples, prompt, quick_mode), spoken_until)
            segments = _without_unvoiced_end(segments, samples)
            if _doubtful(segments):
                log.info("the quick decode was doubtful (%s); decoding again in the full window",
                         "; ".join(f"{s.avg_logprob:.2f} {s.compression_ratio:.2f} {s.text!r}"
                                   for s in segments))  # fmt: skip
                # Once more in the full window, still without warmer retries: someone is
                # waiting, and the warm retries of a doubtful end took 3-4 s for nothing.
                segments = _spoken(self._segments(samples, prompt, "cold"), spoken_until)
        if segments is None:
            # The full window's warmer retries sample at random: on the silence after "I
            # don't know." they said "You", "I'm" or "Thank you very much." by turns, so the
            # same rules drop what follows the speech here too.
            segments = _spoken(self._segments(samples, prompt, "full"), spoken_until)
            segments = _without_unvoiced_end(segments, samples)
        words = supported_words(self._as_decoded(segments), samples, regions)
        words = drop_unlikely_tail(keep_spoken_words(words, regions), regions)
        words = confirm_last_fragment(words, samples, self._decode_alone)
        words = fill_gaps(words, samples, regions, self._decode_alone)
        # A loop of "um"s on the moment before a word still says a filler is there; asked
        # without the prompt's fillers, the decoder tidies it away ("Who?" for "Um, um, …").
        words = restore_fillers(words, samples, self._decode_moment)
        return Transcript(text=join_words(words), words=words, duration_s=duration)

    def _decode_alone(self, clip: np.ndarray, context: str) -> list[Decoded]:
        """A stretch of speech the first decode skipped, decoded on its own: in the quick
        window where the model allows it (a gap is a sentence or two, and at Stop someone is
        waiting), at temperature 0 only (warmer retries on a short clip are where Whisper
        makes words up)."""
        prompt = prompt_with(self.initial_prompt, context)
        mode = "quick" if self.model_name in QUICK_MODELS else "cold"
        return self._as_decoded(self._segments(clip, prompt, mode))

    def _decode_moment(self, clip: np.ndarray, context: str) -> list[Decoded]:
        """The moment around one word, decoded again to hear a filler in it: as
        ``_decode_alone``, but a loop of "um"s is kept (it still says a filler is there;
        asked without the prompt's fillers, the decoder tidies it away: "Who?" for "Um, um,
        …"), and only the clip's first window is decoded.

        Whisper decodes a clip window by window, and when a window's text ends on a word
        rather than on a timestamp alone it decodes again from that word's end. In a clip
        of a word or two what is left there is the padding of the voice activity, and on the
        evaluation set that second window (as long to encode as the first, and decoded with
        the beam) wrote only what Whisper writes on silence ("Thank you very much.", "I'm
        sorry, I'm sorry.", "You"), which the filters then dropped.
        """
        prompt = prompt_with(self.initial_prompt, context)
        mode = "quick" if self.model_name in QUICK_MODELS else "cold"
        return self._as_decoded(
            self._decode_segments(clip, prompt, mode, first_only=True, keep_loops=True)
        )

    def _as_decoded(self, segments: list) -> list[Decoded]:
        return [_decoded(s, self.fillers_timed) for s in segments]

    def _segments(self, samples: np.ndarray, prompt: str | None, mode: str) -> list:
        """Decode: ``full`` as faster-whisper does by default, ``quick`` in the quick window
        at temperature 0 only (``quick-greedy``: and beam 1), ``cold`` in the full window at
        temperature 0 only. A decode that loops on the fillers of the engine's own prompt is
        asked again without them (``base.unlooped``)."""
        return unlooped(
            lambda asked: self._decode_segments(samples, asked, mode), prompt, self.initial_prompt
        )

    def _decode_segments(
        self,
        samples: np.ndarray,
        prompt: str | None,
        mode: str,
        first_only: bool = False,
        keep_loops: bool = False,
    ) -> list:
        # One window: at temperature 0 only, and cut off where a loop would be (the full
        # mode's windows each hold up to 30 s and keep faster-whisper's limit).
        options = (
            {}
            if mode == "full"
            else {"temperature": 0.0, "max_new_tokens": token_budget(samples.size / SAMPLE_RATE)}
        )
        try:
            self._model.quick.on = mode.startswith("quick")
            self._model.quick.first_only, self._model.quick.windows = first_only, 0
            plain = unprimed(prompt, self.initial_prompt)
            # Where a loop says something (``keep_loops``), no plain retry takes it away.
            self._model.quick.plain = None if keep_loops or plain == prompt else plain or ""
            segments, _info = self._model.transcribe(
                samples,
                language="en",
                # Greedy for the end of an answer at Stop: a third faster again for one
                # sentence, within a word in a hundred (bench/quick_window.py --beam 1).
                beam_size=1 if mode == "quick-greedy" else self.beam_size,
                word_timestamps=True,
                vad_filter=True,
                condition_on_previous_text=False,
                initial_prompt=prompt,
                # The checks that send a window's try warmer, as ``base.decoder_accepts``
                # judges them (faster-whisper's defaults).
                compression_ratio_threshold=MAX_COMPRESSION_RATIO,
                log_prob_threshold=MIN_AVG_LOGPROB,
                no_speech_threshold=NO_SPEECH_SKIP,
                **options,
            )
            decoded = []
            try:
                for segment in segments:  # a window is decoded when its segments are asked for
                    decoded.append(segment)
            except _NothingMore:
                pass
            return decoded
        except (RuntimeError, ValueError) as err:
            raise TranscriptionError(f"faster-whisper failed: {err}") from err
        finally:
            self._model.quick.on = self._model.quick.first_only = False
            self._model.quick.plain = None


def _spoken(segments: list, spoken_until: float) -> list:
    """Drop what Whisper added after the speaker stopped ("You", "here.", "Thank you."):
    segments that begin after the last speech ends, and a last segment of a few words that
    the model itself doubts."""
    kept = [s for s in segments if s.start < spoken_until]
    if len(kept) > 1 and len(kept[-1].words or []) <= 3 and kept[-1].avg_logprob < MIN_AVG_LOGPROB:
        kept.pop()
    return kept


def _without_unvoiced_end(segments: list, samples: np.ndarray) -> list:
    """Drop a last segment the model doubts when no speech follows the sure ones before it.

    After a sentence it heard well, the quick window sometimes adds one it made up ("This is
    a very important event.", mean log-probability -1.96) in the silence before Stop, starting
    just inside the speech's padded end and too long for ``_spoken``'s few-word rule. Decoding
    the whole clip again for it cost about a second at Stop. The voice activity after the sure
    segments tells it from a real last sentence the model was unsure of: that one is voiced.
    """
    if len(segments) < 2 or not _unsure(segments[-1]) or _doubtful(segments[:-1]):
        return segments
    after = samples[int((segments[-2].end + AFTER_SURE_S) * SAMPLE_RATE) :]
    return segments if speech_regions(after) else segments[:-1]


def _unsure(segment) -> bool:
    """True for a segment the model doubts, that it only found by sampling at a warmer
    temperature, or that its no-speech detector gives better than even odds of silence: the
    full window's retries on the silence after "I don't know." sampled "You", "." (-0.8 at
    temperature 0.4, not doubted), "Thank you very much." and once an "I'm" that passed every
    filter; the no-speech detector gave each 0.51."""
    return (
        _doubtful([segment])
        or getattr(segment, "temperature", 0.0) > 0
        or segment.no_speech_prob > DOUBTFUL_NO_SPEECH
    )


def _doubtful(segments: list) -> bool:
    """True when a decode repeats itself or the model is unsure of it."""
    return any(
        s.compression_ratio > MAX_COMPRESSION_RATIO or s.avg_logprob < MIN_AVG_LOGPROB
        for s in segments
    )


def _decoded(segment, fillers_timed: bool) -> Decoded:
    return Decoded(
        fillers_timed=fillers_timed,
        start=float(segment.start),
        end=float(segment.end),
        text=segment.text,
        avg_logprob=float(segment.avg_logprob),
        no_speech_prob=float(segment.no_speech_prob),
        compression_ratio=float(segment.compression_ratio),
        words=[
            Word(w.word, float(w.start), float(w.end), float(w.probability))
            for w in (segment.words or [])
        ],
    )


class _NothingMore(Exception):
    """A decode asked for its first window only reached its second."""


class _QuickWindowModel(WhisperModel):
    """A WhisperModel whose encoder can skip most of a short clip's padding, and a decode's
    windows after its first; and whose decode of a window stops at a loop on the prompt's
    fillers (``base.unlooped``) before it would be sampled again warmer."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.quick = threading.local()  # per thread: one model serves every job thread

    def encode(self, features: np.ndarray):
        state = self.quick
        if getattr(state, "windows", 0) and getattr(state, "first_only", False):
            raise _NothingMore
        state.windows = getattr(state, "windows", 0) + 1
        if getattr(state, "on", False):
            features = trimmed_window(features)
        return super().encode(features)

    def generate_with_fallback(self, encoder_output, prompt, tokenizer, options):
        """faster-whisper's tries of one window, with one more before the warmer ones: a first
        try (temperature 0) that is not ``base.believed`` is tried again at temperature 0
        without the engine's verbatim prompt, where the window carries it (``_plain_prompt``).
        Otherwise the choice is faster-whisper's own: the first try its checks accept, else
        the likeliest of those that do not repeat themselves, else of all."""
        temperatures = list(options.temperatures)
        cold = replace(options, temperatures=temperatures[:1])
        tries = [super().generate_with_fallback(encoder_output, prompt, tokenizer, cold)]
        plain = self._plain_prompt(prompt, tokenizer)
        if plain is not None and not _believed(tries[0], tokenizer):
            tries.append(super().generate_with_fallback(encoder_output, plain, tokenizer, cold))
            if _believed(tries[1], tokenizer):
                return tries[1]
        if len(temperatures) == 1 or _accepted(tries[0]):
            return tries[0]
        warmer = replace(options, temperatures=temperatures[1:])
        tries.append(super().generate_with_fallback(encoder_output, prompt, tokenizer, warmer))
        if _accepted(tries[-1]):
            return tries[-1]
        tidy = [t for t in tries if t[3] <= MAX_COMPRESSION_RATIO]
        result, avg_logprob, _, compression_ratio = max(tidy or tries, key=lambda t: t[1])
        return result, avg_logprob, temperatures[-1], compression_ratio

    def _plain_prompt(self, prompt: list[int], tokenizer) -> list[int] | None:
        """``prompt`` (a window's prompt tokens) with the words before the window as they are
        without the engine's own prompt (``base.unprimed``); None when the window has no
        words before it (faster-whisper drops them after the first window, as this engine
        decodes without conditioning on the text before) or they hold no engine prompt."""
        plain = getattr(self.quick, "plain", None)
        if plain is None or not prompt or prompt[0] != tokenizer.sot_prev:
            return None
        words = (
            tokenizer.encode(" " + plain.strip())[-(self.max_length // 2 - 1) :] if plain else []
        )
        return ([tokenizer.sot_prev, *words] if words else []) + prompt[
            prompt.index(tokenizer.sot) :
        ]


def _accepted(attempt: tuple) -> bool:
    """``base.decoder_accepts`` for one try of faster-whisper's: (result, avg_logprob,
    temperature, compression_ratio)."""
    result, avg_logprob, _, compression_ratio = attempt
    return decoder_accepts(compression_ratio, avg_logprob, result.no_speech_prob)


def _believed(attempt: tuple, tokenizer) -> bool:
    result, avg_logprob, _, compression_ratio = attempt
    text = tokenizer.decode(result.sequences_ids[0])
    return believed(text, compression_ratio, avg_logprob, result.no_speech_prob)
