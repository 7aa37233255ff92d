"""Whisper on a GPU: speed, accuracy, memory and the streaming tail, per engine.

    python bench/gpu.py --device cuda --out gpu.json [--engines faster-whisper,openai-whisper]
                        [--model base] [--runs 3] [--tail-repeats 10] [--tail-seconds 3,6]
    python bench/gpu.py --prepare fixtures.npz     # decode the fixtures once (needs ffmpeg)
    python bench/gpu.py --check --device cuda      # imports, and a tiny CTranslate2 model on it

Each engine runs in a fresh process (its peak memory is its own) and is loaded with
``load_engine`` as the worker loads it (verbatim prompt, beam 5, word timestamps and VAD
inside the engine), with ``--device`` as ``WHISPER_DEVICE``: faster-whisper runs float16 on
cuda, openai-whisper whatever ``app/transcription/openai.py`` does there. Reports:

* the real-time factor (processing seconds per audio second, best of ``--runs``) and the WER
  over the clips ``bench/transcription.py`` uses, with load time and peak host RSS;
* peak GPU memory: the device's used memory (NVML, else ``nvidia-smi``) sampled every 20 ms,
  less what was in use before the engine loaded, plus PyTorch's own peak allocation for
  openai-whisper;
* the tail a streamed answer leaves at Stop: ``app.transcription.segments.final_transcript`` on a clip whose
  words before the last ``--tail-seconds`` are already committed (the final job's call),
  timed ``--tail-repeats`` times, p50 and p95 (interpolated: of 10 repeats, between the two
  slowest). The cut is the quietest 20 ms near the target, as live cuts fall in pauses.

The machine this was written for has no ffmpeg and no Flask: ``--fixtures`` takes clips
decoded beforehand by ``--prepare`` (the same ``app.recordings.audio.load_samples`` samples), and when
the web app's dependencies are missing the ``app`` package is loaded without running its
``__init__`` (the measured code is still ``app/transcription`` and ``app/transcription/segments.py``). Missing
``av`` or ``imageio_ffmpeg`` (only imported, never used here) are replaced by empty modules.
Each stand-in is named in the JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

CLIPS = ("answer.wav", "short.wav", "story.wav", "minute.webm")  # as bench/transcription.py
SAMPLE_RATE = 16_000
STAND_INS: dict[str, str] = {}


def _stand_in(name: str, **attrs) -> None:
    """Register an empty module for a package that is imported but not used here."""
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    STAND_INS[name] = "empty module (not installed)"


def import_app() -> None:
    """Import ``app`` normally, or just make its folder a package when Flask & co. are absent."""
    try:
        importlib.import_module("app")
    except ImportError as err:
        for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
            del sys.modules[name]
        package = types.ModuleType("app")
        package.__path__ = [str(ROOT / "app")]
        package.__file__ = str(ROOT / "app" / "__init__.py")
        sys.modules["app"] = package
        STAND_INS["app"] = f"package without __init__ ({err.name or err} not installed)"


def import_product() -> dict:
    """Import what the benchmark measures and return the pieces it calls."""
    for name in ("av", "imageio_ffmpeg"):
        try:
            importlib.import_module(name)
        except ImportError:
            _stand_in(name, get_ffmpeg_exe=lambda: "ffmpeg")
    import_app()
    from common import reference, word_errors

    from app.transcription import load_engine
    from app.transcription import segments as live
    from app.transcription.openai import checkpoint_path

    return {
        "load_engine": load_engine,
        "checkpoint_path": checkpoint_path,
        "live": live,
        "reference": reference,
        "word_errors": word_errors,
    }


# --- fixtures -------------------------------------------------------------------------------


def prepare(out: Path) -> None:
    """Decode the benchmark clips as bench/transcription.py does and save them with their text."""
    from common import fixtures, reference

    from app.recordings.audio import load_samples

    folder = fixtures()
    arrays = {}
    for name in CLIPS:
        samples, _info = load_samples(folder / name)
        stem = name.split(".")[0]
        arrays[f"samples_{stem}"] = samples.astype(np.float32)
        arrays[f"text_{stem}"] = np.array(reference(stem))
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    print(f"{out}: {', '.join(CLIPS)} ({out.stat().st_size / 1e6:.1f} MB)")


def load_clips(path: str | None, names: list[str], reference) -> list[tuple[str, np.ndarray, str]]:
    """(stem, samples, reference text) per clip, from ``--fixtures`` or decoded now."""
    stems = [n.split(".")[0] for n in names]
    if path:
        with np.load(path) as data:
            return [(s, data[f"samples_{s}"], str(data[f"text_{s}"])) for s in stems]
    from common import fixtures

    from app.recordings.audio import load_samples

    folder = fixtures()
    return [
        (n.split(".")[0], load_samples(folder / n)[0], reference(n.split(".")[0])) for n in names
    ]


# --- GPU memory -----------------------------------------------------------------------------


class GpuMemory:
    """Samples the GPU's used memory (MiB) in a thread; NVML when importable, else nvidia-smi."""

    def __init__(self, index: int = 0, every_s: float = 0.02) -> None:
        self.every_s = every_s
        self.source = None
        self.peak_mib = self.first_mib = None
        self._stop = threading.Event()
        self._read = None
        try:
            import pynvml

            pynvml.nvmlInit()
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            self._read = lambda: pynvml.nvmlDeviceGetMemoryInfo(handle).used / 2**20
            self.source = "nvml"
        except Exception:  # no NVML: try the command line tool
            smi = shutil.which("nvidia-smi")
            if smi:
                cmd = [
                    smi,
                    f"--id={index}",
                    "--query-gpu=memory.used",
                    "--format=csv,noheader,nounits",
                ]

                def read() -> float:
                    return float(
                        subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                    )

                self._read = read
                self.every_s = max(every_s, 0.1)
                self.source = "nvidia-smi"
        if self._read is not None:
            try:
                self.first_mib = self.peak_mib = self._read()
            except Exception:  # a driver that answers nothing
                self._read = self.source = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> float | None:
        return self._read() if self._read else None

    def start(self) -> GpuMemory:
        if self._read:
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            used = self._read()
            self.peak_mib = max(self.peak_mib, used)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._read:
            self.peak_mib = max(self.peak_mib, self._read())


# --- one engine, in a child process ---------------------------------------------------------


def quiet_cut(samples: np.ndarray, target_s: float, window_s: float = 0.75) -> float:
    """The start (s) of the quietest 20 ms within ``window_s`` of ``target_s``."""
    frame = SAMPLE_RATE // 50
    lo = max(0, int((target_s - window_s) * SAMPLE_RATE))
    hi = min(samples.size - frame, int((target_s + window_s) * SAMPLE_RATE))
    if hi <= lo:
        return target_s
    starts = np.arange(lo, hi, frame // 2)
    energy = [float(np.square(samples[s : s + frame]).mean()) for s in starts]
    return float(starts[int(np.argmin(energy))]) / SAMPLE_RATE


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def measure(engine_name: str, args: argparse.Namespace) -> dict:
    """Load one engine, then time the clips and the streaming tail."""
    product = import_product()
    clips = load_clips(args.fixtures, args.clips.split(","), product["reference"])
    gpu = GpuMemory().start() if args.device == "cuda" else None
    result: dict = {"engine": engine_name, "model": Path(args.model).name, "device": args.device}

    started = time.perf_counter()
    engine = product["load_engine"](
        engine_name,
        args.model,
        cache_dir=args.cache,
        device=args.device,
        beam_size=args.beam,
        cpu_threads=args.threads,
        verbatim=True,
    )
    result["load_s"] = time.perf_counter() - started
    if engine_name == "faster-whisper":
        import ctranslate2

        result["compute_type"] = engine.compute_type
        result["ctranslate2"] = ctranslate2.__version__
        result["ct2_cuda_devices"] = ctranslate2.get_cuda_device_count()
    else:
        import torch

        result["compute_type"] = f"{next(engine._model.parameters()).dtype} weights, fp16=False"
        result["torch"] = torch.__version__
    result["gpu_mib_after_load"] = gpu.now() - gpu.first_mib if gpu and gpu.source else None

    # Warm-up on the shortest clip: first calls compile (CUDA JIT, Triton, numba) and allocate.
    t0 = time.perf_counter()
    engine.transcribe(min((c[1] for c in clips), key=len))
    result["warmup_s"] = time.perf_counter() - t0
    audio_s = processing_s = 0.0
    errors = words = 0
    per_clip = []
    for stem, samples, text in clips:
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            transcript = engine.transcribe(samples)
            times.append(time.perf_counter() - t0)
        seconds = samples.size / SAMPLE_RATE
        e, n = product["word_errors"](text, transcript.text)
        per_clip.append(
            {"clip": stem, "audio_s": seconds, "best_s": min(times), "times_s": times,
             "wer": e / n, "text": transcript.text}
        )  # fmt: skip
        audio_s, processing_s = audio_s + seconds, processing_s + min(times)
        errors, words = errors + e, words + n
    result.update(audio_s=audio_s, rtf=processing_s / audio_s, wer=errors / words, clips=per_clip)

    live = product["live"]
    tails = []
    by_stem = {stem: samples for stem, samples, _ in clips}
    if args.tail_repeats > 0:
        samples = by_stem.get(args.tail_clip)
        if samples is None:
            found = load_clips(args.fixtures, [f"{args.tail_clip}.wav"], product["reference"])
            samples = found[0][1]
        duration = samples.size / SAMPLE_RATE
        for wanted in (float(s) for s in args.tail_seconds.split(",")):
            cut = quiet_cut(samples, duration - wanted)
            # What the live jobs left: the words before the cut, committed with their timings.
            heard = engine.transcribe(samples[: int(cut * SAMPLE_RATE)])
            committed = live.shifted(heard, 0.0)
            times = []
            for _ in range(args.tail_repeats):
                t0 = time.perf_counter()
                final = live.final_transcript(engine, samples, committed, cut)
                times.append(time.perf_counter() - t0)
            tails.append(
                {"clip": args.tail_clip, "wanted_s": wanted, "tail_s": duration - cut,
                 "context_words": len(committed), "p50_s": percentile(times, 50),
                 "p95_s": percentile(times, 95), "times_s": times,
                 "tail_text": final.text[len(live.text_of(committed)) :].strip()}
            )  # fmt: skip
    result["tails"] = tails

    if gpu:
        gpu.stop()
        result["gpu_memory_source"] = gpu.source
        result["gpu_mib_before"] = gpu.first_mib
        result["gpu_peak_mib"] = gpu.peak_mib - gpu.first_mib if gpu.source else None
    if engine_name == "openai-whisper" and args.device == "cuda":
        import torch

        result["torch_max_allocated_mib"] = torch.cuda.max_memory_allocated() / 2**20
        result["torch_max_reserved_mib"] = torch.cuda.max_memory_reserved() / 2**20
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["stand_ins"] = STAND_INS
    return result


def convert(args: argparse.Namespace) -> dict:
    """Convert the model for openai-whisper if needed, in its own process (as a first load
    would), so that neither its time nor its memory counts as the engine's load."""
    import_product()
    from app.transcription.convert import convert_ct2_to_openai
    from app.transcription.models import resolve_model
    from app.transcription.openai import checkpoint_path

    model_dir = resolve_model(args.model, args.cache)
    target = checkpoint_path(model_dir, Path(args.cache))
    if target.is_file():
        return {"convert_s": None}
    t0 = time.perf_counter()
    convert_ct2_to_openai(model_dir, target)
    return {"convert_s": time.perf_counter() - t0}


# --- the tiny CTranslate2 check -------------------------------------------------------------


def check(device: str) -> int:
    """Import the measured code, then run a tiny random CTranslate2 model on ``device``."""
    ok = True
    try:
        import_product()
        print(
            "import app.transcription, app.transcription.segments, bench/common: ok",
            STAND_INS or "",
        )
    except Exception as err:  # report and go on to the CTranslate2 check
        ok = False
        print(f"import of the product failed: {err!r}")
    import ctranslate2
    from ctranslate2.specs import transformer_spec

    print(
        f"ctranslate2 {ctranslate2.__version__}: cuda devices {ctranslate2.get_cuda_device_count()}"
    )
    d, f, vocab = 64, 128, 16
    rng = np.random.default_rng(0)

    def rand(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.05).astype(np.float32)

    def norm(spec) -> None:
        spec.gamma, spec.beta = np.ones(d, np.float32), np.zeros(d, np.float32)

    spec = transformer_spec.TransformerDecoderModelSpec.from_config(num_layers=1, num_heads=2)
    dec = spec.decoder
    dec.embeddings.weight = rand(vocab, d)
    norm(dec.layer_norm)
    dec.projection.weight, dec.projection.bias = rand(vocab, d), np.zeros(vocab, np.float32)
    for layer in dec.layer:
        for block in (layer.self_attention, layer.ffn):
            norm(block.layer_norm)
        for lin, (rows, cols) in (
            (layer.self_attention.linear[0], (3 * d, d)),
            (layer.self_attention.linear[1], (d, d)),
            (layer.ffn.linear_0, (f, d)),
            (layer.ffn.linear_1, (d, f)),
        ):
            lin.weight, lin.bias = rand(rows, cols), np.zeros(rows, np.float32)
    spec.register_vocabulary(["<unk>", "<s>", "</s>"] + [f"t{i}" for i in range(vocab - 3)])
    spec.validate()
    spec.optimize(quantization="float16")
    types_ = ("float16", "float32") if device == "cuda" else ("int8", "float32")
    with tempfile.TemporaryDirectory() as folder:
        spec.save(folder)
        for compute_type in types_:
            try:
                model = ctranslate2.Generator(folder, device=device, compute_type=compute_type)
                t0 = time.perf_counter()
                out = model.generate_batch([["<s>", "t1", "t2"]], max_length=4, sampling_topk=1)
                score = model.score_batch([["<s>", "t1", "t2", "t3"]])[0].log_probs
                took = time.perf_counter() - t0
                print(f"tiny model {device} {compute_type}: {out[0].sequences[0]} "
                      f"{[round(s, 3) for s in score]} in {took * 1000:.0f} ms: ok")  # fmt: skip
                del model
            except Exception as err:  # the point is to see how it fails
                ok = False
                print(f"tiny model {device} {compute_type}: FAILED {err!r}")
    return 0 if ok else 1


# --- the parent: one child per engine, then the report ---------------------------------------


def environment(args: argparse.Namespace) -> dict:
    env = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "args": vars(args),
    }
    smi = shutil.which("nvidia-smi")
    if smi and args.device == "cuda":
        query = "--query-gpu=name,driver_version,memory.total"
        out = subprocess.run([smi, query, "--format=csv,noheader"], capture_output=True, text=True)
        env["gpu"] = out.stdout.strip() or out.stderr.strip()
    return env


def fmt_mib(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} MiB"


def table(rows: list[dict]) -> str:
    lines = [
        "| engine | device / compute | audio s | RTF (best) | WER | load s | GPU peak | "
        "torch peak alloc | host peak RSS | tail p50 / p95 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        tails = "; ".join(
            f"{t['tail_s']:.1f} s: {t['p50_s'] * 1000:.0f} / {t['p95_s'] * 1000:.0f} ms"
            for t in r["tails"]
        )
        load = f"{r['load_s']:.2f}"
        if r.get("convert_s"):
            load += f" (+{r['convert_s']:.1f} convert)"
        lines.append(
            f"| {r['engine']} {r['model']} | {r['device']} {r['compute_type']} | "
            f"{r['audio_s']:.1f} | {r['rtf']:.4f} | {r['wer']:.1%} | {load} | "
            f"{fmt_mib(r.get('gpu_peak_mib'))} | {fmt_mib(r.get('torch_max_allocated_mib'))} | "
            f"{r['peak_rss_mb']:,.0f} MB | {tails} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--engines", default="faster-whisper,openai-whisper")
    parser.add_argument("--model", default="base", help="a model name or a CTranslate2 folder")
    parser.add_argument("--cache", default=str(ROOT / ".cache" / "models"))
    parser.add_argument("--fixtures", help="clips saved by --prepare (default: decode them now)")
    parser.add_argument("--clips", default=",".join(CLIPS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--beam", type=int, default=5, help="beam size (the app's default is 5)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: the app's default)")
    parser.add_argument("--tail-clip", default="story", help="the clip whose end is the tail")
    parser.add_argument("--tail-seconds", default="3,6")
    parser.add_argument("--tail-repeats", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=300, help="seconds per engine")
    parser.add_argument("--out", help="write the results here as JSON")
    parser.add_argument("--prepare", metavar="NPZ", help="decode the clips into NPZ and stop")
    parser.add_argument("--check", action="store_true", help="check imports and CTranslate2")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--convert-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(Path(args.prepare))
        return
    if args.check:
        sys.exit(check(args.device))
    if args.convert_only:
        print(json.dumps(convert(args)))
        return
    if args.child:
        print(json.dumps(measure(args.child, args)))
        return

    report = {"environment": environment(args), "results": [], "failures": []}

    def save() -> None:
        if args.out:
            Path(args.out).write_text(json.dumps(report, indent=1))

    def child(*extra: str) -> tuple[dict | None, str | int, str, float]:
        """Run this script with ``extra``: (its JSON or None, exit code, stderr, seconds)."""
        t0 = time.perf_counter()
        try:
            run = subprocess.run(
                [sys.executable, __file__, *sys.argv[1:], *extra],
                capture_output=True, text=True, timeout=args.timeout,
            )  # fmt: skip
            code, stdout, stderr = run.returncode, run.stdout, run.stderr
        except subprocess.TimeoutExpired as err:
            code = "timeout"
            # What the child wrote before it was killed (bytes, even in text mode).
            stdout, stderr = (
                x.decode(errors="replace") if isinstance(x, bytes) else (x or "")
                for x in (err.stdout, err.stderr)
            )
        lines = stdout.strip().splitlines()
        row = json.loads(lines[-1]) if code == 0 and lines else None
        return row, code, stderr, time.perf_counter() - t0

    for engine in args.engines.split(","):
        print(f"== {engine} {args.model} on {args.device}", flush=True)
        converted: dict | None = {"convert_s": None}
        if engine == "openai-whisper":
            converted, code, stderr, wall = child("--convert-only")
        if converted is not None:
            row, code, stderr, wall = child("--child", engine)
        if converted is None or row is None:
            print(f"{engine}: FAILED ({code}) after {wall:.0f} s\n{stderr[-3000:]}", flush=True)
            report["failures"].append(
                {"engine": engine, "exit": code, "wall_s": wall, "stderr": stderr[-6000:]}
            )
        else:
            row.update(converted, wall_s=wall)
            report["results"].append(row)
            print(f"{engine}: done in {wall:.0f} s", flush=True)
        save()
    print()
    print(table(report["results"]))
    for r in report["results"]:
        print(f"\n{r['engine']} per clip (best of {args.runs}):")
        for c in r["clips"]:
            print(f"  {c['clip']:<7} {c['audio_s']:5.1f} s audio  {c['best_s']:.3f} s  "
                  f"WER {c['wer']:.1%}")  # fmt: skip
        for t in r["tails"]:
            print(f"  tail {t['tail_s']:.2f} s after {t['context_words']} words: "
                  f"{[round(x, 3) for x in t['times_s']]} -> {t['tail_text']!r}")  # fmt: skip
    for f in report["failures"]:
        print(f"\n{f['engine']} FAILED: exit {f['exit']}, see the JSON's failures")
    save()
    if report["failures"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
