"""The ``frames`` message: several camera frames in one message, each validated and judged alone,
answered by one ``updates`` (``docs/protocol.md``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.app import create_app
from pressup.web.schemas import MAX_BATCH, MAX_MESSAGE_BYTES
from pressup.web.settings import Settings
from support import LOCAL, LOCAL_WS, settle
from support.web import batch_message, coach_settings, frame_messages

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
TOKEN = "test-token-frames"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return coach_settings(PORT, TOKEN, tmp_path / "coach.db", require_screening=False)


def _ws(client: TestClient) -> Any:
    return client.websocket_connect(f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN})


def _frames(n_reps: int = 2, step: int = 2) -> list[dict[str, Any]]:
    reps = [RepScript("forearms", 2.0, 11.0, 2.5, 3.0) for _ in range(n_reps)]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5))
    return frame_messages(track, range(0, track.n_frames, step))


def _hello(ws: Any, session: str | None = None) -> dict[str, Any]:
    ws.send_text(json.dumps({"v": 1, "type": "hello", "session": session, "client": "test"}))
    msg: dict[str, Any] = json.loads(ws.receive_text())
    assert msg["type"] == "welcome", msg
    return msg


def _send(ws: Any, frames: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Send ``frames`` as one ``frames`` message: the ``error`` replies before its
    ``updates``, and the ``updates``."""
    ws.send_text(json.dumps(batch_message(frames)))
    errors = []
    while True:
        msg: dict[str, Any] = json.loads(ws.receive_text())
        if msg["type"] == "updates":
            return errors, msg
        assert msg["type"] == "error", msg
        errors.append(msg)


def _bad_lm(frame: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(frame))
    out["lm"][4][0] = 7.0  # x beyond -1..2
    return out


def _seen(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in frames if f["lm"] is not None]


def test_a_set_in_batches_is_judged_as_frame_by_frame(
    client: TestClient, settings: Settings
) -> None:
    frames = _frames(3)
    with _ws(client) as ws:  # the reference: one frame per message
        _hello(ws)
        one: list[dict[str, Any]] = []
        for f in frames:
            ws.send_text(json.dumps(f))
            one.append(json.loads(ws.receive_text()))
    with _ws(client) as ws:
        sid = _hello(ws)["session"]
        batched: list[dict[str, Any]] = []
        for i in range(0, len(frames), 4):
            errors, upd = _send(ws, frames[i : i + 4])
            assert errors == []
            assert upd["seqs"] == [f["seq"] for f in frames[i : i + 4]]
            assert upd["status"] == one[min(i + 3, len(frames) - 1)]["status"]
            batched.append(upd)
    assert [e for u in batched for e in u["events"]] == [e for u in one for e in u["events"]]
    assert [c for u in batched for c in u["cues"]] == [c for u in one for c in u["cues"]]
    assert batched[-1]["status"]["stage"] == "done"
    assert batched[-1]["status"]["reps_done"] == 3
    settle(client)
    store = Store(settings.database_url)
    assert store.load_track(sid).n_frames == len(frames)
    assert [r["index"] for r in store.list_reps(sid) if r["complete"]] == [1, 2, 3]


def test_a_bad_frame_in_a_batch_is_refused_alone(client: TestClient, settings: Settings) -> None:
    frames = _seen(_frames(1))[:6]
    with _ws(client) as ws:
        sid = _hello(ws)["session"]
        errors, upd = _send(ws, [frames[0], _bad_lm(frames[1]), frames[2]])
        assert [(e["code"], e["seq"]) for e in errors] == [("bad_schema", 1)]
        assert "frames.1.lm" in errors[0]["message"] and "landmark 4" in errors[0]["message"]
        assert upd["seqs"] == [0, 2]
        # NaN in one frame: that frame is refused (bad_value), the ones around it are kept
        items = [json.dumps(x) for x in batch_message(frames[3:6])["frames"]]
        at = items[1].index('"lm": [[') + len('"lm": [[')
        items[1] = items[1][:at] + "NaN" + items[1][items[1].index(",", at) :]
        ws.send_text('{"v": 1, "type": "frames", "frames": [' + ", ".join(items) + "]}")
        err = json.loads(ws.receive_text())
        assert (err["type"], err["code"], err["seq"]) == ("error", "bad_value", 4), err
        upd = json.loads(ws.receive_text())
        assert upd["type"] == "updates" and upd["seqs"] == [3, 5], upd
        # an item that is not a frame object at all: refused alone, without a seq
        ws.send_text(json.dumps({"v": 1, "type": "frames", "frames": [7]}))
        err = json.loads(ws.receive_text())
        assert (err["code"], err["seq"]) == ("bad_schema", None), err
        assert json.loads(ws.receive_text())["seqs"] == []
    settle(client)
    assert Store(settings.database_url).load_track(sid).n_frames == 4


@pytest.mark.parametrize("n", [0, MAX_BATCH + 1])
def test_an_empty_or_too_long_batch_is_refused_whole(client: TestClient, n: int) -> None:
    frames = _frames(1)[: MAX_BATCH + 2]
    with _ws(client) as ws:
        _hello(ws)
        ws.send_text(json.dumps(batch_message(frames[:n])))
        err = json.loads(ws.receive_text())
        assert (err["type"], err["code"], err["seq"]) == ("error", "bad_schema", None), err
        assert "frames.frames" in err["message"]
        # nothing of it was taken: the frames are answered when they come again
        errors, upd = _send(ws, frames[:2])
        assert errors == [] and upd["seqs"] == [0, 1]


def test_a_batch_over_the_size_limit_is_too_large(client: TestClient) -> None:
    frame = _seen(_frames(1))[0]
    pad = dict(frame, lm=[[0.123456789012345] * 4] * 33)
    batch = [dict(pad, seq=k) for k in range(MAX_BATCH)]
    assert len(json.dumps(batch_message(batch))) > MAX_MESSAGE_BYTES
    with _ws(client) as ws:
        _hello(ws)
        ws.send_text(json.dumps(batch_message(batch)))
        assert json.loads(ws.receive_text())["code"] == "too_large"


def test_frames_within_a_batch_keep_the_order_rules(client: TestClient) -> None:
    frames = _frames(1)
    with _ws(client) as ws:
        ws.send_text(json.dumps(batch_message(frames[:2])))
        assert json.loads(ws.receive_text())["code"] == "no_hello"
        _hello(ws)
        # seq going back inside a batch, then a time going back: each refused alone
        late = dict(frames[7], t=frames[5]["t"])
        errors, upd = _send(ws, [frames[5], frames[3], frames[6], late, frames[8]])
        assert [(e["code"], e["seq"]) for e in errors] == [("out_of_order", 3), ("out_of_order", 7)]
        assert upd["seqs"] == [5, 6, 8]
        # a batch whose every frame came before: all refused, an empty answer
        errors, upd = _send(ws, frames[:3])
        assert [e["seq"] for e in errors] == [0, 1, 2]
        assert upd["seqs"] == [] and upd["events"] == [] and upd["cues"] == []
        assert upd["status"]["stage"] == "setup"


def test_a_batch_resumes_after_the_stored_frames(settings: Settings) -> None:
    frames = _frames(1)
    cut = 40
    with TestClient(create_app(settings), base_url=LOCAL) as c1, _ws(c1) as ws:
        sid = _hello(ws)["session"]
        for i in range(0, cut, 10):
            assert _send(ws, frames[i : i + 10])[0] == []
    with TestClient(create_app(settings), base_url=LOCAL) as c2, _ws(c2) as ws:
        welcome = _hello(ws, sid)
        assert welcome["resumed"] is True and welcome["last_seq"] == cut - 1
        # the page sends again the last frames it is not sure of, then new ones
        errors, upd = _send(ws, frames[cut - 3 : cut + 3])
        assert [(e["code"], e["seq"]) for e in errors] == [
            ("out_of_order", s) for s in (37, 38, 39)
        ]
        assert upd["seqs"] == [cut, cut + 1, cut + 2]
    settle(c2)
    assert Store(settings.database_url).load_track(sid).n_frames == cut + 3


def test_a_second_tab_sees_the_batch_and_cannot_send_one(client: TestClient) -> None:
    frames = _frames(1)
    with _ws(client) as a, _ws(client) as b:
        sid = _hello(a)["session"]
        _hello(b, sid)  # b feeds the session now; a shows it
        a.send_text(json.dumps(batch_message(frames[:2])))
        err = json.loads(a.receive_text())
        assert (err["code"], err["seq"]) == ("other_tab", None)
        errors, mine = _send(b, frames[:3])
        theirs = json.loads(a.receive_text())
        assert errors == [] and mine == theirs and mine["seqs"] == [0, 1, 2]
