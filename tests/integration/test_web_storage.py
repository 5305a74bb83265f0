"""The live coach while the database cannot keep up: another process holding SQLite's write
lock, a full disk. Frames are still answered at once, the page is told
``storage_unavailable`` (after a write failed, or after no write completed for
``storage_alarm_s``; a short wait is no alarm), then ``storage_back`` when writes go on, and
everything acknowledged is written once the database is back."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pressup.errors import StorageUnavailableError
from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.app import create_app
from pressup.web.settings import Settings
from support import LOCAL, LOCAL_WS
from support.web import coach_settings

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
TOKEN = "storage-token"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "coach.db"


@pytest.fixture
def settings(db: Path) -> Settings:
    return coach_settings(PORT, TOKEN, db, require_screening=False)


def _frames(n: int) -> list[dict[str, Any]]:
    track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2.0, 11.0, 2.5, 3.0)]))
    w, h = track.source.width, track.source.height
    out = []
    for seq in range(n):
        row = track.data[seq % track.n_frames]
        lm = [[x / w, y / h, z / w, v] for x, y, z, v in row.tolist()]
        out.append({"v": 1, "type": "frame", "seq": seq, "t": seq / 30.0, "w": w, "h": h, "lm": lm})
    return out


def _is_notice(msg: dict[str, Any]) -> bool:
    """A storage notice (``storage_unavailable`` for no frame in particular, ``storage_back``)."""
    unavailable = msg["type"] == "error" and msg["code"] == "storage_unavailable"
    return msg["type"] == "storage_back" or (unavailable and msg["seq"] is None)


def _next(ws: Any, notices: list[dict[str, Any]]) -> dict[str, Any]:
    """The next message that is not a storage notice (those go to ``notices``)."""
    while True:
        msg: dict[str, Any] = json.loads(ws.receive_text())
        if not _is_notice(msg):
            return msg
        notices.append(msg)


def _hello(ws: Any) -> str:
    ws.send_text(json.dumps({"v": 1, "type": "hello", "session": None, "client": "test"}))
    msg = json.loads(ws.receive_text())
    assert msg["type"] == "welcome", msg
    return str(msg["session"])


@contextmanager
def _write_lock(db: Path) -> Iterator[None]:
    """Another process's write transaction on the database (SQLite's write lock)."""
    other = sqlite3.connect(db, isolation_level=None, timeout=0.1)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("COMMIT")
    finally:
        other.close()


def _stream(ws: Any, frames: list[dict[str, Any]], notices: list[dict[str, Any]]) -> float:
    """Send ``frames`` at 30 a second, each answered by its ``update``; the slowest answer (s)."""
    slowest = 0.0
    for f in frames:
        t0 = time.perf_counter()
        ws.send_text(json.dumps(f))
        msg = _next(ws, notices)
        slowest = max(slowest, time.perf_counter() - t0)
        assert msg["type"] == "update" and msg["seq"] == f["seq"], msg
        time.sleep(1 / 30)
    return slowest


def test_a_locked_database_does_not_freeze_the_frames_and_loses_none(db: Path) -> None:
    settings = coach_settings(PORT, TOKEN, db, require_screening=False, storage_alarm_s=1.0)
    frames = _frames(180)
    told: list[dict[str, Any]] = []
    after: list[dict[str, Any]] = []
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        with client.websocket_connect(
            f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}
        ) as ws:
            sid = _hello(ws)
            with _write_lock(db):
                slowest = _stream(ws, frames[:120], told)  # 4 s of frames while locked
            _stream(ws, frames[120:], after)  # 2 s more: the writes go on
        assert slowest < 1.0, f"a frame waited {slowest:.2f} s for its reply"
        assert told, "the page was not told that the database is unavailable"
        assert [m["type"] for m in told] == ["error"], told  # once for the spell
        assert "kept in memory" in told[0]["message"]
        assert "no write has completed for 1 s" in told[0]["message"], told[0]
        assert [m["type"] for m in after] == ["storage_back"], after
        assert after[0]["message"].startswith("the database can be written again")
    with Store(settings.database_url) as store:
        assert store.load_track(sid).n_frames == 180


def test_a_short_wait_for_the_database_is_no_alarm(settings: Settings, db: Path) -> None:
    """A loaded machine, or another process writing for a moment: 2 s without a completed
    write is under the alarm (5 s by default), so the page is not told anything."""
    assert settings.storage_alarm_s == 5.0
    frames = _frames(120)
    notices: list[dict[str, Any]] = []
    with (
        TestClient(create_app(settings), base_url=LOCAL) as client,
        client.websocket_connect(f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}) as ws,
    ):
        sid = _hello(ws)
        with _write_lock(db):
            _stream(ws, frames[:60], notices)  # 2 s locked
        _stream(ws, frames[60:], notices)
        assert client.app.state.hub.writer.wait_idle(10.0)
    assert notices == [], notices
    with Store(settings.database_url) as store:
        assert store.load_track(sid).n_frames == 120


class _Disk:
    """A disk that is full while ``full`` is set: every store transaction fails."""

    def __init__(self, store: Store) -> None:
        self.full = threading.Event()
        self._transaction = store.transaction

        @contextmanager
        def transaction(*, write: bool) -> Iterator[Any]:
            if self.full.is_set():  # as the store words it
                raise StorageUnavailableError(
                    f"database {store.url} cannot be used now: database or disk is full",
                    reason="its disk is full",
                )
            with self._transaction(write=write) as s:
                yield s

        store.transaction = transaction  # type: ignore[method-assign]


def test_a_full_disk_keeps_frames_and_a_rating_until_they_can_be_written(
    settings: Settings,
) -> None:
    frames = _frames(120)
    store = Store(settings.database_url)
    disk = _Disk(store)
    with TestClient(create_app(settings, store=store), base_url=LOCAL) as client:  # noqa: SIM117 - the asserts after the tab left need the app
        with client.websocket_connect(
            f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}
        ) as ws:
            sid = _hello(ws)
            disk.full.set()
            told: list[dict[str, Any]] = []
            t0 = time.perf_counter()
            for f in frames[:100]:
                ws.send_text(json.dumps(f))
                msg = _next(ws, told)
                assert msg["type"] == "update" and msg["seq"] == f["seq"]
                if told and "at" not in told[0]:
                    told[0]["at"] = time.perf_counter() - t0
                time.sleep(0.02)
            # a write that failed is told at once, not after the alarm's 5 s
            assert told and told[0]["at"] < 2.0, told
            ws.send_text(json.dumps({"v": 1, "type": "pain", "rep": 0, "score": 3}))
            msg = json.loads(ws.receive_text())
            assert msg["type"] == "error" and msg["code"] == "storage_unavailable", msg
            assert "pain rating" in msg["message"]
            disk.full.clear()  # space freed: the rating is stored, then acknowledged
            back: list[dict[str, Any]] = []
            msg = _next(ws, back)
            assert msg == {"v": 1, "type": "saved", "what": "pain", "rep": 0}
            for f in frames[100:]:
                ws.send_text(json.dumps(f))
                assert _next(ws, back)["type"] == "update"
            if not back:  # the hub looks every 0.25 s; the frames may have been quicker
                back.append(json.loads(ws.receive_text()))
            assert [m["type"] for m in back] == ["storage_back"], back
    with Store(settings.database_url) as again:
        assert again.load_track(sid).n_frames == 120
        assert [p["score"] for p in again.list_pain(sid)] == [3]


def test_a_lock_held_past_the_busy_timeout_is_retried_and_drops_nobody(
    settings: Settings, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite gives up after its busy timeout ("database is locked"); the coach tries again
    until the lock is gone (the probe: 35 s of lock dropped every client; here the timeout is
    0.2 s and the lock is held for 2 s, ten timeouts)."""
    import pressup.storage.store as store_module

    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_S", 0.2)
    frames = _frames(90)
    with (
        TestClient(create_app(settings), base_url=LOCAL) as client,
        client.websocket_connect(f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}) as ws,
    ):
        sid = _hello(ws)
        notices: list[dict[str, Any]] = []
        with _write_lock(db):
            _stream(ws, frames[:60], notices)  # 2 s at 30 frames/s
        assert notices and all("locked" in m["message"] for m in notices), notices
        _stream(ws, frames[60:], notices)
    with Store(settings.database_url) as store:
        assert store.load_track(sid).n_frames == 90


def test_past_the_backlog_new_frames_are_refused_not_acknowledged(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory is not endless: with more frames waiting than the backlog holds, a new frame is
    refused (``storage_unavailable`` with its ``seq``), never acknowledged and then lost."""
    import pressup.web.hub as hub_module

    monkeypatch.setattr(hub_module, "MAX_BACKLOG_FRAMES", 70)
    frames = _frames(140)
    store = Store(settings.database_url)
    disk = _Disk(store)
    acknowledged: list[int] = []
    refused: list[int] = []
    with (
        TestClient(create_app(settings, store=store), base_url=LOCAL) as client,
        client.websocket_connect(f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}) as ws,
    ):
        sid = _hello(ws)
        disk.full.set()
        notices: list[dict[str, Any]] = []
        for f in frames[:100]:
            ws.send_text(json.dumps(f))
            msg = _next(ws, notices)
            if msg["type"] == "update":
                acknowledged.append(msg["seq"])
            else:
                assert msg["code"] == "storage_unavailable" and msg["seq"] == f["seq"], msg
                assert "frame dropped" in msg["message"]
                refused.append(msg["seq"])
        disk.full.clear()
        assert client.app.state.hub.writer.wait_idle(10.0)
        for f in frames[100:]:
            ws.send_text(json.dumps(f))
            msg = _next(ws, notices)
            assert msg["type"] == "update", msg
            acknowledged.append(msg["seq"])
    assert refused and acknowledged[:60] == list(range(60))
    with Store(settings.database_url) as again:
        assert again.load_track(sid).n_frames == len(acknowledged)


def test_a_stop_rule_does_not_wait_for_the_database(settings: Settings) -> None:
    """Pain 8 before the set must stop it at once, even with the disk full; the rating's
    ``saved`` comes when it is stored."""
    store = Store(settings.database_url)
    disk = _Disk(store)
    with (
        TestClient(create_app(settings, store=store), base_url=LOCAL) as client,
        client.websocket_connect(f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}) as ws,
    ):
        sid = _hello(ws)
        disk.full.set()
        ws.send_text(json.dumps({"v": 1, "type": "pain", "rep": 0, "score": 8, "location": "back"}))
        t0 = time.perf_counter()
        stop = json.loads(ws.receive_text())
        waited = time.perf_counter() - t0
        assert stop["type"] == "update" and stop["status"]["stage"] == "done", stop
        assert stop["events"][0]["rules"] == ["pain_limit"]
        assert waited < 3.0, f"the stop waited {waited:.1f} s"
        notice = json.loads(ws.receive_text())
        assert notice["type"] == "error" and notice["code"] == "storage_unavailable", notice
        disk.full.clear()
        back: list[dict[str, Any]] = []
        saved = _next(ws, back)
        assert saved == {"v": 1, "type": "saved", "what": "pain", "rep": 0}
        assert _next(ws, back)["type"] == "review"
        if not back:  # told that storage is back, even with no frame coming
            back.append(json.loads(ws.receive_text()))
        assert [m["type"] for m in back] == ["storage_back"], back
    with Store(settings.database_url) as again:
        assert [p["score"] for p in again.list_pain(sid)] == [8]
        assert again.get_session(sid).ended  # type: ignore[union-attr]


def test_an_http_write_during_a_lock_does_not_freeze_the_live_coach(
    settings: Settings, db: Path
) -> None:
    """A prescription saved while another process holds the write lock waits in a worker
    thread; a tab's ping meanwhile is answered at once."""
    body = {"variant": "forearms", "hold_s": 10, "reps": 3}
    result: dict[str, Any] = {}
    with (
        TestClient(create_app(settings), base_url=LOCAL) as client,
        client.websocket_connect(f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}) as ws,
    ):
        _hello(ws)
        with _write_lock(db):
            post = threading.Thread(
                target=lambda: result.update(
                    r=client.post(
                        f"/api/prescription?token={TOKEN}", json=body, headers={"origin": ORIGIN}
                    )
                )
            )
            post.start()
            time.sleep(0.5)  # the POST now waits for the lock
            t0 = time.perf_counter()
            ws.send_text(json.dumps({"v": 1, "type": "ping"}))
            assert json.loads(ws.receive_text())["type"] == "pong"
            waited = time.perf_counter() - t0
            time.sleep(1.0)
        post.join(timeout=30)
    assert waited < 0.5, f"a ping waited {waited:.2f} s behind a database write"
    assert result["r"].status_code == 201, result["r"].text


def test_a_store_that_cannot_be_used_now_is_a_503(settings: Settings) -> None:
    store = Store(settings.database_url)
    disk = _Disk(store)
    with TestClient(create_app(settings, store=store), base_url=LOCAL) as client:
        disk.full.set()
        r = client.get(f"/api/progress?token={TOKEN}")
        assert r.status_code == 503, r.text
        assert r.json()["detail"] == (
            "storage_unavailable: the database cannot be used just now (its disk is full); "
            "please try again in a few seconds"
        )
        assert settings.database_url.removeprefix("sqlite:///") not in r.text  # no file name
        assert r.headers["x-frame-options"] == "DENY" and r.headers["retry-after"] == "5"
        disk.full.clear()
        assert client.get(f"/api/progress?token={TOKEN}").status_code == 200
