"""Page times for a candidate with a long history (issue 14, item 12).

    python bench/pages.py [--answers 2000] [--words 250] [--repeats 30]

Builds an app on SQLite in a temporary folder, gives one candidate ``--answers`` transcribed
answers of ``--words`` words each (spread over the bank's questions and the past year; each
stored with its metrics, as the worker stores a transcript), then
requests each page ``--repeats`` times through the app (in-process, no network) and prints
p50 and p95 per page. Run it on an otherwise idle machine: the figures are wall-clock time.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import ROOT

sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.identity import create_api_token, create_user  # noqa: E402
from app.commands.serve import freeze_startup_objects  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Attempt, Question, utcnow  # noqa: E402
from app.questions.banks import sync_banks  # noqa: E402
from app.reports.attempts import transcript_values  # noqa: E402

SENTENCE = [
    "Last",
    "year",
    "my",
    "team",
    "missed",
    "a",
    "deadline",
    "so,",
    "um,",
    "I",
    "rebuilt",
    "the",
    "plan",
    "with",
    "the",
    "client",
    "and",
    "we",
    "shipped",
    "two",
    "weeks",
    "later",
    "with",
    "fewer",
    "defects",
    "than",
    "before.",
]


def answer_words(count: int, rng: random.Random) -> list[dict]:
    words, t = [], 0.4
    for i in range(count):
        t += 1.8 if rng.random() < 0.02 else 0.08
        words.append({"word": " " + SENTENCE[i % len(SENTENCE)], "start": round(t, 2),
                      "end": round(t + 0.3, 2)})  # fmt: skip
        t += 0.3
    return words


def build(folder: Path, answers: int, words: int):
    app = create_app({
        "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "AUDIO_DIR": str(folder / "audio"), "QUEUE_IMMEDIATE": True, "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "TESTING": True,  # no request log lines between the figures
    })  # fmt: skip
    rng = random.Random(7)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        sync_banks(Path(app.config["QUESTION_BANKS_DIR"]))
        user = create_user("bench@example.com", "a long enough bench passphrase")
        token = create_api_token(user)
        questions = db.session.execute(db.select(Question)).scalars().all()
        now = utcnow()
        for n in range(answers):
            spoken = answer_words(words, rng)
            question, duration = rng.choice(questions), spoken[-1]["end"] + 1.0
            # As the worker saves a transcript: with the metrics measured from it.
            transcript = transcript_values("".join(w["word"] for w in spoken).strip(), spoken,
                                           duration, question)  # fmt: skip
            db.session.add(Attempt(
                owner_id=user.id, question_id=question.id, status="done",
                audio_key=f"ab/{n:032x}.webm", audio_mime="audio/webm",
                duration_s=duration, size_bytes=400_000,
                created_at=now - timedelta(minutes=answers - n), **transcript,
            ))  # fmt: skip
            if n % 200 == 199:
                db.session.commit()
        db.session.commit()
        busiest = db.session.execute(
            db.select(Attempt.question_id, db.func.count()).group_by(Attempt.question_id)
            .order_by(db.func.count().desc()).limit(1)
        ).first()[0]  # fmt: skip
    return app, user.session_token, token, busiest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--words", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        app, session_token, api_token, busiest = build(Path(folder), args.answers, args.words)
        print(f"{args.answers} answers of {args.words} words stored in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        freeze_startup_objects()  # as `rebound serve` does before it serves
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = session_token, True
        pages = {
            "/history": {},
            "/api/v1/attempts": {"Authorization": f"Bearer {api_token}"},
            "/progress": {},
            f"/questions/{busiest}": {},
            "/": {},
        }
        print(f"{'page':<24} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>9}")
        for path, headers in pages.items():
            times, size = [], 0
            for _ in range(args.repeats):
                t = time.perf_counter()
                response = client.get(path, headers=headers)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, (path, response.status_code)
                size = len(response.data)
            times.sort()
            p95 = times[max(0, round(0.95 * len(times)) - 1)]
            print(f"{path:<24} {statistics.median(times):8.1f} {p95:8.1f} {size:9d}")


if __name__ == "__main__":
    main()
