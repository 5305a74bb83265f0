"""The session store: round trips, atomic writes, migrations, concurrency."""

from __future__ import annotations

import math
import os
import threading
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from pressup.analysis.result import Fault, Rep
from pressup.engine.events import Event
from pressup.errors import InputError, StorageError, TrackFormatError
from pressup.pose.track import empty_frame
from pressup.storage import (
    REP_KEYS,
    Store,
    current_revision,
    decisions,
    default_database_url,
    downgrade,
    head_revision,
    make_engine,
    prescriptions,
    screenings,
    symptoms,
    upgrade,
)
from pressup.storage import accounts as acc
from pressup.storage import store as store_module
from pressup.storage.cues import add_cues, list_cues
from pressup.storage.models import (
    Base,
    CueRow,
    EventRow,
    FeedbackRow,
    PainRow,
    RepRow,
    TrackChunkRow,
)
from pressup.storage.values import utc_now

DOSE = {"target_reps": 10, "target_hold_s": 2.0, "min_lowering_s": 1.5, "variant": "hands"}
PROTOCOL = {"name": "default", "version": 1}
CUE = {"t_s": 1.5, "cue": "hold", "kind": "breath", "priority": 3, "text": "Hold.", "speak": True}
TABLES_0001 = {"sessions", "events", "reps", "pain_ratings", "feedback", "track_chunks"}
TABLES_0002 = {"screenings", "symptom_reports", "progression_decisions", "prescriptions"}
TABLES_0006 = {"cues"}
TABLES = TABLES_0001 | TABLES_0002 | TABLES_0006
CHILDREN = (EventRow, RepRow, PainRow, FeedbackRow, TrackChunkRow, CueRow)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pressup.db'}"


@pytest.fixture
def store(url: str) -> Any:
    s = Store(url)
    yield s
    s.close()


def _new(store: Store, **kw: Any) -> str:
    args: dict[str, Any] = {"client": "pytest", "dose": DOSE, "protocol": PROTOCOL}
    args.update(kw)
    args.setdefault("target_reps", 10)
    return store.create_session(**args)


def _frames(n: int, t0: float, rng: np.random.Generator, fps: float = 30.0) -> tuple[Any, Any]:
    t = t0 + np.arange(n) / fps
    d = rng.uniform(0, 640, size=(n, 33, 4))
    d[:, :, 2] -= 320
    d[:, :, 3] = rng.uniform(0, 1, size=(n, 33))
    return t, d


def _count(url: str, model: Any, session_id: str | None = None) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stmt = select(func.count()).select_from(model)
            if session_id is not None:
                stmt = stmt.where(model.session_id == session_id)
            return int(conn.scalar(stmt) or 0)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# -- sessions ------------------------------------------------------------------------------


def test_session_round_trip(store: Store) -> None:
    sid = _new(store, dose={**DOSE, "bad": math.nan}, width=1280, height=720)
    assert len(sid) == 32 and int(sid, 16) >= 0
    rec = store.get_session(sid)
    assert rec is not None
    assert rec.id == sid and rec.client == "pytest" and rec.stage == "setup"
    assert rec.reps_done == 0 and rec.target_reps == 10
    assert rec.dose == {**DOSE, "bad": None} and rec.protocol == PROTOCOL
    assert (rec.video_width, rec.video_height) == (1280, 720)
    assert rec.created_at.tzinfo is not None and rec.created_at == rec.updated_at
    assert rec.ended_at is None and not rec.ended

    store.update_session(sid, stage="exercise", reps_done=3, width=640, height=480)
    rec2 = store.get_session(sid)
    assert rec2 is not None
    assert (rec2.stage, rec2.reps_done, rec2.video_width, rec2.video_height) == (
        "exercise",
        3,
        640,
        480,
    )
    assert rec2.updated_at >= rec.updated_at and rec2.ended_at is None

    store.update_session(sid, ended=True)
    rec3 = store.get_session(sid)
    assert rec3 is not None and rec3.ended and rec3.stage == "exercise"
    assert rec3.to_dict()["ended_at"] == rec3.ended_at.isoformat()  # type: ignore[union-attr]

    assert store.get_session("0" * 32) is None


def test_list_sessions_newest_first(store: Store) -> None:
    ids = [_new(store, client=f"c{i}") for i in range(4)]
    listed = store.list_sessions()
    assert [r.id for r in listed] == ids[::-1]
    assert [r.id for r in store.list_sessions(limit=2)] == ids[:1:-1]
    with pytest.raises(InputError):
        store.list_sessions(limit=0)


def test_create_session_validates(store: Store) -> None:
    with pytest.raises(InputError, match="target_reps"):
        _new(store, target_reps=-1)
    with pytest.raises(InputError, match="dose"):
        _new(store, dose=[1, 2])
    with pytest.raises(InputError, match=r"protocol\.when"):
        _new(store, protocol={"when": object()})
    assert store.list_sessions() == []


# -- events --------------------------------------------------------------------------------


def test_events_round_trip(store: Store) -> None:
    sid = _new(store)
    events = [
        Event(0.5, "position", None, {"label": "rising"}).to_dict(),
        Event(1.0, "rep_started", 1).to_dict(),
        {"t_s": 2.0, "kind": "hold_tick", "rep": 1, "held_s": np.int64(1)},
        {"t_s": math.nan, "kind": "tracking_lost", "extra": {"a": [1.5, math.nan, math.inf]}},
    ]
    store.add_events(sid, events)
    store.add_events(sid, [{"t_s": 3.0, "kind": "set_completed", "reps": 1}])
    store.add_events(sid, [])
    assert store.list_events(sid) == [
        {"t_s": 0.5, "kind": "position", "rep": None, "label": "rising"},
        {"t_s": 1.0, "kind": "rep_started", "rep": 1},
        {"t_s": 2.0, "kind": "hold_tick", "rep": 1, "held_s": 1},
        {"t_s": None, "kind": "tracking_lost", "rep": None, "extra": {"a": [1.5, None, None]}},
        {"t_s": 3.0, "kind": "set_completed", "rep": None, "reps": 1},
    ]


def test_bad_event_stores_none_of_the_batch(store: Store, url: str) -> None:
    sid = _new(store)
    good = {"t_s": 1.0, "kind": "rep_started", "rep": 1}
    with pytest.raises(InputError, match=r"events\[1\]: missing key 'kind'"):
        store.add_events(sid, [good, {"t_s": 2.0}])
    with pytest.raises(InputError, match=r"events\[2\].rep"):
        store.add_events(sid, [good, good, {"t_s": 2.0, "kind": "x", "rep": "one"}])
    assert store.list_events(sid) == []
    assert _count(url, EventRow) == 0


# -- repetitions ---------------------------------------------------------------------------


def _rep(index: int, **kw: Any) -> Rep:
    base: dict[str, Any] = {
        "index": index,
        "start_s": 1.0 * index,
        "top_start_s": 1.0 * index + 0.8,
        "top_end_s": 1.0 * index + 2.8,
        "end_s": 1.0 * index + 4.5,
        "press_s": 0.8,
        "hold_s": 2.0,
        "lower_s": 1.7,
        "variant": "hands",
        "peak_trunk_deg": 41.5,
        "peak_elbow_deg": 165.0,
        "faults": [Fault("neck_extended", 1.2, 1.9, index)],
        "complete": True,
    }
    base.update(kw)
    return Rep(**base)


def test_reps_round_trip_and_upsert(store: Store) -> None:
    sid = _new(store)
    store.upsert_rep(sid, asdict(_rep(2, peak_elbow_deg=math.nan, complete=False)))
    store.upsert_rep(sid, _rep(1))
    reps = store.list_reps(sid)
    assert [r["index"] for r in reps] == [1, 2]
    assert all(tuple(r) == REP_KEYS for r in reps)
    first = asdict(_rep(1))
    assert reps[0] == first
    assert reps[1]["peak_elbow_deg"] is None and reps[1]["complete"] is False
    assert reps[1]["faults"] == [{"code": "neck_extended", "start_s": 1.2, "end_s": 1.9, "rep": 2}]

    # the engine's rep dict of the same number replaces it
    store.upsert_rep(sid, {**asdict(_rep(2)), "end_s": math.nan, "extra": "ignored"})
    reps = store.list_reps(sid)
    assert len(reps) == 2
    assert reps[1]["complete"] is True and reps[1]["end_s"] is None
    assert reps[1]["peak_elbow_deg"] == 165.0


def test_an_attempt_that_did_not_count_is_kept_beside_the_counted_one(store: Store) -> None:
    # the engine numbers an attempt that does not count and the next attempt alike
    sid = _new(store)
    store.upsert_rep(sid, _rep(1))
    missed = _rep(2, start_s=9.0, complete=False, hold_s=math.nan, end_s=math.nan)
    store.upsert_rep(sid, {**asdict(missed), "not_counted": "no_hold"})
    store.upsert_rep(sid, _rep(2, start_s=20.0))
    reps = store.list_reps(sid)
    assert [(r["index"], r["start_s"], r["complete"]) for r in reps] == [
        (1, _rep(1).start_s, True),
        (2, 9.0, False),
        (2, 20.0, True),
    ]
    assert reps[1]["not_counted"] == "no_hold"
    assert store.reps_of([sid])[sid] == reps


def test_rep_validation(store: Store) -> None:
    sid = _new(store)
    with pytest.raises(InputError, match="missing key 'variant'"):
        store.upsert_rep(sid, {"index": 1, "start_s": 0.0})
    with pytest.raises(InputError, match="start_s"):
        store.upsert_rep(sid, {**asdict(_rep(1)), "start_s": math.nan})
    with pytest.raises(InputError, match=r"rep\.index"):
        store.upsert_rep(sid, {**asdict(_rep(1)), "index": 0})
    assert store.list_reps(sid) == []


# -- ratings and feedback ------------------------------------------------------------------


def test_pain_round_trip(store: Store) -> None:
    sid = _new(store)
    store.add_pain(sid, rep=0, score=2, skipped=False, t_s=None)
    store.add_pain(sid, rep=3, score=None, skipped=True, t_s=12.5)
    store.add_pain(sid, rep=5, score=10, skipped=False, t_s=math.nan)
    pain = store.list_pain(sid)
    assert [(p["rep"], p["score"], p["skipped"], p["t_s"]) for p in pain] == [
        (0, 2, False, None),
        (3, None, True, 12.5),
        (5, 10, False, None),
    ]
    assert all(p["created_at"].tzinfo is not None for p in pain)
    for bad in (
        {"rep": -1, "score": 1, "skipped": False},
        {"rep": 1, "score": 11, "skipped": False},
        {"rep": 1, "score": 3, "skipped": True},
        {"rep": 1, "score": None, "skipped": False},
        {"rep": 1, "score": 2.5, "skipped": False},
    ):
        with pytest.raises(InputError):
            store.add_pain(sid, t_s=None, **bad)
    assert len(store.list_pain(sid)) == 3


def test_feedback_round_trip(store: Store) -> None:
    sid = _new(store)
    store.add_feedback(sid, helpful=True, comment=None)
    store.add_feedback(sid, helpful=False, comment="too fast ✓")
    fb = store.list_feedback(sid)
    assert [(f["helpful"], f["comment"]) for f in fb] == [(True, None), (False, "too fast ✓")]
    with pytest.raises(InputError, match="helpful"):
        store.add_feedback(sid, helpful="yes", comment=None)  # type: ignore[arg-type]


# -- landmark frames -----------------------------------------------------------------------


def test_track_round_trip_across_chunks(store: Store) -> None:
    rng = np.random.default_rng(7)
    sid = _new(store)
    ts, ds = [], []
    t0 = 0.0
    for n in (30, 1, 29, 17):
        t, d = _frames(n, t0, rng)
        d[::5] = empty_frame()  # no person in some frames
        d[1::7, 3, :2] = np.nan  # one landmark missing in others
        store.append_frames(sid, t, d, width=640, height=480)
        ts.append(t)
        ds.append(d)
        t0 = float(t[-1]) + 1 / 30
    store.append_frames(sid, np.zeros(0), np.zeros((0, 33, 4)), width=640, height=480)

    track = store.load_track(sid)
    t_all, d_all = np.concatenate(ts), np.concatenate(ds)
    assert track.n_frames == len(t_all) == 77
    np.testing.assert_array_equal(track.t_s, t_all)
    expected = d_all.astype(np.float32).astype(np.float64)
    np.testing.assert_array_equal(track.data, expected)  # NaN == NaN here
    assert np.isnan(track.data[0]).sum() == 33 * 3 and np.all(track.data[0, :, 3] == 0)
    assert np.isnan(track.data[1, 3, :2]).all()
    src = track.source
    assert (src.backend, src.model, src.video) == ("browser", "blazepose_web", None)
    assert (src.width, src.height) == (640, 480)
    assert src.fps == pytest.approx(30.0)
    assert track.meta == {"session_id": sid}
    rec = store.get_session(sid)
    assert rec is not None and (rec.video_width, rec.video_height) == (640, 480)


def test_track_size_from_first_chunk_and_fps_default(store: Store) -> None:
    rng = np.random.default_rng(1)
    sid = _new(store, width=1920, height=1080)
    t, d = _frames(1, 0.0, rng)
    store.append_frames(sid, t, d, width=720, height=1280)
    t, d = _frames(1, 0.5, rng)
    store.append_frames(sid, t, d, width=1280, height=720)
    track = store.load_track(sid)
    assert (track.source.width, track.source.height) == (720, 1280)
    assert track.source.fps == pytest.approx(2.0)

    sid2 = _new(store)
    t, d = _frames(1, 0.0, rng)
    store.append_frames(sid2, t, d, width=640, height=480)
    assert store.load_track(sid2).source.fps == 30.0


def test_later_chunk_wins_where_times_overlap(store: Store) -> None:
    rng = np.random.default_rng(2)
    sid = _new(store)
    t1, d1 = _frames(30, 0.0, rng, fps=10)  # 0.0 .. 2.9 s
    t2, d2 = _frames(5, 1.0, rng, fps=10)  # a second tab: 1.0 .. 1.4 s
    store.append_frames(sid, t1, d1, width=640, height=480)
    store.append_frames(sid, t2, d2, width=640, height=480)
    track = store.load_track(sid)
    assert track.n_frames == 30
    assert np.all(np.diff(track.t_s) >= 0)
    np.testing.assert_allclose(track.t_s, t1)
    np.testing.assert_array_equal(track.data[10:15], d2.astype(np.float32))
    np.testing.assert_array_equal(track.data[:10], d1[:10].astype(np.float32))
    np.testing.assert_array_equal(track.data[15:], d1[15:].astype(np.float32))


def test_load_track_without_frames(store: Store) -> None:
    sid = _new(store, width=640, height=480)
    track = store.load_track(sid)
    assert track.n_frames == 0 and track.source.width == 640
    sid2 = _new(store)
    with pytest.raises(StorageError, match=sid2):
        store.load_track(sid2)


@pytest.mark.parametrize(
    ("t_shape", "d_shape", "message"),
    [
        ((3,), (3, 33, 3), "data must have shape"),
        ((3,), (2, 33, 4), "data must have shape"),
        ((3, 1), (3, 33, 4), "t_s must have shape"),
    ],
)
def test_bad_chunk_stores_nothing(
    store: Store, url: str, t_shape: Any, d_shape: Any, message: str
) -> None:
    sid = _new(store)
    with pytest.raises(TrackFormatError, match=message):
        store.append_frames(sid, np.zeros(t_shape), np.zeros(d_shape), width=640, height=480)
    assert _count(url, TrackChunkRow) == 0


def test_bad_chunk_values(store: Store) -> None:
    sid = _new(store)
    t, d = _frames(3, 0.0, np.random.default_rng(0))
    for tt, dd, message in (
        (t[::-1], d, "must not decrease"),
        (np.array([0.0, np.nan, 1.0]), d, "finite"),
        (t, np.where(d > 600, np.inf, d), "infinity"),
        (t, np.where(d > 600, 1e39, d), "float32 range"),
        (t, d * 2, "visibility"),
    ):
        with pytest.raises(TrackFormatError, match=message):
            store.append_frames(sid, tt, dd, width=640, height=480)
    with pytest.raises(InputError, match="width"):
        store.append_frames(sid, t, d, width=0, height=480)
    with pytest.raises(StorageError):
        store.load_track(sid)  # nothing was stored, and no frame size is known


def test_write_failing_midway_leaves_nothing(
    store: Store, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunk row is already INSERTed when the session update fails: both roll back."""
    rng = np.random.default_rng(3)
    sid = _new(store)
    t, d = _frames(10, 0.0, rng)
    store.append_frames(sid, t, d, width=640, height=480)
    before = store.get_session(sid)

    def boom(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(store_module, "_touch", boom)
    t2, d2 = _frames(10, 1.0, rng)
    with pytest.raises(RuntimeError, match="disk unplugged"):
        store.append_frames(sid, t2, d2, width=800, height=600)
    monkeypatch.undo()

    assert _count(url, TrackChunkRow, sid) == 1
    assert store.get_session(sid) == before
    assert store.load_track(sid).n_frames == 10
    store.append_frames(sid, t2, d2, width=640, height=480)  # seq 1 is free again
    assert store.load_track(sid).n_frames == 20


def test_database_error_mid_write_rolls_back(store: Store, url: str) -> None:
    """A constraint violation on the second of two statements undoes the first."""
    sid = _new(store)
    store.upsert_rep(sid, _rep(1))
    with pytest.raises(InputError):
        # not JSON: fails while the rows are being built, before any statement
        store.add_events(sid, [{"t_s": 1.0, "kind": "ok"}, {"t_s": 2.0, "kind": "x", "o": {1}}])
    dup = RepRow(
        session_id=sid, number=1, start_s=_rep(1).start_s, variant="hands", faults=[], complete=True
    )
    with pytest.raises(StorageError, match=r"(?i)unique"), store.transaction(write=True) as s:
        s.add(EventRow(session_id=sid, t_s=1.0, kind="ok", data={}))
        s.flush()
        s.add(dup)
        s.flush()  # UNIQUE (session_id, number, start_s) fails
    assert _count(url, EventRow) == 0


# -- unknown ids, deletion -----------------------------------------------------------------

_CALLS: list[tuple[str, Any]] = [
    ("update_session", lambda s, i: s.update_session(i, stage="rest")),
    ("add_events", lambda s, i: s.add_events(i, [{"t_s": 0.0, "kind": "x"}])),
    ("add_events (empty)", lambda s, i: s.add_events(i, [])),
    ("list_events", lambda s, i: s.list_events(i)),
    ("upsert_rep", lambda s, i: s.upsert_rep(i, _rep(1))),
    ("list_reps", lambda s, i: s.list_reps(i)),
    ("add_pain", lambda s, i: s.add_pain(i, rep=0, score=1, skipped=False, t_s=None)),
    ("list_pain", lambda s, i: s.list_pain(i)),
    ("add_feedback", lambda s, i: s.add_feedback(i, helpful=True, comment=None)),
    ("list_feedback", lambda s, i: s.list_feedback(i)),
    (
        "append_frames",
        lambda s, i: s.append_frames(i, np.zeros(1), np.zeros((1, 33, 4)), width=1, height=1),
    ),
    ("load_track", lambda s, i: s.load_track(i)),
    ("delete_session", lambda s, i: s.delete_session(i)),
]


@pytest.mark.parametrize("call", [c for _, c in _CALLS], ids=[n for n, _ in _CALLS])
def test_unknown_session_raises_storage_error(store: Store, call: Any) -> None:
    _new(store)
    missing = "feedfacefeedfacefeedfacefeedface"
    with pytest.raises(StorageError, match=missing) as info:
        call(store, missing)
    assert info.value.exit_code == 7
    with pytest.raises(StorageError, match="xxxx"):
        call(store, "x" * 99)


def test_delete_session_cascades(store: Store, url: str) -> None:
    rng = np.random.default_rng(4)
    keep, gone = _new(store), _new(store)
    for sid in (keep, gone):
        store.add_events(sid, [{"t_s": 0.0, "kind": "x"}])
        store.upsert_rep(sid, _rep(1))
        store.add_pain(sid, rep=0, score=0, skipped=False, t_s=0.0)
        store.add_feedback(sid, helpful=True, comment="ok")
        t, d = _frames(3, 0.0, rng)
        store.append_frames(sid, t, d, width=640, height=480)
        add_cues(store, sid, [CUE])
    store.delete_session(gone)
    assert store.get_session(gone) is None
    assert [r.id for r in store.list_sessions()] == [keep]
    for model in CHILDREN:
        assert _count(url, model, gone) == 0, model.__tablename__
        assert _count(url, model, keep) == 1, model.__tablename__


# -- two stores, threads -------------------------------------------------------------------


def test_two_stores_share_one_file(url: str) -> None:
    a, b = Store(url), Store(url)
    try:
        sid = _new(a)
        assert b.get_session(sid) is not None
        b.add_events(sid, [{"t_s": 1.0, "kind": "from_b"}])
        a.add_events(sid, [{"t_s": 2.0, "kind": "from_a"}])
        assert [e["kind"] for e in a.list_events(sid)] == ["from_b", "from_a"]
        assert b.list_events(sid) == a.list_events(sid)

        rng = np.random.default_rng(5)
        errors: list[BaseException] = []
        n_threads, n_chunks = 6, 5

        def writer(k: int) -> None:
            st = a if k % 2 else b
            try:
                for j in range(n_chunks):
                    t, d = _frames(2, 10.0 * k + j, rng)
                    st.append_frames(sid, t, d, width=640, height=480)
                    st.add_events(sid, [{"t_s": float(j), "kind": f"w{k}"}])
                    st.upsert_rep(sid, _rep(1 + k))
                    st.list_reps(sid)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(n_threads)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        assert store_count_chunks(a, sid) == list(range(n_threads * n_chunks))
        assert a.load_track(sid).n_frames == n_threads * n_chunks * 2
        assert len(b.list_events(sid)) == 2 + n_threads * n_chunks
        assert [r["index"] for r in b.list_reps(sid)] == list(range(1, n_threads + 1))
    finally:
        a.close()
        b.close()


def store_count_chunks(store: Store, sid: str) -> list[int]:
    with store.transaction(write=False) as s:
        stmt = select(TrackChunkRow.seq).where(TrackChunkRow.session_id == sid)
        return sorted(s.scalars(stmt))


def test_closed_store_refuses(url: str) -> None:
    s = Store(url)
    s.close()
    with pytest.raises(StorageError, match="closed"):
        s.list_sessions()


# -- migrations ----------------------------------------------------------------------------


def _assert_models_match(url: str) -> None:
    """The database at ``url`` has the tables, columns and types of the models."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, Base.metadata) == []
    finally:
        engine.dispose()


def test_models_match_migrations(url: str) -> None:
    upgrade(url)
    _assert_models_match(url)


def test_migrations_on_empty_database(url: str) -> None:
    assert current_revision(url) is None
    upgrade(url, "head")
    assert current_revision(url) == head_revision() == "0008"
    assert _tables(url) >= TABLES
    downgrade(url, "base")
    assert current_revision(url) is None
    assert _tables(url) & TABLES == set()
    upgrade(url)
    assert _tables(url) >= TABLES
    with Store(url, migrate=False) as s:
        assert s.list_sessions() == []


def _safety_state(s: Store, sid: str) -> tuple[Any, ...]:
    return (
        screenings.list_screenings(s),
        symptoms.list_symptoms(s, sid),
        symptoms.list_symptoms(s, None),
        decisions.list_decisions(s),
        prescriptions.active_prescription(s),
    )


def test_migrations_on_populated_database(url: str) -> None:
    rng = np.random.default_rng(6)
    with Store(url) as s:
        sid = _new(s)
        s.add_events(sid, [{"t_s": 0.5, "kind": "rep_started", "rep": 1}])
        s.upsert_rep(sid, _rep(1))
        s.add_pain(sid, rep=0, score=1, skipped=False, t_s=None)
        s.add_feedback(sid, helpful=True, comment=None)
        t, d = _frames(12, 0.0, rng)
        s.append_frames(sid, t, d, width=640, height=480)
        screenings.add_screening(s, answers={"fever": "no"}, outcome="clear", locked=False)
        symptoms.add_symptoms(s, sid, [{"rep": 0, "pain": 2, "location": "buttock"}])
        symptoms.add_symptoms(s, None, [{"rep": 0, "pain": 1, "location": "back"}])
        decisions.add_decision(
            s,
            session_id=sid,
            action="keep",
            variant="forearms",
            target_hold_s=5.0,
            target_reps=3,
            target_peak_trunk_deg=None,
            reason="r",
            source="engine",
        )
        prescriptions.set_prescription(
            s, variant="hands_bent", hold_s=10, reps=4, sessions_per_day=2
        )
        add_cues(s, sid, [CUE])
        before_safety = _safety_state(s, sid)
        before = (s.get_session(sid), s.list_events(sid), s.list_reps(sid), s.list_pain(sid))

    upgrade(url, "head")  # already there: a no-op that keeps the data
    with Store(url) as s:
        assert (s.get_session(sid), s.list_events(sid), s.list_reps(sid), s.list_pain(sid)) == (
            before
        )
        assert len(s.list_feedback(sid)) == 1
        np.testing.assert_array_equal(s.load_track(sid).t_s, t)
        assert _safety_state(s, sid) == before_safety
        assert [c.text for c in list_cues(s, sid)] == ["Hold."]

    downgrade(url, "0005")  # drops only the cues; the rest stays
    assert _tables(url) & TABLES == TABLES - TABLES_0006
    assert _count(url, EventRow, sid) == 1
    upgrade(url, "head")
    with Store(url) as s:
        assert list_cues(s, sid) == [] and s.get_session(sid) == before[0]

    downgrade(url, "0001")  # drops only the safety tables; sessions stay
    assert _tables(url) & TABLES == TABLES_0001
    assert current_revision(url) == "0001"
    assert _count(url, EventRow, sid) == 1 and _count(url, TrackChunkRow, sid) == 1
    upgrade(url, "head")
    with Store(url) as s:
        assert s.get_session(sid) == before[0]
        assert screenings.latest_screening(s) is None and decisions.list_decisions(s) == []

    downgrade(url, "base")
    assert _tables(url) & TABLES == set()
    with pytest.raises(StorageError, match="revision None"):
        Store(url, migrate=False)

    upgrade(url, "head")
    with Store(url) as s:
        assert s.list_sessions() == [] and s.get_session(sid) is None


def test_rep_attempts_migration_round_trip(url: str) -> None:
    # 0005 keys a repetition by (number, start_s); going back to 0004 keeps each number's last
    with Store(url) as s:
        sid = _new(s)
        s.upsert_rep(sid, _rep(1, start_s=2.0, complete=False))
        s.upsert_rep(sid, _rep(1, start_s=8.0))
        assert [r["start_s"] for r in s.list_reps(sid)] == [2.0, 8.0]
    downgrade(url, "0004")
    assert current_revision(url) == "0004" and _count(url, RepRow, sid) == 1
    upgrade(url, "head")
    with Store(url) as s:
        reps = s.list_reps(sid)
        assert [(r["start_s"], r["complete"]) for r in reps] == [(8.0, True)]
        s.upsert_rep(sid, _rep(2, start_s=20.0, complete=False))
        s.upsert_rep(sid, _rep(2, start_s=30.0))
        assert [r["start_s"] for r in s.list_reps(sid)] == [8.0, 20.0, 30.0]


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _execute(url: str, sql: str, **params: Any) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        engine.dispose()


def _columns(url: str, table: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _account_0006(url: str, name: str, role: str, clinician: int | None, at: datetime) -> int:
    _execute(
        url,
        "INSERT INTO accounts (username, display_name, role, also_clinician, clinician_id, "
        "created_at, failed_logins) VALUES (:n, :d, :r, false, :c, :at, 0)",
        n=name,
        d=name,
        r=role,
        c=clinician,
        at=at,
    )
    return int(_rows(url, f"SELECT id FROM accounts WHERE username = '{name}'")[0][0])


def _check_care_team_migration(url: str) -> None:
    """0006 -> head -> 0006 -> head with accounts in it: each patient's clinician moves into
    the care team and back (the earliest member), reset codes and audit targets go down."""
    upgrade(url, "0006")
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    physio = _account_0006(url, "physio.one", "clinician", None, t0)
    other = _account_0006(url, "physio.two", "clinician", None, t0)
    pat = _account_0006(url, "pat.one", "patient", physio, t0 + timedelta(days=1))
    lone = _account_0006(url, "pat.two", "patient", None, t0)
    _execute(
        url,
        "INSERT INTO invites (code_hash, account_id, created_by, created_at, expires_at) "
        "VALUES (:h, :a, :b, :at, :at)",
        h="c" * 64,
        a=pat,
        b=physio,
        at=t0,
    )
    upgrade(url, "head")  # 0007 moves the clinicians; 0008 adds the second factor
    assert "clinician_id" not in _columns(url, "accounts")
    assert _rows(url, "SELECT patient_id, clinician_id, added_by FROM care_team") == [
        (pat, physio, None)
    ]
    assert _rows(url, "SELECT purpose FROM invites") == [("invite",)]
    with Store(url, migrate=False) as s:
        assert [p.username for p in acc.patients_of(s, physio)] == ["pat.one"]
        assert acc.care_team(s, lone) == []
        added = acc.add_to_care_team(s, patient_id=pat, clinician_id=other, added_by=physio)
        assert added.username == "physio.two"
        assert [c.username for c in acc.care_team(s, pat)] == ["physio.one", "physio.two"]
        acc.create_invite(
            s,
            code_hash="d" * 64,
            account_id=pat,
            created_by=physio,
            expires_at=utc_now() + timedelta(hours=1),
            purpose="reset",
        )
        who = acc.get_account(s, pat)
        acc.add_audit(s, actor=None, action="x", patient=None, address="-", target=who)
    assert _rows(url, "SELECT target_username FROM audit_log") == [("pat.one",)]
    downgrade(url, "0006")
    assert "care_team" not in _tables(url) and "purpose" not in _columns(url, "invites")
    assert "target_id" not in _columns(url, "audit_log")
    assert sorted(_rows(url, "SELECT username, clinician_id FROM accounts")) == [
        ("pat.one", physio),  # the care team's earliest member
        ("pat.two", None),
        ("physio.one", None),
        ("physio.two", None),
    ]
    assert _rows(url, "SELECT code_hash FROM invites") == [("c" * 64,)]  # the reset is gone
    assert _rows(url, "SELECT count(*) FROM audit_log") == [(1,)]
    with pytest.raises(Exception, match="append-only"):  # the triggers are still there
        _execute(url, "UPDATE audit_log SET action = 'y'")
    upgrade(url, "head")
    assert _rows(url, "SELECT patient_id, clinician_id FROM care_team") == [(pat, physio)]
    with pytest.raises(Exception, match="append-only"):
        _execute(url, "DELETE FROM audit_log")
    _assert_models_match(url)


def test_care_team_migration_round_trip(url: str) -> None:
    _check_care_team_migration(url)


def _check_two_factor_migration(url: str) -> None:
    """0008 and back with sign-ins in it: a sign-in waiting for its code goes down with the
    column (it could sign someone in without one), the others stay and come back verified."""
    upgrade(url, "head")
    later = utc_now() + timedelta(hours=1)
    with Store(url, migrate=False) as s:
        a = acc.create_account(s, username="dr.x", display_name="X", role="clinician")
        acc.set_two_factor(s, a.id, "JBSWY3DPEHPK3PXP", 5)
        for secret, verified in (("1", True), ("2", False)):
            acc.create_auth_session(
                s,
                session_hash=secret * 64,
                account_id=a.id,
                csrf_token="c",
                expires_at=later,
                address="-",
                verified=verified,
            )
        assert acc.two_factor_of(s, a.id) == ("JBSWY3DPEHPK3PXP", 5)
        assert acc.take_two_factor_step(s, a.id, 6) and not acc.take_two_factor_step(s, a.id, 6)
    downgrade(url, "0007")
    assert "totp_secret" not in _columns(url, "accounts")
    assert _rows(url, "SELECT id FROM auth_sessions") == [("1" * 64,)]
    upgrade(url, "head")
    with Store(url, migrate=False) as s:
        found = acc.auth_session(s, "1" * 64, utc_now())
        assert found is not None and found[0].verified and not found[1].has_two_factor
    _assert_models_match(url)


def test_two_factor_migration_round_trip(url: str) -> None:
    _check_two_factor_migration(url)


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("PRESSUP_TEST_POSTGRES_URL"),
    reason="set PRESSUP_TEST_POSTGRES_URL to test on PostgreSQL",
)
def test_care_team_and_two_factor_migrations_on_postgresql() -> None:
    from support.pg import fresh_database

    _check_care_team_migration(fresh_database(os.environ["PRESSUP_TEST_POSTGRES_URL"]))
    _check_two_factor_migration(fresh_database(os.environ["PRESSUP_TEST_POSTGRES_URL"]))


def test_migration_errors_are_storage_errors(url: str) -> None:
    with pytest.raises(StorageError, match="9999"):
        upgrade(url, "9999")
    with pytest.raises(StorageError, match="not a database URL"):
        Store("not a url")


# -- default URL ---------------------------------------------------------------------------


def test_default_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRESSUP_DATABASE_URL", "postgresql+psycopg://u@db/pressup")
    assert default_database_url() == "postgresql+psycopg://u@db/pressup"

    monkeypatch.delenv("PRESSUP_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_database_url() == f"sqlite:///{tmp_path / 'xdg' / 'pressup' / 'pressup.db'}"
    assert (tmp_path / "xdg" / "pressup").is_dir()

    monkeypatch.setenv("PRESSUP_DATABASE_URL", "")
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = tmp_path / "home" / ".local" / "share" / "pressup" / "pressup.db"
    assert default_database_url() == f"sqlite:///{expected}"
    assert expected.parent.is_dir()

    with Store() as s:  # opens the default database
        assert s.url == f"sqlite:///{expected}"
        assert s.list_sessions() == []
    assert expected.is_file()


# -- PostgreSQL (only when a server is given) ----------------------------------------------

PG_URL = os.environ.get("PRESSUP_TEST_POSTGRES_URL", "")


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="set PRESSUP_TEST_POSTGRES_URL to test on PostgreSQL")
def test_postgresql_round_trip() -> None:
    downgrade(PG_URL, "base")
    upgrade(PG_URL)
    _assert_models_match(PG_URL)
    rng = np.random.default_rng(8)
    with Store(PG_URL) as s:
        sid = _new(s, dose={"x": math.nan})
        s.update_session(sid, stage="exercise", reps_done=1, ended=True)
        s.add_events(sid, [{"t_s": math.nan, "kind": "x", "v": [math.inf]}])
        s.upsert_rep(sid, _rep(1, peak_elbow_deg=math.nan))
        s.upsert_rep(sid, _rep(1))
        s.add_pain(sid, rep=0, score=None, skipped=True, t_s=None)
        s.add_feedback(sid, helpful=False, comment="meh")
        t, d = _frames(40, 0.0, rng)
        d[3] = empty_frame()
        s.append_frames(sid, t[:20], d[:20], width=640, height=480)
        s.append_frames(sid, t[20:], d[20:], width=640, height=480)
        rec = s.get_session(sid)
        assert rec is not None and rec.dose == {"x": None} and rec.ended
        assert rec.created_at.utcoffset() is not None
        assert s.list_events(sid) == [{"t_s": None, "kind": "x", "rep": None, "v": [None]}]
        assert s.list_reps(sid) == [asdict(_rep(1))]
        assert s.list_pain(sid)[0]["skipped"] is True
        track = s.load_track(sid)
        np.testing.assert_array_equal(track.data, d.astype(np.float32).astype(np.float64))
        s.delete_session(sid)
        assert s.get_session(sid) is None
    assert _count(PG_URL, TrackChunkRow, sid) == 0
    downgrade(PG_URL, "base")
    assert _tables(PG_URL) & TABLES == set()


# -- many sessions at once -------------------------------------------------------------------


def test_bulk_reads_equal_the_per_session_reads(store: Store) -> None:
    """reps_of / pain_of / events_of / symptoms_of / session_data give, for every id, exactly
    what the per-session reads give; ids with nothing (or unknown) map to empty lists."""
    from pressup.sessions.records import session_data
    from pressup.storage.symptoms import add_symptoms, list_symptoms, symptoms_of

    ids = []
    for k in range(4):
        sid = _new(store)
        ids.append(sid)
        for i in range(1, k + 1):
            store.upsert_rep(sid, _rep(i, peak_trunk_deg=20.0 + k))
            store.add_pain(sid, rep=i, score=k, skipped=False, t_s=float(i))
        if k % 2:
            add_symptoms(store, sid, [{"rep": 0, "pain": k, "location": "thigh"}])
            store.add_events(
                sid,
                [
                    {"t_s": 1.0, "kind": "set_stopped", "reason": f"r{k}", "rules": []},
                    {"t_s": 2.0, "kind": "other", "x": 1},
                ],
            )
    unknown = "0" * 32
    reps = store.reps_of([*ids, unknown])
    pain = store.pain_of(ids)
    stops = store.events_of(ids, "set_stopped")
    symptoms = symptoms_of(store, ids)
    data = session_data(store, ids)
    assert reps[unknown] == []
    for sid in ids:
        assert reps[sid] == store.list_reps(sid)
        assert pain[sid] == store.list_pain(sid)
        assert stops[sid] == [e for e in store.list_events(sid) if e["kind"] == "set_stopped"]
        assert symptoms[sid] == list_symptoms(store, sid)
        assert data[sid].reps == reps[sid] and data[sid].stops == stops[sid]
    assert [len(reps[sid]) for sid in ids] == [0, 1, 2, 3]
    assert [len(stops[sid]) for sid in ids] == [0, 1, 0, 1]
