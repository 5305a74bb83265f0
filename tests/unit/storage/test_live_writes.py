"""``write_live``: many sessions' frames, events, cues, repetitions and row fields in one
transaction store exactly what the single calls store, and a bad part is left out alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pressup.errors import StorageUnavailableError
from pressup.sessions.records import SessionWrites, add_cues, list_cues, write_live
from pressup.storage import Store


def _frames(n: int, t0: float, seed: int) -> tuple[list[float], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    data = []
    for _ in range(n):
        f = rng.uniform(0, 600, size=(33, 4))
        f[:, 3] = rng.uniform(0, 1, size=33)
        data.append(f)
    return [t0 + i / 30 for i in range(n)], data


def _rep(index: int, start: float, peak: float) -> dict[str, Any]:
    return {"index": index, "start_s": start, "variant": "forearms", "peak_trunk_deg": peak}


def _parts(sid: str, seed: int) -> list[SessionWrites]:
    """Two flushes' worth of one session's writes (the same attempt upserted twice)."""
    out = []
    for k in range(2):
        t, data = _frames(8, k * 8 / 30, seed + k)
        out.append(
            SessionWrites(
                sid,
                t_s=t,
                data=data,
                width=640,
                height=480,
                events=[{"t_s": t[0], "kind": "rep_completed", "rep": 1, "x": k}],
                cues=[
                    {
                        "t_s": t[1],
                        "cue": "go",
                        "kind": "form",
                        "priority": 2,
                        "text": f"go {k}",
                        "speak": True,
                    }
                ],
                reps=[_rep(1, 0.5, 10.0 + k), _rep(2, 3.0 + k, 20.0)],
                stage="exercise",
                reps_done=k + 1,
                ended=k == 1,
            )
        )
    return out


def _single_calls(store: Store, w: SessionWrites) -> None:
    """The same writes as the hub made them before write_live, one transaction each."""
    store.append_frames(w.session_id, w.t_s, np.stack(w.data), width=640, height=480)
    store.add_events(w.session_id, w.events)
    add_cues(store, w.session_id, w.cues)
    for r in w.reps:
        store.upsert_rep(w.session_id, r)
    store.update_session(w.session_id, stage=w.stage, reps_done=w.reps_done, ended=w.ended)


def _stored(store: Store, sid: str) -> dict[str, Any]:
    track = store.load_track(sid)
    rec = store.get_session(sid)
    assert rec is not None
    return {
        "t": track.t_s.tolist(),
        "data": np.nan_to_num(track.data).tolist(),
        "events": store.list_events(sid),
        "cues": list_cues(store, sid),
        "reps": store.list_reps(sid),
        "row": (rec.stage, rec.reps_done, rec.ended_at is not None, rec.video_width),
    }


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'live.db'}")


def _new(store: Store) -> str:
    return store.create_session(client="t", dose={}, protocol={}, target_reps=3)


def test_one_transaction_for_many_sessions_stores_what_the_single_calls_store(
    store: Store,
) -> None:
    a, b, ref_a, ref_b = (_new(store) for _ in range(4))
    pa, pb = _parts(a, 1), _parts(b, 7)
    for k in range(2):
        assert write_live(store, [pa[k], pb[k]]) == []
    for w in _parts(ref_a, 1):
        _single_calls(store, w)
    for w in _parts(ref_b, 7):
        _single_calls(store, w)
    got_a, want_a = _stored(store, a), _stored(store, ref_a)
    assert got_a["t"] and got_a["events"] and got_a["cues"] and got_a["reps"]
    assert got_a == want_a
    assert _stored(store, b) == _stored(store, ref_b)
    assert [r["peak_trunk_deg"] for r in store.list_reps(a)] == [11.0, 20.0, 20.0]


def test_a_malformed_part_or_an_unknown_session_is_left_out_alone(store: Store) -> None:
    a, b = _new(store), _new(store)
    good = _parts(a, 1)[0]
    bad = _parts(b, 2)[0]
    bad.events = [{"kind": "no time"}]  # missing t_s
    gone = _parts("no-such-session", 3)[0]
    problems = write_live(store, [good, bad, gone])
    assert len(problems) == 2, problems
    assert "events of session" in problems[0] and "no-such-session" in problems[1]
    assert store.load_track(a).n_frames == 8 and len(store.list_events(a)) == 1
    assert store.load_track(b).n_frames == 8 and store.list_events(b) == []  # the rest is in


def test_a_database_that_cannot_be_written_now_stores_nothing_and_says_so(
    store: Store, tmp_path: Path
) -> None:
    import sqlite3

    a = _new(store)
    other = sqlite3.connect(tmp_path / "live.db", isolation_level=None, timeout=0.1)
    import pressup.storage.store as store_module

    old = store_module.SQLITE_BUSY_TIMEOUT_S
    store_module.SQLITE_BUSY_TIMEOUT_S = 0.1
    try:
        locked = Store(f"sqlite:///{tmp_path / 'live.db'}")
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageUnavailableError):
            write_live(locked, _parts(a, 1)[:1])
        other.execute("ROLLBACK")
        locked.close()
    finally:
        store_module.SQLITE_BUSY_TIMEOUT_S = old
        other.close()
    with pytest.raises(Exception, match="no landmark frames"):
        store.load_track(a)
