"""``pressup serve`` with ``PRESSUP_TIMING=1`` times a patient's frame replies in the worker
that answers them and serves that worker's figures (with its process id, and the samples on
request) at ``GET /api/timing`` to a signed-in patient; without it there is no such route."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from pressup.synthetic import RepScript, SessionScript, make_session
from support.clinic import ORIGIN, World, build_world
from support.web import frame_messages


@pytest.fixture
def timed(database_url: str) -> Iterator[World]:
    w = build_world(database_url, require_screening=False, timing=True)
    yield w
    w.store.close()


def test_the_clinic_times_frame_replies_per_worker(timed: World) -> None:
    track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2.0, 5.0, 2.5, 3.0)]))
    frames = frame_messages(track, range(6))
    pat, csrf = timed.client("patient_a")
    with pat.websocket_connect(f"/ws?token={csrf}", headers={"origin": ORIGIN}) as ws:
        ws.send_text(json.dumps({"v": 1, "type": "hello", "session": None, "client": "test"}))
        assert json.loads(ws.receive_text())["type"] == "welcome"
        for f in frames:
            ws.send_text(json.dumps(f))
            while json.loads(ws.receive_text())["type"] != "update":
                pass
    assert pat.get("/api/timing?token=wrong").status_code == 403
    t = pat.get(f"/api/timing?token={csrf}&samples=1&reset=1").json()
    assert t["pid"] == os.getpid() and t["count"] == len(frames)
    assert len(t["samples_us"]) == len(frames) and t["samples_us"] == sorted(t["samples_us"])
    assert 0 < t["p50_ms"] <= t["p99_ms"] <= t["max_ms"]
    assert t["max_ms"] * 1000 == pytest.approx(t["samples_us"][-1], abs=1)
    again = pat.get(f"/api/timing?token={csrf}").json()
    assert again["count"] == 0 and "samples_us" not in again


def test_without_timing_the_clinic_has_no_timing_route(database_url: str) -> None:
    w = build_world(database_url, require_screening=False)
    try:
        pat, csrf = w.client("patient_a")
        assert pat.get(f"/api/timing?token={csrf}").status_code == 404
    finally:
        w.store.close()
