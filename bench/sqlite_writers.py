"""Writers at once on the embedded default (SQLite): does any request fail on the lock?

    PYTHONPATH=$PWD .venv/bin/python bench/sqlite_writers.py [--clients 6] [--duration 60]

Starts ``rebound serve`` with its defaults (SQLite, the local audio folder, its worker beside
it) in a temporary folder, makes one account and API token per client, then runs the
clients (threads) for ``--duration`` seconds. Each client, in a loop, starts a mock
interview over the API, answers its first turn with a short recording (multipart: the
recording is saved, then the turn is read and written while the worker transcribes other
answers and commits), uploads a plain answer, and reads its list of answers. Every
request carries a bearer token, whose use the server notes in a write of its own.

Prints the requests by route and status, every 5xx, and how many times the server's log
(worker included) says "database is locked". Compare two commits by running the script with
``PYTHONPATH`` at each one's checkout.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from common import fixtures
from onscreen import start_server

CATEGORY = "Conflict"


def make_accounts(data: Path, count: int) -> list[str]:
    """An account and an API token per client, made with the CLI; the tokens."""
    env = dict(os.environ, REBOUND_DATA_DIR=str(data))
    tokens = []
    for n in range(count):
        email = f"writer{n}@example.com"
        subprocess.run([sys.executable, "-m", "app", "users", "create", email,
                        "--password-stdin"], input="benchmark passphrase\n", text=True,
                       cwd=data, env=env, check=True, capture_output=True)  # fmt: skip
        made = subprocess.run([sys.executable, "-m", "app", "tokens", "create", email],
                              text=True, cwd=data, env=env, check=True, capture_output=True)  # fmt: skip
        tokens.append(made.stdout.strip().splitlines()[-1])
    return tokens


def client(base: str, token: str, audio: bytes, until: float, seen: Counter, errors: list):
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def note(route: str, response: requests.Response) -> requests.Response:
        seen[(route, response.status_code)] += 1
        if response.status_code >= 500:
            errors.append(f"{route}: {response.status_code} {response.text[:200]}")
        return response

    while time.monotonic() < until:
        started = note("POST mock-interviews", session.post(
            f"{base}/api/v1/mock-interviews", json={"category": CATEGORY, "count": 3},
            timeout=60))  # fmt: skip
        if started.status_code == 201:
            body = started.json()
            note("POST turn answer", session.post(
                f"{base}/api/v1/mock-interviews/{body['id']}/turns/{body['turn']['id']}/answer",
                files={"audio": ("answer.wav", audio, "audio/wav")}, timeout=120))  # fmt: skip
            question_id = body["turn"]["question_id"]
            note("POST attempts", session.post(
                f"{base}/api/v1/attempts", data={"question_id": str(question_id)},
                files={"audio": ("answer.wav", audio, "audio/wav")}, timeout=120))  # fmt: skip
        note("GET attempts", session.get(f"{base}/api/v1/attempts", timeout=60))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--duration", type=float, default=60)
    args = parser.parse_args()
    audio = (fixtures() / "short.wav").read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        tokens = make_accounts(data, args.clients)
        server, base = start_server(data)
        seen: Counter = Counter()
        errors: list[str] = []
        try:
            until = time.monotonic() + args.duration
            threads = [threading.Thread(target=client, args=(base, t, audio, until, seen, errors))
                       for t in tokens]  # fmt: skip
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            server.terminate()
            server.wait(timeout=30)
        log = (data / "serve.log").read_text(errors="replace")
    print(f"\n{args.clients} clients for {args.duration:.0f} s against rebound serve's defaults "
          f"(SQLite); {os.cpu_count()} CPUs\n")  # fmt: skip
    print("| route | status | requests |\n|---|---|---|")
    for (route, status), count in sorted(seen.items()):
        print(f"| {route} | {status} | {count} |")
    print(f"\n5xx responses: {len(errors)}; 'database is locked' in the server's log: "
          f"{log.count('database is locked')}")  # fmt: skip
    for line in errors[:10]:
        print("  " + line)


if __name__ == "__main__":
    main()
