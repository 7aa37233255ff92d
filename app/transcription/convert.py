"""Turn a CTranslate2 Whisper folder into an openai-whisper checkpoint, offline.

``model.bin`` (binary version 6, as written by CTranslate2's ``ModelSpec._serialize``) is
a header (version, spec name, revision), then named variables (name, shape, dtype id,
byte count, raw little-endian bytes), then aliases (name -> name of a stored variable).

Mapping to openai-whisper's ``Whisper`` state dict:

* ``{encoder,decoder}/layer_N/self_attention/linear_0`` holds q|k|v fused along the
  output rows: split into ``attn.query``, ``attn.key`` (no bias: its fused bias part is
  zero) and ``attn.value``; ``linear_1`` is ``attn.out``.
* ``decoder/layer_N/attention``: ``linear_0`` is ``cross_attn.query``, ``linear_1``
  holds k|v fused, ``linear_2`` is ``cross_attn.out``.
* ``ffn/linear_0`` and ``ffn/linear_1`` are ``mlp.0`` and ``mlp.2``; every layer norm
  ``gamma``/``beta`` becomes ``weight``/``bias``; the pre-attention norms become
  ``attn_ln``/``cross_attn_ln``, the pre-ffn norm ``mlp_ln``, the final ones
  ``encoder.ln_post`` and ``decoder.ln``.
* ``decoder/embeddings`` is ``decoder.token_embedding`` (the output projection is an
  alias of it: openai-whisper ties them too); position encodings are the positional
  embeddings (the encoder's sinusoids are a persistent buffer in openai-whisper).
* float16/bfloat16 weights upcast to float32; int8/int16 ones are divided by their
  ``*_scale``. Scalars (head counts, flags) feed ``dims`` and are not weights.

The checkpoint also keeps ``alignment_heads`` ([layer, head] pairs from ``config.json``):
``whisper.load_model`` sets none for a file, and word timestamps need them.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path

import numpy as np

SUPPORTED_VERSION = 6
_DTYPES = {0: "<f4", 1: "i1", 2: "<i2", 3: "<i4", 4: "<f2", 5: "<u2"}


class _Reader:
    """A cursor over the bytes of ``model.bin``."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def unpack(self, fmt: str) -> tuple:
        """Read little-endian values described by ``fmt``."""
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def string(self) -> str:
        """Read a length-prefixed, NUL-terminated UTF-8 string."""
        (size,) = self.unpack("H")
        raw = self.data[self.pos : self.pos + size - 1]
        self.pos += size
        return raw.decode("utf-8")


def read_ct2_variables(model_bin: Path) -> dict[str, np.ndarray]:
    """Return every variable of a CTranslate2 ``model.bin``, aliases resolved, as stored."""
    reader = _Reader(model_bin.read_bytes())
    (version,) = reader.unpack("I")
    if version != SUPPORTED_VERSION:
        raise ValueError(f"{model_bin}: binary version {version}, expected {SUPPORTED_VERSION}")
    spec = reader.string()
    if spec != "WhisperSpec":
        raise ValueError(f"{model_bin} holds a {spec}, not a Whisper model")
    reader.unpack("I")  # spec revision
    (count,) = reader.unpack("I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = reader.string()
        (ndim,) = reader.unpack("B")
        shape = reader.unpack(f"{ndim}I")
        type_id, nbytes = reader.unpack("BI")
        dtype = np.dtype(_DTYPES[type_id])
        if nbytes != dtype.itemsize * int(np.prod(shape)):
            raise ValueError(f"{model_bin}: {name} has {nbytes} bytes for shape {shape}")
        array = np.frombuffer(reader.data, dtype, int(np.prod(shape)), reader.pos)
        reader.pos += nbytes
        if type_id == 5:  # bfloat16: the high half of a float32
            array = (array.astype(np.uint32) << 16).view(np.float32)
        variables[name] = array.reshape(shape)
    (aliases,) = reader.unpack("I")
    for _ in range(aliases):
        alias, target = reader.string(), reader.string()
        variables[alias] = variables[target]
    return variables


def _float(variables: dict[str, np.ndarray], name: str) -> np.ndarray:
    """Return variable ``name`` as float32, undoing int8/int16 quantization."""
    value = variables[name].astype(np.float32)
    scale = variables.get(f"{name}_scale")
    if scale is not None:
        scale = scale.astype(np.float32)
        value = value / (scale.reshape(-1, *[1] * (value.ndim - 1)) if scale.ndim else scale)
    return value


def _layers(variables: dict[str, np.ndarray], side: str) -> int:
    """Count the ``layer_N`` blocks of ``side`` (encoder or decoder)."""
    parts = (name.split("/") for name in variables if name.startswith(f"{side}/layer_"))
    return len({p[1] for p in parts if p[1].removeprefix("layer_").isdigit()})


def _map_state(v: dict[str, np.ndarray], n_enc: int, n_dec: int) -> dict[str, np.ndarray]:
    """Build openai-whisper's state dict (float32 numpy arrays) from CTranslate2 names."""
    out: dict[str, np.ndarray] = {}

    def norm(dst: str, src: str) -> None:
        out[f"{dst}.weight"] = _float(v, f"{src}/gamma")
        out[f"{dst}.bias"] = _float(v, f"{src}/beta")

    def linear(dst: str, src: str, bias: bool = True) -> None:
        out[f"{dst}.weight"] = _float(v, f"{src}/weight")
        if bias:
            out[f"{dst}.bias"] = _float(v, f"{src}/bias")

    def fused(dst: str, src: str, parts: tuple[str, ...]) -> None:
        weights = np.split(_float(v, f"{src}/weight"), len(parts))
        biases = np.split(_float(v, f"{src}/bias"), len(parts))
        for part, weight, bias in zip(parts, weights, biases, strict=True):
            out[f"{dst}.{part}.weight"] = weight
            if part != "key":  # openai-whisper's key projection has no bias
                out[f"{dst}.{part}.bias"] = bias

    for conv in ("conv1", "conv2"):
        linear(f"encoder.{conv}", f"encoder/{conv}")
    out["encoder.positional_embedding"] = _float(v, "encoder/position_encodings/encodings")
    for i in range(n_enc):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        fused(f"{dst}.attn", f"{src}/self_attention/linear_0", ("query", "key", "value"))
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
        norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")
    norm("encoder.ln_post", "encoder/layer_norm")
    out["decoder.token_embedding.weight"] = _float(v, "decoder/embeddings/weight")
    out["decoder.positional_embedding"] = _float(v, "decoder/position_encodings/encodings")
    for i in range(n_dec):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        fused(f"{dst}.attn", f"{src}/self_attention/linear_0", ("query", "key", "value"))
        linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
        norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
        linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
        fused(f"{dst}.cross_attn", f"{src}/attention/linear_1", ("key", "value"))
        linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
        norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
        linear(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
        norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")
    norm("decoder.ln", "decoder/layer_norm")
    return out


def convert_ct2_to_openai(model_dir: Path, out_path: Path) -> Path:
    """Write the openai-whisper checkpoint of CTranslate2 folder ``model_dir`` to ``out_path``."""
    import torch

    v = read_ct2_variables(model_dir / "model.bin")
    config = json.loads((model_dir / "config.json").read_text())
    n_enc, n_dec = _layers(v, "encoder"), _layers(v, "decoder")
    audio_ctx, audio_state = v["encoder/position_encodings/encodings"].shape
    text_ctx, text_state = v["decoder/position_encodings/encodings"].shape
    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(audio_ctx),
        "n_audio_state": int(audio_state),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_enc,
        "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
        "n_text_ctx": int(text_ctx),
        "n_text_state": int(text_state),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_dec,
    }
    heads = config.get("alignment_heads") or [
        [layer, head] for layer in range(n_dec // 2, n_dec) for head in range(dims["n_text_head"])
    ]
    state = {
        k: torch.from_numpy(np.ascontiguousarray(a)) for k, a in _map_state(v, n_enc, n_dec).items()
    }
    checkpoint = {
        "dims": dims,
        "model_state_dict": state,
        "alignment_heads": [[int(layer), int(head)] for layer, head in heads],
    }
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    os.close(fd)
    partial = Path(tmp)
    try:
        torch.save(checkpoint, partial)
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)
    return out_path
