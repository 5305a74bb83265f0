"""The cues the coach sends during a live set are stored (``cues``, revision 0006), at the time
of the frame or rating whose reply carried them, and the clinician's replay shows them as said
during the set; a set whose cues were not stored (a recorded one) shows the engine's
re-derived cues. Deleting the patient's account deletes the stored cues with the rest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from pressup.sessions.clinic import patient_store
from pressup.sessions.records import list_cues
from pressup.storage.models import CueRow, SessionRow
from pressup.synthetic import RepScript, SessionScript, make_session
from support.clinic import ORIGIN, PASSWORD, World, build_world
from support.web import frame_messages


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    w = build_world(database_url, require_screening=False)
    yield w
    w.store.close()


def _replies_until(ws: Any, done: Any) -> list[dict[str, Any]]:
    out = []
    while True:
        msg = json.loads(ws.receive_text())
        out.append(msg)
        if done(msg):
            return out


def _live_set(world: World) -> tuple[str, list[tuple[float, dict[str, Any]]]]:
    """Patient A's live set over the WebSocket: a rating before, three press-ups of synthetic
    frames (15 a second), and a rating after the set that breaks a stop rule. Returns the
    session and every cue the socket sent, with the time of the frame (or, for the rating's,
    the last frame) it answered."""
    reps = [RepScript("forearms", 2.0, 7.0, 2.5, 3.0) for _ in range(3)]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5))
    frames = frame_messages(track, range(0, track.n_frames, 2))
    pat, csrf = world.client("patient_a")
    sent: list[tuple[float, dict[str, Any]]] = []
    with pat.websocket_connect(f"/ws?token={csrf}", headers={"origin": ORIGIN}) as ws:
        ws.send_text(json.dumps({"v": 1, "type": "hello", "session": None, "client": "test"}))
        welcome = json.loads(ws.receive_text())
        assert welcome["type"] == "welcome", welcome
        ws.send_text(json.dumps({"v": 1, "type": "pain", "rep": 0, "score": 2, "location": "back"}))
        assert _replies_until(ws, lambda m: m["type"] == "saved")[-1]["rep"] == 0
        status: dict[str, Any] = {}
        for f in frames:
            ws.send_text(json.dumps(f))
            reply = _replies_until(ws, lambda m: m["type"] == "update")[-1]
            assert reply["seq"] == f["seq"], reply
            sent += [(f["t"], c) for c in reply["cues"]]
            status = reply["status"]
        assert status["stage"] == "done" and status["reps_done"] >= 1, status
        after = {"v": 1, "type": "pain", "rep": status["reps_done"], "score": 9}
        ws.send_text(json.dumps({**after, "location": "back"}))
        for msg in _replies_until(ws, lambda m: m["type"] == "review"):
            if msg["type"] == "update":
                sent += [(frames[-1]["t"], c) for c in msg["cues"]]
    hub = world.app.state.hubs.hub(patient_store(world.store, world.accounts["patient_a"]))
    assert hub.writer.wait_idle(10.0), "the coach's writes did not finish"
    return str(welcome["session"]), sent


def test_the_cues_said_in_a_live_set_are_stored_and_replayed(world: World) -> None:
    sid, sent = _live_set(world)
    texts = [c["text"] for _, c in sent]
    assert "That's 1 of 3." in texts, texts
    assert any(c["id"] == "after_set" for _, c in sent), "the rating after the set said nothing"
    stored = list_cues(patient_store(world.store, world.accounts["patient_a"]), sid)
    assert [(c.t_s, c.cue, c.kind, c.priority, c.text, c.speak) for c in stored] == [
        (t, c["id"], c["kind"], c["priority"], c["text"], c["speak"]) for t, c in sent
    ]
    # the clinician's replay shows them, marked as said during the set
    physio, _ = world.client("clinician_a")
    pid = world.accounts["patient_a"].id
    live = physio.get(f"/clinic/patients/{pid}/sessions/{sid}/replay.json").json()
    assert live["cues_said"] is True
    assert [(c["t_s"], c["text"], c["said"]) for c in live["cues"]] == [
        (round(t, 3), c["text"], True) for t, c in sent
    ]
    # a recorded set (no stored cues): the engine's re-derived cues, marked as such
    recorded = world.session_of["patient_a"]
    derived = physio.get(f"/clinic/patients/{pid}/sessions/{recorded}/replay.json").json()
    assert derived["cues_said"] is False and derived["cues"]
    assert all(c["said"] is False for c in derived["cues"])


def test_deleting_the_account_deletes_the_stored_cues(world: World) -> None:
    sid, sent = _live_set(world)
    assert sent
    with world.store.transaction(write=False) as s:
        mine = s.scalar(select(func.count()).select_from(CueRow).where(CueRow.session_id == sid))
    assert mine == len(sent)
    c, csrf = world.client("patient_a")
    done = c.post("/me/delete", data={"password": PASSWORD, "confirm": "yes", "csrf_token": csrf})
    assert done.status_code == 200 and "deleted" in done.text
    with world.store.transaction(write=False) as s:
        assert s.get(SessionRow, sid) is None
        assert s.scalar(select(func.count()).select_from(CueRow)) == 0
