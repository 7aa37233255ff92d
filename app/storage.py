"""Where recordings live. One small interface; a local folder is the embedded default.

Keys are generated here (random hex, sharded by the first two characters), never taken
from the client, so no path from a request ever reaches the file system.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path
from typing import BinaryIO, Protocol


class StorageError(Exception):
    """A recording could not be written or read."""


class AudioStore(Protocol):
    """The operations the app needs from a place that keeps recordings."""

    def new_key(self, extension: str) -> str:
        """Return a fresh, unused key ending in ``.extension``."""
        ...

    def save_file(self, key: str, source: Path) -> None:
        """Store the file at ``source`` under ``key``, atomically."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Open the stored recording for reading."""
        ...

    def local_path(self, key: str) -> Path:
        """A local path to the recording (a download for remote stores)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the recording; a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """True when something is stored under ``key``."""
        ...


class LocalAudioStore:
    """Recordings in a folder on this machine (``AUDIO_DIR``)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).resolve()
        self.spool_dir = self.root / ".incoming"

    def sweep_spool(self, older_than_s: float = 3600) -> int:
        """Remove half-received uploads a killed web process left behind; return how many."""
        if not self.spool_dir.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        removed = 0
        for leftover in self.spool_dir.iterdir():
            try:
                if leftover.is_file() and leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def new_key(self, extension: str) -> str:
        """Return ``ab/ab12…ef.ext`` with 128 random bits."""
        name = uuid.uuid4().hex
        return f"{name[:2]}/{name}.{extension.lstrip('.')}"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError(f"refusing a storage key outside the audio folder: {key!r}")
        return path

    def save_file(self, key: str, source: Path) -> None:
        """Copy ``source`` in under a temporary name, then rename it into place."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        try:
            shutil.copyfile(source, partial)
            os.replace(partial, target)
        except OSError as err:
            partial.unlink(missing_ok=True)
            raise StorageError(f"could not save the recording: {err.strerror or err}") from err

    def open(self, key: str) -> BinaryIO:
        """Open the stored file for reading."""
        return self._path(key).open("rb")

    def local_path(self, key: str) -> Path:
        """The file's own path."""
        return self._path(key)

    def delete(self, key: str) -> None:
        """Remove the file if it is there."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """True when the file is there."""
        return self._path(key).is_file()
