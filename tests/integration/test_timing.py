"""The opt-in server-side reply timing (``PRESSUP_TIMING=1``, ``GET /api/timing``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.app import ReplyTimer, create_app
from pressup.web.settings import Settings
from support import LOCAL, LOCAL_WS
from support.web import coach_settings, frame_messages

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
TOKEN = "test-token-123"


def _frames(n: int) -> list[dict[str, Any]]:
    """The first ``n`` frames of a synthetic session as browser messages (normalised)."""
    track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2.0, 5.0, 2.5, 3.0)]))
    return frame_messages(track, range(n))


def _settings(tmp_path: Path, timing: bool) -> Settings:
    return coach_settings(
        PORT, TOKEN, tmp_path / "coach.db", require_screening=False, timing=timing
    )


def test_frame_replies_are_timed_and_the_figures_need_the_token(tmp_path: Path) -> None:
    frames = _frames(5)
    with TestClient(create_app(_settings(tmp_path, timing=True)), base_url=LOCAL) as client:
        with client.websocket_connect(
            f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}
        ) as ws:
            ws.send_text(json.dumps({"v": 1, "type": "hello", "client": "test"}))
            assert json.loads(ws.receive_text())["type"] == "welcome"
            for f in frames:
                ws.send_text(json.dumps(f))
                assert json.loads(ws.receive_text())["type"] == "update"
        assert client.get("/api/timing").status_code == 403
        assert client.get("/api/timing?token=wrong").status_code == 403
        t = client.get(f"/api/timing?token={TOKEN}&reset=1").json()
        assert t["count"] == len(frames)  # one sample per frame reply, none for the hello
        assert 0 < t["p50_ms"] <= t["p90_ms"] <= t["p99_ms"] <= t["max_ms"]
        after = client.get(f"/api/timing?token={TOKEN}").json()
        assert after["count"] == 0 and after["p99_ms"] is None


def test_timing_is_off_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRESSUP_TIMING", raising=False)
    assert Settings(token=TOKEN).timing is False
    monkeypatch.setenv("PRESSUP_TIMING", "1")
    assert Settings(token=TOKEN).timing is True
    with TestClient(create_app(_settings(tmp_path, timing=False)), base_url=LOCAL) as client:
        assert client.get(f"/api/timing?token={TOKEN}").status_code == 404


def test_the_ring_buffer_keeps_the_latest_samples() -> None:
    timer = ReplyTimer()
    timer.capacity = 4
    timer.reset()
    for ms in (100, 100, 100, 1, 2, 3, 4):
        timer.add(ms * 1_000_000)
    s = timer.summary()
    assert s["count"] == 7 and s["window"] == 4
    assert s["max_ms"] == 4.0 and s["p50_ms"] == 3.0
