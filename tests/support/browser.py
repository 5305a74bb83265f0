"""Shared by the browser tests: Chromium and Playwright (or a skip saying what is missing), and
``pressup coach`` started as a subprocess on a free port with its own database.

Not a test module (pytest collects only ``test_*.py``); the browser test modules import it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support import stop_process

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PRESSUP_CHROMIUM", "/usr/bin/chromium")
#: Chromium's flags for a page that uses a fake camera (``--use-file-for-fake-video-capture``
#: names the clip) and plays media without a click.
CHROME_ARGS = [
    "--no-sandbox",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
#: Screenshots go to $PRESSUP_SCREENSHOTS (the docs were made with
#: PRESSUP_SCREENSHOTS=docs/screenshots); by default a temporary folder, so a test run leaves
#: the tree clean.
SHOTS = Path(os.environ.get("PRESSUP_SCREENSHOTS") or tempfile.gettempdir()) / (
    "" if os.environ.get("PRESSUP_SCREENSHOTS") else "pressup-screenshots"
)


def playwright_or_skip() -> Any:
    """``sync_playwright``, or skip the test naming what is missing."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} not found: install Chromium (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is missing: pip install -e '.[test]'")
    return sync_playwright


def _pressup_cli() -> str:
    exe = Path(sys.executable).parent / "pressup"
    return str(exe) if exe.is_file() else str(REPO / ".venv" / "bin" / "pressup")


@dataclass
class Server:
    """A running ``pressup coach``: its origin, port, launch token, database URL and the
    ``/api/health`` answer."""

    origin: str
    port: int
    token: str
    database: str
    health: dict[str, Any]


@contextmanager
def coach_server(tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start ``pressup coach --no-browser`` on a free port with a database in ``tmp_path``;
    stop it on exit. ``env`` adds environment variables. Fails the test, with what the server
    printed, when it does not come up within 60 s."""
    database = f"sqlite:///{tmp_path / 'e2e.db'}"
    log = (tmp_path / "server.log").open("w")
    full_env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb", **(env or {})}
    full_env.pop("PRESSUP_TIMING", None)
    proc = subprocess.Popen(
        [_pressup_cli(), "coach", "--no-browser", "--port", "0", "--database", database],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=full_env,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: [lines.append(line) for line in proc.stdout or []], daemon=True
    )
    reader.start()
    try:
        match = None
        deadline = time.monotonic() + 60
        while match is None and time.monotonic() < deadline and proc.poll() is None:
            match = re.search(r"(http://127\.0\.0\.1:(\d+))/\?token=([\w-]+)", "".join(lines))
            time.sleep(0.05)
        if match is None:
            log.flush()
            pytest.fail(
                "pressup coach printed no URL; stdout: "
                f"{''.join(lines)!r}; stderr: {(tmp_path / 'server.log').read_text()[-2000:]}"
            )
        origin, port, token = match.group(1), int(match.group(2)), match.group(3)
        health = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{origin}/api/health", timeout=2) as r:
                    health = json.loads(r.read())
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert health is not None and health["ok"], "the coach never answered /api/health"
        yield Server(origin, port, token, database, health)
    finally:
        stop_process(proc)
        log.close()


def make_mjpeg(src: Path, dst: Path, width: int = 480) -> int:
    """Re-encode ``src`` as concatenated JPEGs (Chromium's MJPEG fake-camera file)."""
    import cv2

    cap = cv2.VideoCapture(str(src))
    n = 0
    with dst.open("wb") as f:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            h, w = frame.shape[:2]
            size = (width, round(h * width / w / 2) * 2)
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            f.write(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes())
            n += 1
    cap.release()
    return n
