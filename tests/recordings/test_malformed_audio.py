"""A corpus of malformed uploads through the web upload, the API and ``rebound transcribe``.

Each file must be refused with a message that says what was wrong and what to do, nothing
may be saved, and the command line must stay within a memory bound while it refuses them.
The corpus itself is made by ``tests/fixtures/malformed.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.accounts.identity import create_api_token, find_user
from app.extensions import db
from app.models import Attempt
from tests.conftest import audio_files, upload
from tests.fixtures.malformed import (
    CORPUS,
    make_bomb,
    make_largest_allowed,
    run_measured,
)

# What to do next: every refusal names an action.
ADVICE = ("Upload", "Record", "Answer", "choose another file", "Export")
# Python, PyAV and numpy alone take about 100 MB; a decoded bomb took gigabytes.
CLI_PEAK_MB = 400
# The decode budget's worth of samples (110 MB) cost 465 MB at the peak when pydub decoded
# it (bench/fuzz_report.py); PyAV decodes a frame at a time and holds only 16 kHz samples.
DECODE_PEAK_MB = 600


def nothing_saved(app) -> None:
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(Attempt.id))).scalar() == 0
    assert audio_files(app) == []
    assert not any((Path(app.config["AUDIO_DIR"]) / ".incoming").glob("*"))


@pytest.mark.asvs("12.1.1", "12.1.2", "12.2.1")
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_malformed_upload_gets_a_clear_4xx_and_leaves_nothing(client, app, corpus, name):
    """Web upload and API upload: a 4xx whose message names the fault and the fix."""
    response = upload(client, corpus / name)
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:300])
    message = response.json["error"]
    assert CORPUS[name] in message and any(word in message for word in ADVICE), message
    with app.app_context():
        token = create_api_token(find_user("a@example.com"))
    with (corpus / name).open("rb") as handle:
        api = app.test_client().post(
            "/api/v1/attempts",
            data={"question_id": "1", "audio": (handle, name)},
            headers={"Authorization": f"Bearer {token}"},
        )
    api.request.input_stream.close()  # see tests/conftest.py upload()
    assert api.status_code == response.status_code and api.json["error"] == message
    nothing_saved(app)


@pytest.mark.slow
@pytest.mark.asvs("12.1.2", "12.2.1")
def test_the_command_line_refuses_each_file_in_one_line_within_bounded_memory(tmp_path, corpus):
    """``rebound transcribe`` on the whole corpus: one error line per file, exit 1, no
    traceback, and a bounded peak memory (the model is never loaded)."""
    names = sorted(CORPUS)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AUDIO_DIR")}
    result = run_measured(
        ["-m", "app", "transcribe", *(str(corpus / n) for n in names)],
        cwd=tmp_path,
        env=env,
    )
    assert result.status == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(names), result.stderr
    for name, line in zip(names, lines, strict=True):
        assert line.startswith(f"error: {corpus / name}: ") and CORPUS[name] in line, line
    assert result.peak_mb < CLI_PEAK_MB, result.peak_mb


@pytest.mark.slow
@pytest.mark.asvs("12.1.2")
def test_a_decompression_bomb_is_refused_before_decoding(tmp_path, audio_fixtures):
    """Two megabytes of 8-channel 96 kHz FLAC would decode to about 900 MB of samples (the
    192 kHz version took 5.7 GB and 104 s): the probe refuses it from its header figures."""
    bomb = make_bomb(audio_fixtures / "malformed")
    script = (
        "import sys; from pathlib import Path; from app.recordings.audio import load_samples; "
        "load_samples(Path(sys.argv[1]), 600)"
    )
    result = run_measured(["-c", script, str(bomb)], cwd=tmp_path)
    assert result.status != 0 and "8 channels at 96000 Hz" in result.stderr
    assert "Export it as mono or stereo at 48 kHz or less" in result.stderr
    assert result.peak_mb < CLI_PEAK_MB, result.peak_mb


@pytest.mark.slow
@pytest.mark.asvs("12.1.2")
def test_the_largest_file_allowed_decodes_in_bounded_memory(tmp_path, audio_fixtures):
    """Ten minutes of 48 kHz stereo, the most the decode budget admits."""
    largest = make_largest_allowed(audio_fixtures / "malformed")
    script = (
        "import sys; from pathlib import Path; from app.recordings.audio import load_samples; "
        "samples, info = load_samples(Path(sys.argv[1]), 600); print(samples.size / 16000)"
    )
    result = run_measured(["-c", script, str(largest)], cwd=tmp_path)
    assert result.status == 0, result.stderr
    assert 598 < float(result.stdout) < 600
    assert result.peak_mb < DECODE_PEAK_MB, result.peak_mb
