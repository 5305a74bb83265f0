"""The live coach's web app: the WebSocket protocol, its guards, persistence and resuming."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.app import create_app
from pressup.web.settings import Settings

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
TOKEN = "test-token-123"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        port=PORT,
        token=TOKEN,
        database_url=f"sqlite:///{tmp_path / 'coach.db'}",
        pose_assets_dir=None,
        require_screening=False,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def _ws(client: TestClient, *, origin: str = ORIGIN, token: str = TOKEN, extra: str = "") -> Any:
    return client.websocket_connect(f"/ws?token={token}{extra}", headers={"origin": origin})


def _frames(n_reps: int = 3, step: int = 2) -> list[dict[str, Any]]:
    """A synthetic session as browser frame messages (normalised landmarks, 15 frames/s)."""
    reps = [RepScript("forearms", 2.0, 11.0, 2.5, 3.0) for _ in range(n_reps)]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5))
    w, h = track.source.width, track.source.height
    out = []
    for seq, i in enumerate(range(0, track.n_frames, step)):
        row = track.data[i]
        lm = None
        if np.isfinite(row[0, 0]):
            lm = [[x / w, y / h, z / w, v] for x, y, z, v in row.tolist()]
        out.append(
            {
                "v": 1,
                "type": "frame",
                "seq": seq,
                "t": float(track.t_s[i]),
                "w": w,
                "h": h,
                "lm": lm,
            }
        )
    return out


def _hello(ws: Any, session: str | None = None) -> dict[str, Any]:
    ws.send_text(json.dumps({"v": 1, "type": "hello", "session": session, "client": "test"}))
    msg: dict[str, Any] = json.loads(ws.receive_text())
    assert msg["type"] == "welcome"
    return msg


def test_a_whole_set_over_the_websocket_is_counted_and_stored(
    client: TestClient, settings: Settings
) -> None:
    frames = _frames(3)
    with _ws(client) as ws:
        welcome = _hello(ws)
        sid = welcome["session"]
        assert welcome["dose"]["target_reps"] == 3
        last: dict[str, Any] = {}
        cues = []
        for f in frames:
            ws.send_text(json.dumps(f))
            last = json.loads(ws.receive_text())
            assert last["type"] == "update" and last["seq"] == f["seq"]
            cues.extend(c["id"] for c in last["cues"])
        assert last["status"]["stage"] == "done"
        assert last["status"]["reps_done"] == 3
        assert cues.count("rep_done") == 3
        ws.send_text(json.dumps({"v": 1, "type": "pain", "rep": 3, "score": 2}))
        assert json.loads(ws.receive_text())["type"] == "saved"
        ws.send_text(json.dumps({"v": 1, "type": "feedback", "helpful": True, "comment": "ok"}))
        assert json.loads(ws.receive_text())["what"] == "feedback"
    store = Store(settings.database_url)
    reps = store.list_reps(sid)
    assert [r["index"] for r in reps if r["complete"]] == [1, 2, 3]
    assert store.list_pain(sid)[0]["score"] == 2
    track = store.load_track(sid)
    assert track.n_frames == len(frames)  # every frame was written (the last chunk on close)
    # the stored track re-analyses offline to the same count
    from pressup.analysis.run import analyze_track
    from pressup.protocol import ProtocolSpec

    assert analyze_track(track, ProtocolSpec()).rep_count == 3
    api = client.get(f"/api/sessions/{sid}?token={TOKEN}").json()
    assert len(api["reps"]) == 3


@pytest.mark.parametrize(
    ("origin", "token"),
    [("http://evil.example", TOKEN), (ORIGIN, "wrong"), ("null", TOKEN), (ORIGIN, "")],
)
def test_other_origins_and_wrong_tokens_cannot_open_the_socket(
    client: TestClient, origin: str, token: str
) -> None:
    with pytest.raises(WebSocketDisconnect) as exc, _ws(client, origin=origin, token=token) as ws:
        ws.receive_text()
    assert exc.value.code == 1008


def test_state_changes_and_reads_need_the_token_and_origin(client: TestClient) -> None:
    assert client.get("/api/sessions").status_code == 403
    assert client.get(f"/api/sessions?token={TOKEN}").status_code == 200
    r = client.post(f"/api/sessions?token={TOKEN}", headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.delete("/api/sessions/x", headers={"origin": ORIGIN})
    assert r.status_code == 403
    assert client.get("/api/health").json()["ok"] is True


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_schema"),
        (json.dumps({"v": 2, "type": "frame"}), "bad_schema"),
        (json.dumps({"v": 1, "type": "dance"}), "bad_schema"),
        (
            json.dumps(
                {"v": 1, "type": "frame", "seq": 0, "t": 0, "w": 640, "h": 480, "lm": [[0, 0, 0]]}
            ),
            "bad_schema",
        ),
        (
            '{"v": 1, "type": "frame", "seq": 0, "t": 0, "w": 640, "h": 480, "lm": null, '
            '"light": NaN}',
            "bad_value",
        ),
        ("x" * 70_000, "too_large"),
    ],
)
def test_malformed_messages_get_an_error_and_the_session_goes_on(
    client: TestClient, raw: str, code: str
) -> None:
    frames = _frames(1)
    with _ws(client) as ws:
        _hello(ws)
        ws.send_text(raw)
        err = json.loads(ws.receive_text())
        assert err["type"] == "error" and err["code"] == code
        assert err["message"]
        ws.send_text(json.dumps(frames[0]))
        assert json.loads(ws.receive_text())["type"] == "update"


def test_nan_inside_landmarks_is_refused(client: TestClient) -> None:
    f = _frames(1)[40]
    raw = json.dumps(f).replace(str(f["lm"][0][0]), "NaN", 1)
    with _ws(client) as ws:
        _hello(ws)
        ws.send_text(raw)
        err = json.loads(ws.receive_text())
        assert err["code"] == "bad_value"


def test_frames_need_hello_first_and_must_not_go_back_in_time(client: TestClient) -> None:
    frames = _frames(1)
    with _ws(client) as ws:
        ws.send_text(json.dumps(frames[0]))
        assert json.loads(ws.receive_text())["code"] == "no_hello"
        _hello(ws)
        ws.send_text(json.dumps(frames[5]))
        assert json.loads(ws.receive_text())["type"] == "update"
        ws.send_text(json.dumps(frames[3]))
        err = json.loads(ws.receive_text())
        assert err["code"] == "out_of_order" and err["seq"] == 3
        ws.send_text(json.dumps(frames[6]))
        assert json.loads(ws.receive_text())["type"] == "update"


def test_unknown_session_is_an_error(client: TestClient) -> None:
    with _ws(client) as ws:
        ws.send_text(json.dumps({"v": 1, "type": "hello", "session": "0" * 32}))
        assert json.loads(ws.receive_text())["code"] == "unknown_session"


def test_a_client_that_vanishes_mid_hold_resumes_the_same_session(
    client: TestClient, settings: Settings
) -> None:
    frames = _frames(2)
    cut = next(i for i, f in enumerate(frames) if f["t"] >= 9.0)  # during rep 1's hold
    with _ws(client) as ws:
        sid = _hello(ws)["session"]
        for f in frames[:cut]:
            ws.send_text(json.dumps(f))
            ws.receive_text()
    # the socket is gone; its frames were written; a new tab resumes
    with _ws(client) as ws:
        welcome = _hello(ws, sid)
        assert welcome["resumed"] is True and welcome["session"] == sid
        for f in frames[cut:]:
            ws.send_text(json.dumps(f))
            last = json.loads(ws.receive_text())
    assert last["status"]["reps_done"] == 2
    assert Store(settings.database_url).load_track(sid).n_frames == len(frames)


def test_a_restarted_server_rebuilds_the_session_from_the_store(settings: Settings) -> None:
    frames = _frames(2)
    cut = next(i for i, f in enumerate(frames) if f["t"] >= 21.0)  # after rep 1
    with TestClient(create_app(settings)) as c1, _ws(c1) as ws:
        sid = _hello(ws)["session"]
        for f in frames[:cut]:
            ws.send_text(json.dumps(f))
            ws.receive_text()
    with TestClient(create_app(settings)) as c2, _ws(c2) as ws:  # a new process: nothing in memory
        assert _hello(ws, sid)["resumed"] is True
        for f in frames[cut:]:
            ws.send_text(json.dumps(f))
            last = json.loads(ws.receive_text())
    assert last["status"]["reps_done"] == 2


def test_two_tabs_on_one_session_both_see_updates(client: TestClient) -> None:
    frames = _frames(1)
    with _ws(client) as a, _ws(client) as b:
        sid = _hello(a)["session"]
        a.send_text(json.dumps(frames[0]))
        assert json.loads(a.receive_text())["seq"] == 0
        # b joins the same session: its camera takes over, a becomes a viewer
        welcome = _hello(b, sid)
        assert welcome["resumed"] is True and welcome["last_t"] == frames[0]["t"]
        a.send_text(json.dumps(frames[1]))
        err = json.loads(a.receive_text())
        assert err["code"] == "other_tab"
        b.send_text(json.dumps(dict(frames[1], seq=0)))
        mine = json.loads(b.receive_text())
        theirs = json.loads(a.receive_text())
        assert mine["type"] == theirs["type"] == "update"
        assert mine["seq"] == theirs["seq"] == 0


def test_ping_pong_and_controls(client: TestClient) -> None:
    with _ws(client) as ws:
        _hello(ws)
        ws.send_text(json.dumps({"v": 1, "type": "ping"}))
        assert json.loads(ws.receive_text())["type"] == "pong"
        ws.send_text(json.dumps({"v": 1, "type": "control", "action": "pause"}))
        assert json.loads(ws.receive_text())["what"] == "control"
        ws.send_text(json.dumps({"v": 1, "type": "control", "action": "fly"}))
        assert json.loads(ws.receive_text())["code"] == "bad_schema"
