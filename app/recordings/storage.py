"""Where recordings live. One small interface, two places: a local folder (the embedded
default) and an S3-compatible bucket, which web and worker machines share.

Keys are generated here (random hex, sharded by the first two characters), never taken
from the client, so no path from a request ever reaches the file system or the bucket.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from app.recordings.errors import RecordingMissing, StorageError
from app.recordings.keys import new_key


def _is_missing(err: Exception) -> bool:
    """True for boto3's answer that an object does not exist."""
    response = getattr(err, "response", None) or {}
    return response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def sweep_folder(folder: Path, older_than_s: float) -> int:
    """Remove files in ``folder`` (recursively) untouched for ``older_than_s``; count them."""
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    removed = 0
    for leftover in folder.rglob("*"):
        try:
            if leftover.is_file() and leftover.stat().st_mtime < cutoff:
                leftover.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


class AudioStore(Protocol):
    """The operations the app needs from a place that keeps recordings.

    ``spool_dir`` is always a local folder: uploads land there while they are checked.
    """

    spool_dir: Path

    def new_key(self, extension: str) -> str:
        """Return a fresh, unused key ending in ``.extension``."""
        ...

    def save_file(self, key: str, source: Path) -> None:
        """Store the file at ``source`` under ``key``, atomically."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Open the stored recording for reading; ``RecordingMissing`` if there is none."""
        ...

    def local_path(self, key: str) -> Path:
        """A local path to the recording (a cached download for remote stores); raises
        ``RecordingMissing`` when nothing is stored under ``key``."""
        ...

    def local_copy(self, key: str) -> contextlib.AbstractContextManager[Path]:
        """A local path to the recording for the length of a ``with`` block.

        Raises RecordingMissing when nothing is stored under ``key``."""
        ...

    def sweep_spool(self, older_than_s: float = 3600) -> int:
        """Remove local leftovers (half-received uploads, stale downloads); count them."""
        ...

    def check(self) -> None:
        """Raise ``StorageError`` unless recordings can be written here now."""
        ...

    def iter_keys(self, older_than_s: float) -> Iterator[str]:
        """Keys of stored files last written more than ``older_than_s`` seconds ago."""
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
        return sweep_folder(self.spool_dir, older_than_s)

    def new_key(self, extension: str) -> str:
        return new_key(extension)

    def check(self) -> None:
        """Write and remove a small file in the audio folder."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".ready-"):
                pass
        except OSError as err:
            raise StorageError(f"the audio folder is not writable: {err.strerror or err}") from err

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
        try:
            return self._path(key).open("rb")
        except FileNotFoundError as err:
            raise RecordingMissing(f"no recording is stored under {key!r}") from err

    def local_path(self, key: str) -> Path:
        """The file's own path."""
        path = self._path(key)
        if not path.is_file():
            raise RecordingMissing(f"no recording is stored under {key!r}")
        return path

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """The file itself: nothing to download or clean up (RecordingMissing if absent)."""
        yield self.local_path(key)

    def delete(self, key: str) -> None:
        """Remove the file if it is there."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """True when the file is there."""
        return self._path(key).is_file()

    def iter_keys(self, older_than_s: float) -> Iterator[str]:
        """Stored files (not the spool, not temporary dot-files) older than the cutoff."""
        cutoff = time.time() - older_than_s
        for path in self.root.rglob("*"):
            relative = path.relative_to(self.root)
            if any(part.startswith(".") for part in relative.parts):
                continue
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    yield relative.as_posix()
            except FileNotFoundError:
                continue


@functools.cache
def s3_errors() -> tuple[type[Exception], ...]:
    """What boto3 raises when a call fails (imported late: the local default needs no boto3)."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError, Boto3Error)


class S3AudioStore:
    """Recordings in an S3-compatible bucket, under a prefix (``S3_BUCKET``, ``S3_PREFIX``).

    Objects appear whole or not at all, so uploads need no temporary names. The web process
    keeps a small local cache of recordings being played (range requests seek in it); the
    worker downloads each WAV for the length of one job.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        spool_dir: str | os.PathLike,
        endpoint_url: str | None = None,
        region: str | None = None,
        server_side_encryption: str | None = None,
        client=None,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.lstrip("/")
        self.spool_dir = Path(spool_dir).resolve()
        self.cache_dir = self.spool_dir / "cache"
        self._last_sweep = 0.0
        self.extra_args = (
            {"ServerSideEncryption": server_side_encryption} if server_side_encryption else {}
        )
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=5),
        )

    def _object(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise StorageError(f"refusing a storage key that is not one of ours: {key!r}")
        return self.prefix + key

    def _failed(self, action: str, err: Exception) -> StorageError:
        return StorageError(f"could not {action} in bucket {self.bucket!r}: {err}")

    def new_key(self, extension: str) -> str:
        return new_key(extension)

    def save_file(self, key: str, source: Path) -> None:
        try:
            self.client.upload_file(
                str(source), self.bucket, self._object(key), ExtraArgs=self.extra_args or None
            )
        except (*s3_errors(), OSError) as err:
            raise self._failed("save the recording", err) from err

    def open(self, key: str) -> BinaryIO:
        """A streaming body: read in pieces, never whole into memory."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._object(key))["Body"]
        except s3_errors() as err:
            if _is_missing(err):
                raise RecordingMissing(f"no recording is stored under {key!r}") from err
            raise self._failed("read the recording", err) from err

    def _download(self, key: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.part")
        try:
            self.client.download_file(self.bucket, self._object(key), str(partial))
            os.replace(partial, target)
        except (*s3_errors(), OSError) as err:
            partial.unlink(missing_ok=True)
            if _is_missing(err):
                raise RecordingMissing(f"no recording is stored under {key!r}") from err
            raise self._failed("download the recording", err) from err

    def _cached(self, key: str) -> Path:
        digest = hashlib.sha256(self._object(key).encode()).hexdigest()
        return self.cache_dir / digest[:2] / (digest + Path(key).suffix)

    def local_path(self, key: str) -> Path:
        """A cached download, kept an hour after its last use."""
        now = time.time()
        if now - self._last_sweep > 600:  # web machines have no other janitor for the cache
            self._last_sweep = now
            sweep_folder(self.cache_dir, 3600)
        path = self._cached(key)
        if path.is_file():
            path.touch()
        else:
            self._download(key, path)
        return path

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        """Download for one job, removed afterwards."""
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.spool_dir, prefix="job-") as folder:
            path = Path(folder) / Path(key).name
            self._download(key, path)
            yield path

    def delete(self, key: str) -> None:
        self._cached(key).unlink(missing_ok=True)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._object(key))
        except s3_errors() as err:
            raise self._failed("delete the recording", err) from err

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except s3_errors() as err:
            if _is_missing(err):
                return False
            raise self._failed("look up the recording", err) from err
        return True

    def iter_keys(self, older_than_s: float) -> Iterator[str]:
        """Objects under our prefix last written before the cutoff."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_s)
        pages = self.client.get_paginator("list_objects_v2")
        try:
            for page in pages.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    key = item["Key"].removeprefix(self.prefix)
                    if item["LastModified"] < cutoff and not key.startswith("."):
                        yield key
        except s3_errors() as err:
            raise self._failed("list the recordings", err) from err

    def sweep_spool(self, older_than_s: float = 3600) -> int:
        """Remove half-received uploads and cached downloads unused for ``older_than_s``."""
        return sweep_folder(self.spool_dir, older_than_s)

    def check(self) -> None:
        """The bucket answers and accepts writes under our prefix."""
        probe = self._object(".ready-" + uuid.uuid4().hex)
        try:
            self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"", **self.extra_args)
            self.client.delete_object(Bucket=self.bucket, Key=probe)
        except s3_errors() as err:
            raise self._failed("write", err) from err


def store_for(config) -> AudioStore:
    """The store the settings ask for: S3 when ``S3_BUCKET`` is set, else ``AUDIO_DIR``."""
    if config.get("S3_BUCKET"):
        return S3AudioStore(
            config["S3_BUCKET"],
            config.get("S3_PREFIX") or "",
            spool_dir=Path(config["AUDIO_DIR"]) / ".incoming",
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region=config.get("S3_REGION"),
            server_side_encryption=config.get("S3_SERVER_SIDE_ENCRYPTION"),
        )
    return LocalAudioStore(config["AUDIO_DIR"])
