"""Fault and fuzz figures for docs/security.md: what was thrown at Rebound and how it answered.

    python bench/fuzz_report.py

1. The API fuzz (tests/web/test_api_fuzz.py, schemathesis): requests sent, answers by status.
2. The malformed-audio corpus (tests/fixtures/malformed.py) through the web upload and the
   API, with a good answer uploaded before and after it: answers by status, attempts saved
   from bad files, good attempts lost.
3. The same corpus through ``rebound transcribe``: exit status, error lines, peak memory;
   the FLAC decompression bomb (refused by the probe) and the largest file the decode
   budget admits, each through ``load_samples``: outcome and peak memory.

Exits non-zero when any figure that must be zero is not. Not a timing benchmark.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from tests.fixtures.make_fixtures import make_all  # noqa: E402
from tests.fixtures.malformed import (  # noqa: E402
    CORPUS,
    make_bomb,
    make_corpus,
    make_largest_allowed,
    run_measured,
)

FIXTURES = ROOT / "tests" / "fixtures" / "audio"


def api_fuzz() -> Counter[int]:
    """Run the schemathesis test in this process and return the statuses it saw."""
    code = pytest.main(
        ["-q", "-p", "no:cacheprovider", "tests/web/test_api_fuzz.py::"
         "test_no_request_gets_a_500_and_every_4xx_says_why"]
    )  # fmt: skip
    if code != 0:
        raise SystemExit(f"the API fuzz test failed (pytest exit {code})")
    return sys.modules["tests.web.test_api_fuzz"].TALLY


def corpus_through_the_web(corpus: Path, good: Path, folder: Path) -> dict:
    """Upload the corpus (web and API) between two good answers; count what happened."""
    from app.accounts.identity import create_api_token, find_user
    from app.extensions import db
    from app.models import Attempt
    from tests.conftest import audio_files, build_app, login, make_user, upload

    app = build_app(folder, folder / "models", QUEUE_IMMEDIATE=False,
                    QUEUE_PATH=str(folder / "queue.sqlite3"))  # fmt: skip
    make_user(app, "a@example.com")
    client = app.test_client()
    login(client, app, "a@example.com")
    with app.app_context():
        token = create_api_token(find_user("a@example.com"))
    statuses: Counter[int] = Counter()
    good_ids = [upload(client, good, upload_id="good-before").json["id"]]
    for name in sorted(CORPUS):
        statuses[upload(client, corpus / name).status_code] += 1
        with (corpus / name).open("rb") as handle:
            api = app.test_client().post(
                "/api/v1/attempts",
                data={"question_id": "1", "audio": (handle, name)},
                headers={"Authorization": f"Bearer {token}"},
            )
        api.request.input_stream.close()
        statuses[api.status_code] += 1
    good_ids.append(upload(client, good, upload_id="good-after").json["id"])
    with app.app_context():
        rows = db.session.execute(db.select(Attempt)).scalars().all()
        kept = [
            a
            for a in rows
            if a.id in good_ids and app.extensions["rebound_store"].exists(a.audio_key)
        ]
        saved_from_bad = len(rows) - len(kept)
    return {
        "inputs": 2 * len(CORPUS),
        "statuses": statuses,
        "saved_from_bad": saved_from_bad,
        "files": len(audio_files(app)),
        "good_lost": len(good_ids) - len(kept),
    }


def corpus_through_the_cli(corpus: Path, folder: Path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AUDIO_DIR")}
    names = sorted(CORPUS)
    return run_measured(
        ["-m", "app", "transcribe", *(str(corpus / n) for n in names)],
        cwd=folder,
        env=env,
    )


def decode_peak(folder: Path, path: Path):
    script = (
        "import sys; from pathlib import Path; from app.recordings.audio import load_samples; "
        "print(load_samples(Path(sys.argv[1]), 600)[0].size / 16000)"
    )
    return run_measured(["-c", script, str(path)], cwd=folder)


def main() -> None:
    os.chdir(ROOT)
    good = make_all(FIXTURES) / "short.wav"
    corpus = make_corpus(FIXTURES / "malformed")
    fuzz = api_fuzz()
    with tempfile.TemporaryDirectory() as tmp:
        web = corpus_through_the_web(corpus, good, Path(tmp))
        cli = corpus_through_the_cli(corpus, Path(tmp))
        bomb = decode_peak(Path(tmp), make_bomb(FIXTURES / "malformed"))
        largest = decode_peak(Path(tmp), make_largest_allowed(FIXTURES / "malformed"))
    cli_lines = cli.stderr.strip().splitlines()

    def by_status(counts: Counter[int]) -> str:
        return ", ".join(f"{code}: {n}" for code, n in sorted(counts.items()))

    fives = sum(n for code, n in fuzz.items() if code >= 500)
    fives += sum(n for code, n in web["statuses"].items() if code >= 500)
    print("API fuzz (schemathesis, derandomized)")
    print(f"  requests          {sum(fuzz.values())}")
    print(f"  by status         {by_status(fuzz)}")
    print(f"Malformed audio corpus: {len(CORPUS)} files, web upload and API")
    print(f"  uploads           {web['inputs']}")
    print(f"  by status         {by_status(web['statuses'])}")
    print(f"  saved from them   {web['saved_from_bad']} attempts, {web['files'] - 4} extra files")
    print(f"  good answers lost {web['good_lost']} of 2")
    print("rebound transcribe on the corpus")
    print(f"  exit status       {cli.status}, {len(cli_lines)} error lines for {len(CORPUS)} files")
    print(f"  traceback         {'yes' if 'Traceback' in cli.stderr else 'no'}")
    print(f"  peak memory       {cli.peak_mb:.0f} MB")
    refusal = (bomb.stderr.strip().splitlines() or ["(nothing)"])[-1]
    print("Decompression bomb (8 channels, 96 kHz FLAC, 590 s of silence)")
    print(f"  outcome           exit {bomb.status}: {refusal[:100]}")
    print(f"  peak memory       {bomb.peak_mb:.0f} MB")
    print("Largest file the decode budget admits (48 kHz stereo FLAC, 599 s of silence)")
    print(f"  decoded           {largest.stdout.strip()} s, exit {largest.status}")
    print(f"  peak memory       {largest.peak_mb:.0f} MB")
    print(f"5xx answers: {fives}; attempts lost: {web['good_lost']}")
    failed = (
        fives
        or web["good_lost"]
        or web["saved_from_bad"]
        or cli.status != 1
        or len(cli_lines) != len(CORPUS)
        or bomb.status == 0
        or largest.status != 0
    )
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
