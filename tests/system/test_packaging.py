"""A plain wheel carries templates, banks, static files and migrations, and runs from it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, timeout=600)  # fmt: skip
    (built,) = out.glob("rebound-*.whl")
    return built


def test_wheel_contains_the_data_folders(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "app/templates/base.html",
        "app/templates/attempts/show.html",
        "app/question_banks/conflict.yaml",
        "app/static/htmx.min.js",
        "app/static/recorder.js",
        "app/migrations/env.py",
        "app/migrations/alembic.ini",
    ):
        assert expected in names, expected
    assert any(n.startswith("app/migrations/versions/") for n in names)
    assert not any(n.startswith("tests/") for n in names)


def test_installed_wheel_serves_pages_from_another_folder(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, timeout=300)  # fmt: skip
    script = (
        "import app, sys\n"
        "assert app.__file__.startswith(sys.argv[1]), app.__file__\n"
        "from app import create_app\n"
        "from app.commands.database import prepare_database\n"
        "a = create_app()\n"
        "prepare_database(a)\n"
        "from app.accounts.identity import create_user\n"
        "with a.app_context(): token = create_user('p@example.com', 'packaged passphrase').session_token\n"
        "c = a.test_client()\n"
        "with c.session_transaction() as s: s['_user_id'] = token\n"
        "r = c.get('/questions')\n"
        "assert r.status_code == 200 and b'Salary and negotiation' in r.data, r.status_code\n"
        "assert c.get('/static/htmx.min.js').status_code == 200\n"
        "print('ok')\n"
    )
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    env = dict(os.environ, PYTHONPATH=str(target), REBOUND_DATA_DIR=str(run_dir))
    result = subprocess.run([sys.executable, "-c", script, str(target)], cwd=run_dir, env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]
    assert (run_dir / "instance" / "rebound.sqlite3").exists()
