"""Time from submitting an answer to its transcript being ready, through the real app.

    python bench/latency.py [--runs 5] [--clip minute.webm]

Starts ``rebound serve`` (web + worker, embedded defaults) in a temporary folder, uploads
the clip over HTTP as the recorder does, and polls the attempt page's htmx fragment every
0.1 s until the transcript is there (the browser is told by the event stream instead, which
checks as often; ``bench/onscreen.py`` times a real browser).
Reports the upload time and submit-to-transcript time, p50 and max over the runs.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

from common import ROOT, fixtures, free_port


def peak_rss_of_children(pid: int) -> dict[int, float]:
    """Peak resident memory (MB) of each child process of ``pid`` (Linux /proc)."""
    peaks = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if int(fields.get("PPid", "0").strip()) == pid and "VmHWM" in fields:
            peaks[int(status.parent.name)] = int(fields["VmHWM"].split()[0]) / 1024
    return peaks


def multipart(fields: dict, file_field: str, path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{path.name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + path.read_bytes()
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clip", default="minute.webm")
    args = parser.parse_args()
    clip = fixtures() / args.clip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ, REBOUND_DATA_DIR=data, PORT=str(port),
                   MODEL_CACHE_DIR=str(ROOT / ".cache" / "models"))  # fmt: skip
        server = subprocess.Popen([sys.executable, "-m", "app", "serve"], cwd=data, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
            for _ in range(300):
                try:
                    page = opener.open(base + "/signup", timeout=2).read().decode()
                    break
                except OSError:
                    time.sleep(0.2)
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            form = urllib.parse.urlencode(
                {
                    "csrf_token": token,
                    "email": "bench@example.com",
                    "password": "benchmark passphrase",
                }
            ).encode()
            opener.open(urllib.request.Request(base + "/signup", data=form))
            time.sleep(3)  # let the worker load its model, as it would have long before
            uploads, totals = [], []
            for _ in range(args.runs):
                body, ctype = multipart({"csrf_token": token, "question_id": "1"}, "audio", clip)
                request = urllib.request.Request(base + "/attempts", data=body, headers={
                    "Content-Type": ctype, "Accept": "application/json"})  # fmt: skip
                t0 = time.perf_counter()
                reply = opener.open(request).read().decode()
                uploads.append(time.perf_counter() - t0)
                url = base + re.search(r'"url":\s*"([^"]+)"', reply).group(1)
                while True:
                    fragment = opener.open(
                        urllib.request.Request(url, headers={"HX-Request": "true"})
                    )
                    if fragment.status == 286:
                        html = fragment.read().decode()
                        break
                    time.sleep(0.1)
                totals.append(time.perf_counter() - t0)
                assert 'id="w-0"' in html, "no transcript in the final fragment"
            worker_peak = peak_rss_of_children(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    model = os.environ.get("WHISPER_MODEL", "base (the default)")
    print(f"clip: {clip.name}, {args.runs} runs, faster-whisper {model}")
    print(f"upload + checks + decode (HTTP reply): p50 {statistics.median(uploads):.2f} s, "
          f"max {max(uploads):.2f} s")  # fmt: skip
    print(f"worker peak RSS: {', '.join(f'{mb:.0f} MB' for mb in worker_peak.values())}")
    print(f"submit -> transcript ready:            p50 {statistics.median(totals):.2f} s, "
          f"max {max(totals):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
