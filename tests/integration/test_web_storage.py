"""The live coach while the database cannot keep up: another process holding SQLite's write
lock, a full disk. Frames are still answered at once, the page is told
``storage_unavailable``, and everything acknowledged is written once the database is back."""

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


def test_a_locked_database_does_not_freeze_the_frames_and_loses_none(
    settings: Settings, db: Path
) -> None:
    frames = _frames(150)
    replies: list[dict[str, Any]] = []
    slowest = 0.0
    with TestClient(create_app(settings), base_url=LOCAL) as client:
        with client.websocket_connect(
            f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}
        ) as ws:
            sid = _hello(ws)
            with _write_lock(db):
                for f in frames[:120]:  # 4 s of frames while the lock is held
                    t0 = time.perf_counter()
                    ws.send_text(json.dumps(f))
                    msg = json.loads(ws.receive_text())
                    while msg["type"] == "error" and msg["code"] == "storage_unavailable":
                        replies.append(msg)
                        msg = json.loads(ws.receive_text())
                    slowest = max(slowest, time.perf_counter() - t0)
                    assert msg["type"] == "update" and msg["seq"] == f["seq"], msg
                    time.sleep(1 / 30)
            for f in frames[120:]:
                ws.send_text(json.dumps(f))
                assert json.loads(ws.receive_text())["type"] in ("update", "error")
        assert slowest < 1.0, f"a frame waited {slowest:.2f} s for its reply"
        assert replies, "the page was not told that the database is unavailable"
        assert "kept in memory" in replies[0]["message"]
    with Store(settings.database_url) as store:
        assert store.load_track(sid).n_frames == 150


class _Disk:
    """A disk that is full while ``full`` is set: every store transaction fails."""

    def __init__(self, store: Store) -> None:
        self.full = threading.Event()
        self._transaction = store.transaction

        @contextmanager
        def transaction(*, write: bool) -> Iterator[Any]:
            if self.full.is_set():
                raise StorageUnavailableError("database or disk is full")
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
            told = []
            for f in frames[:100]:
                ws.send_text(json.dumps(f))
                msg = json.loads(ws.receive_text())
                while msg["type"] == "error":
                    assert msg["code"] == "storage_unavailable", msg
                    told.append(msg)
                    msg = json.loads(ws.receive_text())
                assert msg["type"] == "update" and msg["seq"] == f["seq"]
                time.sleep(0.02)
            ws.send_text(json.dumps({"v": 1, "type": "pain", "rep": 0, "score": 3}))
            msg = json.loads(ws.receive_text())
            assert msg["type"] == "error" and msg["code"] == "storage_unavailable", msg
            assert "pain rating" in msg["message"]
            disk.full.clear()  # space freed: the rating is stored, then acknowledged
            msg = json.loads(ws.receive_text())
            assert msg == {"v": 1, "type": "saved", "what": "pain", "rep": 0}
            assert told, "the page was not told that the database is unavailable"
            for f in frames[100:]:
                ws.send_text(json.dumps(f))
                assert json.loads(ws.receive_text())["type"] == "update"
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
        with _write_lock(db):
            for f in frames[:60]:  # 2 s at 30 frames/s
                ws.send_text(json.dumps(f))
                msg = json.loads(ws.receive_text())
                while msg["type"] == "error":
                    assert msg["code"] == "storage_unavailable", msg
                    assert "locked" in msg["message"], msg
                    msg = json.loads(ws.receive_text())
                assert msg["type"] == "update" and msg["seq"] == f["seq"]
                time.sleep(1 / 30)
        for f in frames[60:]:
            ws.send_text(json.dumps(f))
            msg = json.loads(ws.receive_text())
            while msg["type"] == "error":
                msg = json.loads(ws.receive_text())
            assert msg["type"] == "update"
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
        for f in frames[:100]:
            ws.send_text(json.dumps(f))
            msg = json.loads(ws.receive_text())
            while msg["type"] == "error" and msg["seq"] is None:
                msg = json.loads(ws.receive_text())  # the storage_unavailable notice
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
            msg = json.loads(ws.receive_text())
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
        saved = json.loads(ws.receive_text())
        assert saved == {"v": 1, "type": "saved", "what": "pain", "rep": 0}
        assert json.loads(ws.receive_text())["type"] == "review"
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
        assert "storage_unavailable" in r.json()["detail"]
        assert r.headers["x-frame-options"] == "DENY"
        disk.full.clear()
        assert client.get(f"/api/progress?token={TOKEN}").status_code == 200
