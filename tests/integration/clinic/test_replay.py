"""The clinician's replay of a stored session: its JSON (the landmark frames, thinned when
long, and the engine's phases, press-ups and faults and the coach's cues re-run over the stored
track), who may read it, and the patient page that opens it.

Patient A's recorded set (:mod:`support.clinic`): 2 press-ups on the forearms, 34 s at
30 frames/s (1020 frames), stored as a finished session.
"""

from __future__ import annotations

import math

from pressup.protocol import load_spec
from pressup.sessions.clinic import (
    REPLAY_MAX_FPS,
    list_audit,
    patient_store,
    session_replay,
)
from support.clinic import World


def _url(world: World, patient: str = "patient_a", session: str | None = None) -> str:
    pid = world.accounts[patient].id
    sid = session or world.session_of[patient]
    return f"/clinic/patients/{pid}/sessions/{sid}/replay.json"


def test_the_replay_of_a_session(world: World) -> None:
    c, _ = world.client("clinician_a")
    r = c.get(_url(world))
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    d = r.json()
    assert d["session"]["id"] == world.session_of["patient_a"]
    assert (d["width"], d["height"], d["frames_stored"]) == (960, 540, 1020)
    assert d["note"] == ""
    # 30 frames/s thinned to 15: every other frame, over the whole recording
    t = d["frames"]["t_s"]
    lm = d["frames"]["landmarks"]
    assert len(t) == len(lm) == 510
    assert t == sorted(t) and t[0] == 0.0 and t[-1] >= 33.9
    assert max(b - a for a, b in zip(t, t[1:])) <= 1 / REPLAY_MAX_FPS + 1e-3
    assert all(f is not None and len(f) == 33 * 3 for f in lm)
    xs = [v for f in lm for v in f[0::3]]
    ys = [v for f in lm for v in f[1::3]]
    assert min(xs) >= 0.0 and max(xs) <= 1.0 and min(ys) >= 0.0 and max(ys) <= 1.0
    assert math.isclose(d["duration_s"], 34.0, abs_tol=0.05)

    # the engine's phases cover the recording, in order, with the page's words
    phases = d["phases"]
    assert [p["label"] for p in phases] == [
        "prone_flat",
        "rising",
        "sphinx",
        "lowering",
        "prone_flat",
        "rising",
        "sphinx",
        "lowering",
        "prone_flat",
    ]
    assert phases[0]["start_s"] == 0.0 and math.isclose(phases[-1]["end_s"], 34.0, abs_tol=0.05)
    assert all(a["end_s"] == b["start_s"] for a, b in zip(phases, phases[1:]))
    assert phases[2]["words"] == "Up on your forearms"
    # two counted press-ups, held about 7 s each, as stored for the session
    assert [(r["index"], r["complete"], r["variant"]) for r in d["reps"]] == [
        (1, True, "forearms"),
        (2, True, "forearms"),
    ]
    assert all(6.5 < r["hold_s"] < 8.0 for r in d["reps"])
    assert d["count"] == 2
    # the coach re-run over the track: its stages, rep events and what it said, in time order
    assert [s["stage"] for s in d["stages"]][:3] == ["setup", "start_check", "exercise"]
    done = [e for e in d["events"] if e["kind"] == "rep_completed"]
    assert [e["rep"] for e in done] == [1, 2]
    said = [cue["text"] for cue in d["cues"]]
    assert "That's 1 of 3." in said and "That's 2 of 3." in said
    assert [cue["t_s"] for cue in d["cues"]] == sorted(cue["t_s"] for cue in d["cues"])
    # the dose the session was planned with (3 press-ups, 5 s): the coach says it
    assert any("hold each for 5 seconds" in s for s in said), said


def test_a_long_session_is_thinned_over_its_whole_length(world: World) -> None:
    store = patient_store(world.store, world.accounts["patient_a"])
    replay = session_replay(store, load_spec(None), world.session_of["patient_a"], max_frames=60)
    assert len(replay.t_s) <= 60 and replay.frames_stored == 1020
    assert replay.t_s[0] == 0.0 and replay.t_s[-1] > 33.0
    gaps = [b - a for a, b in zip(replay.t_s, replay.t_s[1:])]
    assert max(gaps) - min(gaps) < 0.1  # evenly spread
    assert len(replay.analysis["phases"]) == 9  # judged on every stored frame, not the thinned


def test_only_the_patients_own_clinician_gets_the_replay(world: World) -> None:
    url = _url(world)
    for role, want in (
        ("clinician_b", 404),
        ("patient_a", 403),
        ("patient_b", 403),
        ("admin", 403),
        ("anonymous", 401),
    ):
        c, _ = world.client(role)
        r = c.get(url)
        assert r.status_code == want, (role, r.status_code, r.text)
        assert "landmarks" not in r.text
    # nor can clinician A reach patient B's session through patient A's page, or B's page
    c, _ = world.client("clinician_a")
    r = c.get(_url(world, "patient_a", world.session_of["patient_b"]))
    assert r.status_code == 404 and "landmarks" not in r.text
    assert c.get(_url(world, "patient_b")).status_code == 404
    assert c.get(_url(world, session="0" * 32)).status_code == 404


def test_each_replay_read_is_audited(world: World) -> None:
    c, _ = world.client("clinician_a")
    patient = world.accounts["patient_a"]
    before = len(list_audit(world.store, patient_ids=[patient.id], limit=1000))
    assert c.get(_url(world)).status_code == 200
    entries = list_audit(world.store, patient_ids=[patient.id], limit=1000)
    assert len(entries) == before + 1
    assert (entries[0].action, entries[0].actor_username) == ("read_session_replay", "physio.a")


def test_a_session_without_frames_says_so(world: World) -> None:
    store = patient_store(world.store, world.accounts["patient_a"])
    sid = store.create_session(
        client="test", dose={}, protocol={}, target_reps=3, width=640, height=480
    )
    try:
        c, _ = world.client("clinician_a")
        d = c.get(_url(world, session=sid)).json()
        assert d["frames"] == {"t_s": [], "landmarks": []} and d["frames_stored"] == 0
        assert "no stored movement" in d["note"]
        assert "phases" not in d
    finally:
        store.delete_session(sid)


def test_the_patient_page_lists_sessions_with_a_replay(world: World) -> None:
    c, _ = world.client("clinician_a")
    pid = world.accounts["patient_a"].id
    page = c.get(f"/clinic/patients/{pid}")
    assert page.status_code == 200
    html = page.text
    assert f'data-src="{_url(world)}"' in html
    assert 'id="replay-canvas"' in html and 'src="/clinic/static/replay.js"' in html
    assert world.session_of["patient_b"] not in html
    js = c.get("/clinic/static/replay.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "class Player" in js.text
