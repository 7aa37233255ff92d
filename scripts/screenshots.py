"""Screenshots of Rebound's main pages at 1280 px and at 390 px (a phone), for the README.

    python scripts/screenshots.py [--out docs/screenshots]

Starts ``rebound serve`` (web and worker) on a free port with a throwaway data folder, signs
up a candidate and a coach in Debian's Chromium, answers two questions with the generated
test recordings, shares them, comments and rates, then photographs each page. The PNGs are
reduced to a 64-colour palette with the ffmpeg that imageio-ffmpeg ships, so the whole set
stays a few hundred KB. Needs the test dependencies (``make test`` installs them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import imageio_ffmpeg  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.fixtures.make_fixtures import make_all  # noqa: E402

CHROMIUM = "/usr/lib/chromium/chromium"
WIDTHS = {"wide": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
PASSWORD = "screenshot passphrase"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data: Path) -> tuple[subprocess.Popen, str]:
    """``rebound serve`` with its own database and audio folder; returns it and its address."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{data / 'db.sqlite3'}",
               REBOUND_DATA_DIR=str(data), PORT=str(port), SECRET_KEY="screenshots",
               PYTHONPATH=str(ROOT))  # fmt: skip
    log = (data / "serve.log").open("ab")
    process = subprocess.Popen([sys.executable, "-m", "app", "serve"], cwd=data, env=env,
                               stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=2).close()
            return process, base
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                sys.exit((data / "serve.log").read_text())
            time.sleep(0.3)


def sign_up(page, base: str, email: str, name: str, coach: bool = False) -> None:
    page.goto(base + "/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Your name (optional)").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    if coach:
        page.get_by_label("a recruiter or coach giving feedback").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(base + ("/review" if coach else "/"))


def upload(page, base: str, question_id: int, recording: Path) -> str:
    """Answer a question with a recording, as the recorder's upload does; wait for the words."""
    page.goto(f"{base}/questions/{question_id}/answer")
    token = page.locator(".recorder").get_attribute("data-csrf")
    response = page.request.post(
        base + "/attempts",
        multipart={"question_id": str(question_id),
                   "audio": {"name": recording.name, "mimeType": "audio/wav",
                             "buffer": recording.read_bytes()}},
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )  # fmt: skip
    url = base + response.json()["url"]
    page.goto(url)
    page.wait_for_selector(".transcript .word, .no-speech", timeout=180_000)
    return url


def shrink(path: Path) -> None:
    """Reduce a screenshot to a 64-colour palette PNG (text stays sharp, size drops ~4×)."""
    smaller = path.with_suffix(".small.png")
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(path), "-vf",
         "split[a][b];[a]palettegen=max_colors=64:stats_mode=full[p];[b][p]paletteuse=dither=none",
         str(smaller)],
        check=True,
    )  # fmt: skip
    smaller.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    audio = make_all(ROOT / "tests" / "fixtures" / "audio")
    data = Path(tempfile.mkdtemp(prefix="rebound-shots-"))
    process, base = start_server(data)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                args=["--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
                      "--use-fake-device-for-media-stream"],
            )  # fmt: skip
            candidate, coach, visitor = (browser.new_context().new_page() for _ in range(3))
            for page in (candidate, coach, visitor):
                page.set_default_timeout(180_000)
            sign_up(candidate, base, "sam@example.com", "Sam")
            first = upload(candidate, base, 1, audio / "story.wav")
            answer = upload(candidate, base, 1, audio / "answer.wav")
            candidate.goto(base + "/shares")
            candidate.get_by_label("Their email").fill("alex@example.com")
            candidate.get_by_role("button", name="Share", exact=True).click()
            invite = candidate.locator("code").first.inner_text()
            sign_up(coach, base, "alex@example.com", "Alex", coach=True)
            coach.goto(invite)
            coach.get_by_role("button", name="Accept the invitation").click()
            coach.goto(answer)
            coach.locator("#w-2").hover()
            coach.mouse.down()
            coach.locator("#w-5").hover()
            coach.mouse.up()
            coach.get_by_label("Comment", exact=True).fill(
                "Say who was on the team and what you did first."
            )
            coach.get_by_role("button", name="Add comment").click()
            coach.wait_for_selector(".comment:has-text('Say who was on the team')")
            coach.locator("input[name^=score-][value='3']").first.check()
            coach.get_by_role("button", name="Save rating").click()
            coach.wait_for_selector(".rating")
            shots = [
                (visitor, base + "/", "welcome"),
                (candidate, base + "/", "practise"),
                (candidate, base + "/questions/1/answer", "record"),
                (candidate, answer, "answer"),
                (candidate, base + f"/questions/1/compare?a={first.rsplit('/', 1)[1]}", "compare"),
                (candidate, base + "/progress", "progress"),
                (coach, answer, "review"),
            ]  # fmt: skip
            for name, viewport in WIDTHS.items():
                for page, url, shot in shots:
                    page.set_viewport_size(viewport)
                    page.goto(url)
                    page.wait_for_load_state("networkidle")
                    path = args.out / f"{shot}-{name}.png"
                    page.screenshot(path=str(path))
                    shrink(path)
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    total = sum(f.stat().st_size for f in args.out.glob("*.png"))
    print(f"{len(list(args.out.glob('*.png')))} screenshots, {total // 1024} KB, in {args.out}")


if __name__ == "__main__":
    main()
