"""The overlay video plays in Chromium: written by pressup, opened by a <video> element."""

from __future__ import annotations

import http.server
import threading
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import pytest

from pressup.analysis.run import analyze_track
from pressup.protocol import load_spec
from pressup.report.overlay import write_overlay
from pressup.synthetic import RepScript, SessionScript, make_session
from support.browser import CHROMIUM, playwright_or_skip

pytestmark = pytest.mark.browser


def _video_of(track_frames: int, path: Path, fps: float, size: tuple[int, int]) -> Path:
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
    for i in range(track_frames):
        writer.write(np.full((h, w, 3), 60 + (i % 40), np.uint8))
    writer.release()
    return path


def test_the_overlay_plays_in_chromium(tmp_path: Path) -> None:
    sync_playwright = playwright_or_skip()
    script = SessionScript(
        reps=[RepScript("forearms", press_s=1.0, hold_s=2.0, lower_s=1.5, rest_s=1.0)],
        start_rest_s=1.0,
        end_rest_s=0.5,
        fps=15.0,
        width=320,
        height=180,
    )
    track, _ = make_session(script)
    video = _video_of(track.n_frames, tmp_path / "in.mp4", 15.0, (320, 180))
    out = write_overlay(video, track, analyze_track(track, load_spec()), tmp_path / "o.webm")
    (tmp_path / "index.html").write_text('<video id="v" src="o.webm" muted></video>')

    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            page.wait_for_function(
                "() => { const v = document.getElementById('v');"
                " return v.readyState >= 2 || v.error !== null; }",
                timeout=15000,
            )
            state = page.evaluate(
                "() => { const v = document.getElementById('v');"
                " return {error: v.error ? v.error.code : null, w: v.videoWidth,"
                " h: v.videoHeight, d: v.duration}; }"
            )
            browser.close()
    finally:
        server.shutdown()
    assert out.suffix == ".webm"
    assert state["error"] is None, state
    assert (state["w"], state["h"]) == (320, 180), state
    assert state["d"] > 0.5 * track.duration_s, state
