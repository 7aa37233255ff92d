"""Three ways to run all-MiniLM-L6-v2 without PyTorch at run time, timed on one core.

    python bench/understanding_engines.py

* NumPy over the safetensors weights (``app/understanding/encoder.py``, what Rebound ships);
* CTranslate2 (installed with faster-whisper): the weights set into its encoder spec here and
  saved to a temporary folder, since the model package ships no CTranslate2 model;
* ONNX Runtime: the model exported with PyTorch (the test extra's CPU build) to a temporary
  file, since the package ships no ONNX model either.

Each engine embeds the sentences of a 3-minute answer (about 450 words, 30 sentences) plus the
question, prototypes and talking points, and its vectors are compared with NumPy's. Peak
memory is measured in a fresh child process per engine (load + one pass), as the RSS gained.
Run it alone: it pins itself to one thread.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# One core: set before NumPy (and its BLAS) is imported.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from app.understanding.encoder import SentenceEncoder, read_safetensors  # noqa: E402

SENTENCES = [
    "Um, so last spring I was working as a support lead at a small software company.",
    "We had a customer who was about to cancel a contract worth a third of our revenue.",
    "My job was to find out what had gone wrong and keep them, uh, with us.",
    "I called their operations manager and listened for almost an hour.",
    "It turned out that three of their tickets had been closed without a fix.",
    "I went through every open ticket they had with the engineers, one by one.",
    "Then I set up a weekly call so they could see progress, you know, week by week.",
    "I also wrote a short summary after each call so nothing was lost.",
    "In the end they renewed for two more years and added a second team.",
    "Looking back, I learned that people forgive a problem faster than silence.",
] * 3


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def numpy_engine():
    encoder = SentenceEncoder()
    return lambda texts: encoder._forward([e.ids for e in encoder.tokenizer.encode_batch(texts)])  # noqa: SLF001


COMPUTE = "float32"


def ctranslate2_engine():
    import ctranslate2
    from ctranslate2.specs import common_spec, transformer_spec

    encoder = SentenceEncoder()
    w = read_safetensors(encoder._blob)  # noqa: SLF001
    spec = transformer_spec.TransformerEncoderSpec(
        6, 12, pre_norm=False, activation=common_spec.Activation.GELU,
        layernorm_embedding=True, num_source_embeddings=2,
        embeddings_merge=common_spec.EmbeddingsMerge.ADD,
    )  # fmt: skip
    model = transformer_spec.TransformerEncoderModelSpec(spec)
    spec.scale_embeddings = False
    spec.embeddings[0].weight = np.array(w["embeddings.word_embeddings.weight"])
    spec.embeddings[1].weight = np.array(w["embeddings.token_type_embeddings.weight"])
    spec.position_encodings.encodings = np.array(w["embeddings.position_embeddings.weight"])
    spec.layernorm_embedding.gamma = np.array(w["embeddings.LayerNorm.weight"])
    spec.layernorm_embedding.beta = np.array(w["embeddings.LayerNorm.bias"])
    for i, layer in enumerate(spec.layer):
        p = f"encoder.layer.{i}."
        qkv = [p + f"attention.self.{n}" for n in ("query", "key", "value")]
        layer.self_attention.linear[0].weight = np.concatenate([w[n + ".weight"] for n in qkv])
        layer.self_attention.linear[0].bias = np.concatenate([w[n + ".bias"] for n in qkv])
        for target, name in ((layer.self_attention.linear[1], "attention.output.dense"),
                             (layer.ffn.linear_0, "intermediate.dense"),
                             (layer.ffn.linear_1, "output.dense")):  # fmt: skip
            target.weight, target.bias = np.array(w[p + name + ".weight"]), np.array(w[p + name + ".bias"])  # fmt: skip
        for target, name in ((layer.self_attention.layer_norm, "attention.output.LayerNorm"),
                             (layer.ffn.layer_norm, "output.LayerNorm")):  # fmt: skip
            target.gamma, target.beta = np.array(w[p + name + ".weight"]), np.array(w[p + name + ".bias"])  # fmt: skip
    vocab = encoder.tokenizer.get_vocab()
    model.register_vocabulary([t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])])
    model.config.unk_token = "[UNK]"
    model.config.layer_norm_epsilon = 1e-12
    model.validate()
    model.optimize(quantization=COMPUTE)
    folder = tempfile.mkdtemp()
    model.save(folder)
    del w, spec, model
    ct2 = ctranslate2.Encoder(
        folder, device="cpu", compute_type=COMPUTE, inter_threads=1, intra_threads=1
    )

    def run(texts):
        ids = [e.ids for e in encoder.tokenizer.encode_batch(texts)]
        out = ct2.forward_batch(ids)
        hidden = np.array(out.last_hidden_state)
        mask = np.zeros(hidden.shape[:2], np.float32)
        for row, seq in enumerate(ids):
            mask[row, : len(seq)] = 1
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    return run


def onnx_engine():
    import onnxruntime as ort

    path = Path(tempfile.mkdtemp()) / "minilm.onnx"
    # The exporter needs the ``onnx`` package, which Rebound does not install: point
    # ONNX_SITE at a folder holding it (pip install --target FOLDER onnx).
    env = os.environ | {"PYTHONPATH": os.environ.get("ONNX_SITE", "")}
    subprocess.run([sys.executable, __file__, "--export", str(path)], check=True, env=env)
    encoder = SentenceEncoder()
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(texts):
        ids = [e.ids for e in encoder.tokenizer.encode_batch(texts)]
        longest = max(map(len, ids))
        tokens = np.zeros((len(ids), longest), np.int64)
        mask = np.zeros((len(ids), longest), np.int64)
        for row, seq in enumerate(ids):
            tokens[row, : len(seq)], mask[row, : len(seq)] = seq, 1
        (pooled,) = session.run(None, {"ids": tokens, "mask": mask})
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    return run


def export_onnx(path: str) -> None:
    """The same network written in PyTorch, exported once (bench only)."""
    import torch

    encoder = SentenceEncoder()

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            t = lambda a: torch.tensor(np.array(a))  # noqa: E731
            self.words, self.pos, self.type0 = (
                t(encoder.words),
                t(encoder.positions),
                t(encoder.type0),
            )
            self.norm = [t(a) for a in encoder.norm]
            self.layers = [[t(a) if not isinstance(a, tuple) else [t(b) for b in a] for a in layer]
                           for layer in encoder.layers]  # fmt: skip

        def forward(self, ids, mask):
            n, length = ids.shape
            ln = lambda x, g_b: torch.nn.functional.layer_norm(x, (384,), g_b[0], g_b[1], 1e-12)  # noqa: E731
            x = ln(self.words[ids] + self.pos[:length] + self.type0, self.norm)
            bias = (1 - mask[:, None, None, :].float()) * -1e9
            for qkv, qkv_b, out, out_b, n1, up, up_b, down, down_b, n2 in self.layers:
                q, k, v = (x @ qkv + qkv_b).split(384, dim=-1)
                q, k, v = (m.reshape(n, length, 12, 32).transpose(1, 2) for m in (q, k, v))
                s = torch.softmax(q @ k.transpose(-1, -2) / 32**0.5 + bias, -1)
                c = (s @ v).transpose(1, 2).reshape(n, length, 384)
                x = ln(c @ out + out_b + x, n1)
                x = ln(torch.nn.functional.gelu(x @ up + up_b) @ down + down_b + x, n2)
            m = mask[..., None].float()
            return (x * m).sum(1) / m.sum(1)

    ids = torch.ones((2, 8), dtype=torch.int64)
    torch.onnx.export(Model(), (ids, ids), path, input_names=["ids", "mask"],
                      output_names=["pooled"], dynamo=False,
                      dynamic_axes={"ids": {0: "n", 1: "t"}, "mask": {0: "n", 1: "t"}})  # fmt: skip


ENGINES = {"numpy": numpy_engine, "ctranslate2": ctranslate2_engine, "onnxruntime": onnx_engine}


def batched(run):
    """Texts by length, 16 at a time, as ``SentenceEncoder.embed`` does, for every engine."""

    def run_batched(texts):
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), np.float32)
        for start in range(0, len(order), 16):
            chunk = order[start : start + 16]
            out[chunk] = run([texts[i] for i in chunk])
        return out

    return run_batched


def measure(name: str) -> dict:
    before = rss_mb()
    started = time.perf_counter()
    run = batched(ENGINES[name]())
    load_s = time.perf_counter() - started
    texts = SENTENCES + [a + " " + b for a, b in zip(SENTENCES, SENTENCES[1:], strict=False)]
    run(SENTENCES[:4])  # warm up
    times = []
    for _ in range(5):
        started = time.perf_counter()
        vectors = run(SENTENCES)
        times.append(time.perf_counter() - started)
    pairs = []
    for _ in range(3):
        started = time.perf_counter()
        run(texts)
        pairs.append(time.perf_counter() - started)
    reference = batched(numpy_engine())(SENTENCES) if name != "numpy" else vectors
    return {"engine": name, "load_s": round(load_s, 2),
            "sentences_s": round(min(times), 3), "sentences_and_pairs_s": round(min(pairs), 3),
            "rss_gain_mb": round(rss_mb() - before), "max_abs_diff_vs_numpy":
            float(np.abs(vectors - reference).max())}  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:2] == ["--export"]:
        export_onnx(sys.argv[2])
    elif sys.argv[1:2] == ["--one"]:
        if sys.argv[2] == "ctranslate2-int8":
            COMPUTE = sys.argv[2] = "int8"
            ENGINES["int8"] = ctranslate2_engine
        print(json.dumps(measure(sys.argv[2])))
    else:
        words = sum(len(s.split()) for s in SENTENCES)
        print(f"{len(SENTENCES)} sentences, {words} words; one thread")
        for engine in ("numpy", "ctranslate2", "ctranslate2-int8", "onnxruntime"):
            out = subprocess.run([sys.executable, __file__, "--one", engine], capture_output=True, text=True)  # fmt: skip
            print(out.stdout.strip() or out.stderr.strip()[-800:])
