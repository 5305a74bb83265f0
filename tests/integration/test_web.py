"""The live coach's web app: the WebSocket protocol, its guards, persistence and resuming."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.app import create_app
from pressup.web.settings import Settings
from support import LOCAL, LOCAL_WS, REPO, settle
from support.web import coach_settings, frame_messages

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
TOKEN = "test-token-123"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return coach_settings(PORT, TOKEN, tmp_path / "coach.db", require_screening=False)


def _ws(client: TestClient, *, origin: str = ORIGIN, token: str = TOKEN, extra: str = "") -> Any:
    return client.websocket_connect(
        f"{LOCAL_WS}/ws?token={token}{extra}", headers={"origin": origin}
    )


def _frames(n_reps: int = 3, step: int = 2) -> list[dict[str, Any]]:
    """A synthetic session as browser frame messages (normalised landmarks, 15 frames/s)."""
    reps = [RepScript("forearms", 2.0, 11.0, 2.5, 3.0) for _ in range(n_reps)]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5))
    return frame_messages(track, range(0, track.n_frames, step))


def _send_frames(ws: Any, frames: list[dict[str, Any]]) -> dict[str, Any]:
    """Send ``frames`` one by one, each after the reply to the one before; the last reply."""
    last: dict[str, Any] = {}
    for f in frames:
        ws.send_text(json.dumps(f))
        last = json.loads(ws.receive_text())
    return last


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
        # the last rating ends the set: the decision for next time follows
        review = json.loads(ws.receive_text())
        assert review["type"] == "review", review
        assert review["action"] == "keep" and review["target_reps"] == 3, review
        assert "pain was not rated before and after the set" in review["reason"], review
        assert review["response"] is None  # no place said before and after
        ws.send_text(json.dumps({"v": 1, "type": "feedback", "helpful": True, "comment": "ok"}))
        assert json.loads(ws.receive_text())["what"] == "feedback"
    settle(client)
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
    with (
        pytest.raises(WebSocketDenialResponse) as exc,
        _ws(client, origin=origin, token=token) as ws,
    ):
        ws.receive_text()
    assert exc.value.status_code == 403  # an HTTP refusal of the upgrade, with the headers
    assert exc.value.headers["x-frame-options"] == "DENY"


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
        _send_frames(ws, frames[:cut])
    # the socket is gone; its frames were written; a new tab resumes
    with _ws(client) as ws:
        welcome = _hello(ws, sid)
        assert welcome["resumed"] is True and welcome["session"] == sid
        last = _send_frames(ws, frames[cut:])
    assert last["status"]["reps_done"] == 2
    settle(client)
    assert Store(settings.database_url).load_track(sid).n_frames == len(frames)


def test_ending_the_set_while_up_stores_that_press_up_as_not_counted(
    client: TestClient, settings: Settings
) -> None:
    frames = _frames(2)
    cut = next(i for i, f in enumerate(frames) if f["t"] >= 9.0)  # during rep 1's hold
    with _ws(client) as ws:
        sid = _hello(ws)["session"]
        _send_frames(ws, frames[:cut])
        ws.send_text(json.dumps({"v": 1, "type": "control", "action": "end"}))
        assert json.loads(ws.receive_text())["status"]["stage"] == "done"
    settle(client)
    store = Store(settings.database_url)
    [rep] = store.list_reps(sid)
    assert rep["complete"] is False and rep["not_counted"] == "ended_up"
    assert [e["kind"] for e in store.list_events(sid)].count("rep_unfinished") == 1


def test_a_restarted_server_rebuilds_the_session_from_the_store(settings: Settings) -> None:
    frames = _frames(2)
    cut = next(i for i, f in enumerate(frames) if f["t"] >= 21.0)  # after rep 1
    with TestClient(create_app(settings), base_url=LOCAL) as c1, _ws(c1) as ws:
        sid = _hello(ws)["session"]
        _send_frames(ws, frames[:cut])
    with (
        TestClient(create_app(settings), base_url=LOCAL) as c2,
        _ws(c2) as ws,
    ):  # a new process: nothing in memory
        assert _hello(ws, sid)["resumed"] is True
        last = _send_frames(ws, frames[cut:])
    assert last["status"]["reps_done"] == 2


def test_a_session_resumed_from_the_store_knows_its_last_stored_frame(
    settings: Settings,
) -> None:
    frames = _frames(1)
    cut = 40
    with TestClient(create_app(settings), base_url=LOCAL) as c1, _ws(c1) as ws:
        sid = _hello(ws)["session"]
        for f in frames[:cut]:
            ws.send_text(json.dumps(f))
            assert json.loads(ws.receive_text())["type"] == "update"
    with TestClient(create_app(settings), base_url=LOCAL) as c2, _ws(c2) as ws:
        welcome = _hello(ws, sid)
        assert welcome["resumed"] is True
        assert welcome["last_seq"] == cut - 1
        assert welcome["last_t"] == frames[cut - 1]["t"]
        for old in (frames[cut - 1], frames[cut - 5], dict(frames[cut], seq=cut - 1)):
            ws.send_text(json.dumps(old))  # stored already (or a stored seq): refused
            err = json.loads(ws.receive_text())
            assert err["type"] == "error" and err["code"] == "out_of_order", err
        ws.send_text(json.dumps(frames[cut]))
        assert json.loads(ws.receive_text())["seq"] == cut
    settle(c2)
    assert Store(settings.database_url).load_track(sid).n_frames == cut + 1


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


# -- pain, symptoms, stop rules and the dose -----------------------------------------------------
def _pain(ws: Any, rep: int, score: int | None, location: str | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"v": 1, "type": "pain", "rep": rep}
    if score is None:
        msg["skipped"] = True
    else:
        msg["score"] = score
    if location is not None:
        msg["location"] = location
    ws.send_text(json.dumps(msg))
    saved: dict[str, Any] = json.loads(ws.receive_text())
    assert saved["type"] == "saved" and saved["what"] == "pain" and saved["rep"] == rep, saved
    return saved


def test_symptoms_spreading_down_the_leg_stop_the_set_mid_way(
    client: TestClient, settings: Settings
) -> None:
    from pressup.protocol import ProtocolSpec
    from pressup.sessions.plan import load_history
    from pressup.sessions.records import list_symptoms

    frames = _frames(3)
    with _ws(client) as ws:
        sid = _hello(ws)["session"]
        _pain(ws, 0, 2, "back")
        # frames until the first press-up is done and the coach asks for a rating
        for f in frames:
            ws.send_text(json.dumps(f))
            upd = json.loads(ws.receive_text())
            if upd["status"]["reps_done"] == 1:
                break
        assert upd["status"]["stage"] in ("rest", "exercise")
        _pain(ws, 1, 3, "thigh")
        stop = json.loads(ws.receive_text())
        assert stop["type"] == "update", stop
        assert stop["status"]["stage"] == "done"
        assert stop["status"]["stopped"]["rules"] == ["peripheralising"]
        [event] = stop["events"]
        assert event["kind"] == "set_stopped" and event["rep"] == 1
        assert "thigh now, back only before" in event["reason"]
        [cue] = stop["cues"]
        assert cue["kind"] == "safety" and cue["text"].startswith("Stop the set: symptoms spread")
        review = json.loads(ws.receive_text())
        assert review["type"] == "review"
        assert "symptoms spread" in review["reason"]
        assert review["response"] == "peripheralising"
        # the next dose is not higher than this one (the gentlest: it stays, with advice)
        assert review["target_reps"] <= 3 and review["target_hold_s"] <= 5.0
        # frames after the stop are answered but no longer counted
        ws.send_text(json.dumps({**frames[-1], "seq": 10_000, "t": 10_000.0}))
        after = json.loads(ws.receive_text())
        assert after["status"]["stage"] == "done" and after["status"]["reps_done"] == 1
    settle(client)
    store = Store(settings.database_url)
    rec = store.get_session(sid)
    assert rec is not None and rec.stage == "done" and rec.ended_at is not None
    assert [(r.rep, r.pain, r.location) for r in list_symptoms(store, sid)] == [
        (0, 2, "back"),
        (1, 3, "thigh"),
    ]
    stops = [e for e in store.list_events(sid) if e["kind"] == "set_stopped"]
    assert len(stops) == 1 and stops[0]["rules"] == ["peripheralising"]
    [summary] = load_history(store, ProtocolSpec())
    assert summary.sets[0].stopped and summary.sets[0].response == "peripheralising"


def test_pain_rules_stop_before_the_set_and_after_a_rise(client: TestClient) -> None:
    with _ws(client) as ws:
        _hello(ws)
        _pain(ws, 0, 8, "back")
        stop = json.loads(ws.receive_text())
        assert stop["status"]["stage"] == "done"
        assert stop["events"][0]["rules"] == ["pain_limit"]
        assert "Do not start the set" in stop["cues"][0]["text"]
        assert "rest today" in stop["cues"][0]["text"]
        assert json.loads(ws.receive_text())["type"] == "review"
    with _ws(client) as ws:
        _hello(ws)  # a new session
        _pain(ws, 0, 2, "back")
        _pain(ws, 1, 3)  # one point up, no place given: carry on (nothing else arrives)
        _pain(ws, 2, 4)  # two points up: stop
        stop = json.loads(ws.receive_text())
        assert stop["events"][0]["rules"] == ["pain_rise"]
        assert "from 2 to 4" in stop["events"][0]["reason"]


def test_a_skipped_rating_or_an_unknown_place_is_handled(client: TestClient) -> None:
    with _ws(client) as ws:
        _hello(ws)
        _pain(ws, 0, None)
        _pain(ws, 1, 9)  # no rating before the set: the pain limit still applies
        stop = json.loads(ws.receive_text())
        assert stop["events"][0]["rules"] == ["pain_limit"]
        assert json.loads(ws.receive_text())["type"] == "review"
        ws.send_text(json.dumps({"v": 1, "type": "pain", "rep": 2, "score": 1, "location": "knee"}))
        err = json.loads(ws.receive_text())
        assert err["type"] == "error" and err["code"] == "bad_schema"
        assert "location" in err["message"] and "knee" in err["message"]


def test_spreading_twice_advises_seeing_a_clinician(client: TestClient) -> None:
    reviews = []
    for _ in range(2):
        with _ws(client) as ws:
            _hello(ws)
            _pain(ws, 0, 2, "buttock")
            _pain(ws, 1, 2, "below_knee")
            assert json.loads(ws.receive_text())["events"][0]["kind"] == "set_stopped"
            reviews.append(json.loads(ws.receive_text()))
    assert not any("Symptoms spread down the leg" in a for a in reviews[0]["advice"])
    assert any("2 of your last 2 sets" in a for a in reviews[1]["advice"]), reviews[1]


def test_the_dose_comes_from_a_clinicians_prescription(
    client: TestClient, settings: Settings
) -> None:
    from pressup.sessions.records import set_prescription

    settle(client)
    store = Store(settings.database_url)
    set_prescription(store, variant="hands_bent", hold_s=12, reps=4, sessions_per_day=2)
    with _ws(client) as ws:
        welcome = _hello(ws)
    dose = welcome["dose"]
    assert (dose["target_reps"], dose["target_hold_s"]) == (4, 12.0)
    assert (dose["ladder_variant"], dose["variant"], dose["source"]) == (
        "hands_bent",
        "hands",
        "clinician",
    )
    assert welcome["status"]["target_reps"] == 4
    rec = store.get_session(welcome["session"])
    assert rec is not None and rec.target_reps == 4 and rec.dose["ladder_variant"] == "hands_bent"


def test_the_dose_steps_up_after_good_sessions(client: TestClient, settings: Settings) -> None:
    """Good sessions at the starting dose (all reps, full holds, pain low and steady) move the
    next session's dose up one step, and the coach says it at the start."""
    from pressup.protocol import ProtocolSpec
    from pressup.safety.progression import starting_prescription, step_up
    from pressup.sessions.plan import current_prescription

    spec = ProtocolSpec()
    start = starting_prescription(spec)
    up = step_up(start, spec)
    assert up is not None
    n_good = spec.progression.good_sessions_to_progress
    settle(client)
    store = Store(settings.database_url)
    for _ in range(n_good):
        with _ws(client) as ws:
            sid = _hello(ws)["session"]
            assert client.app.state.hub.live[sid].session.spec.dose.target_hold_s == start.hold_s
            _pain(ws, 0, 2, "back")
        for k in range(1, start.reps + 1):
            store.upsert_rep(sid, _good_rep(k, start.hold_s))
        with _ws(client, extra="") as ws:
            _hello(ws, sid)
            _pain(ws, start.reps, 2, "back")
            ws.send_text(json.dumps({"v": 1, "type": "control", "action": "end"}))
            assert json.loads(ws.receive_text())["what"] == "control"
            review = json.loads(ws.receive_text())
            assert review["type"] == "review"
    assert review["action"] == "progress", review
    with _ws(client) as ws:
        welcome = _hello(ws)
    new = up[0]
    assert (welcome["dose"]["target_reps"], welcome["dose"]["target_hold_s"]) == (
        new.reps,
        new.hold_s,
    )
    assert current_prescription(store, spec).hold_s == new.hold_s


def _good_rep(k: int, hold_s: float) -> dict[str, Any]:
    t0 = 20.0 * k
    return {
        "index": k,
        "start_s": t0,
        "top_start_s": t0 + 2,
        "top_end_s": t0 + 2 + hold_s,
        "end_s": t0 + 5 + hold_s,
        "hold_s": hold_s,
        "peak_trunk_deg": 25.0,
        "variant": "forearms",
        "complete": True,
        "faults": [],
    }


def test_a_restarted_server_keeps_a_stopped_set_stopped(settings: Settings) -> None:
    with TestClient(create_app(settings), base_url=LOCAL) as c1, _ws(c1) as ws:
        sid = _hello(ws)["session"]
        _pain(ws, 0, 1, "back")
        _pain(ws, 1, 4, "back")
        assert json.loads(ws.receive_text())["status"]["stopped"]["rules"] == ["pain_rise"]
    with TestClient(create_app(settings), base_url=LOCAL) as c2, _ws(c2) as ws:
        welcome = _hello(ws, sid)
        assert welcome["resumed"] and welcome["status"]["stage"] == "done"
        assert welcome["status"]["stopped"]["rules"] == ["pain_rise"]
        # the ratings came back too: a further rating is judged against the one before the set
        assert c2.app.state.hub.live[sid].session.ratings[0] == (1, "back")
        got = c2.get(f"/api/sessions/{sid}?token={TOKEN}").json()
        assert got["stopped"]["rules"] == ["pain_rise"]
        assert [s["location"] for s in got["symptoms"]] == ["back", "back"]


def test_the_page_s_words_are_served_from_the_wording_module(client: TestClient) -> None:
    import re

    from pressup import wording
    from pressup.vocab import FAULT_CODES, LABELS

    static = REPO / "src" / "pressup" / "web" / "static"
    assert not (static / "words.js").exists()  # no hand-kept copy (nor one shadowing the route)
    r = client.get("/static/words.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    js = r.text
    tables = {
        m[1]: json.loads(m[2])
        for m in re.finditer(r"export const (\w+) = (\{.*?\n\});", js, flags=re.S)
    }
    assert tables["FAULT_WORDS"] == {c: w.name for c, w in wording.FAULT_WORDING.items()}
    assert tables["LABEL_WORDS"] == {c: w.name for c, w in wording.LABEL_WORDING.items()}
    assert tables["CHECK_WORDS"] == wording.CHECK_WORDING
    assert tables["STAGE_WORDS"] == wording.STAGE_WORDING
    assert set(FAULT_CODES) <= set(tables["FAULT_WORDS"])
    assert set(LABELS) <= set(tables["LABEL_WORDS"])
    assert all(w.strip() for t in tables.values() for w in t.values())
    # every name a page module imports from ./words.js is exported
    exported = set(re.findall(r"export (?:const|function) (\w+)", js))
    for module in static.glob("*.js"):
        for names in re.findall(r"import \{([^}]*)\} from '\./words\.js'", module.read_text()):
            assert {n.strip() for n in names.split(",") if n.strip()} <= exported, module.name
