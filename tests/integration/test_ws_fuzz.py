"""A WebSocket fuzzer: valid messages of every type, mutated so that each must be refused.

Every mutated message must be answered by exactly one ``error`` reply with an input error code
(never a dropped connection, never a server error), and the session must go on with its count
unchanged: the next valid frame is answered with an ``update``, and the repetitions done and
the frames stored are what the valid frames alone give.

The default suite sends a few hundred mutations; ``-m slow`` sends 2,500.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pressup.storage import Store
from pressup.synthetic import RepScript, SessionScript, make_session
from pressup.web.app import create_app
from pressup.web.settings import Settings
from support import LOCAL, LOCAL_WS, settle
from support.web import frame_messages

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
TOKEN = "fuzz-token"
#: The codes a refused input may get (``docs/protocol.md``); anything else is a bug.
INPUT_CODES = {"bad_json", "too_large", "bad_schema", "bad_value", "out_of_order"}

Mutation = Callable[[random.Random, dict[str, Any]], "str | bytes"]


def _valid_frames() -> list[dict[str, Any]]:
    reps = [RepScript("forearms", 2.0, 11.0, 2.5, 3.0)]
    track, _ = make_session(SessionScript(reps=reps))
    return frame_messages(track, range(0, track.n_frames, 2))


OTHERS: list[dict[str, Any]] = [
    {"v": 1, "type": "ping"},
    {"v": 1, "type": "pain", "rep": 0, "score": 2, "location": "back"},
    {"v": 1, "type": "feedback", "helpful": True, "comment": "fine"},
    {"v": 1, "type": "control", "action": "pause"},
    {"v": 1, "type": "hello", "session": None, "client": "fuzz"},
]

#: Values of the wrong type or out of range for each field (every one must be refused).
BAD_VALUES: dict[str, list[Any]] = {
    "v": [0, 2, "1", None, 1.5, [], {}],
    "type": ["", "frames", None, 7, ["frame"], "PING"],
    "seq": [-1, "3", 2.5, None, [], 10**40, "x"],
    "t": [-0.001, "1.0", None, 1e300, 10**400 // 10**390 * 10**390, [], {}],
    "w": [0, 15, 8193, 10**20, "640", None, 12.5],
    "h": [-1, 9000, "480", None, []],
    "lm": ["x", 7, {}, [[0.5, 0.5, 0.0, 1.0]] * 32, [[0.5, 0.5, 0.0, 1.0]] * 34, [[]] * 33],
    "light": [-0.1, 1.01, "bright", [], 1e308],
    "rep": [-1, 101, "2", None, 1.5, 10**30],
    "score": [-1, 11, "3", 2.5, []],
    "location": ["knee", "", 3, []],
    "helpful": ["yes", 2, None, []],
    "comment": ["x" * 1001, 5, [], {}],
    "action": ["stop", "", None, 3],
    "session": ["x", "0" * 31, "Z" * 32, 5, []],
    "client": ["c" * 101, 5, []],
}
BAD_LANDMARK_VALUES: list[Any] = [1e300, -1e300, 1e39, 50.0, -12.0, "0.5", None, [], {}]


def _truncate(rng: random.Random, msg: dict[str, Any]) -> str:
    raw = json.dumps(msg)
    return raw[: rng.randrange(0, len(raw) - 1)]


def _bad_value(rng: random.Random, msg: dict[str, Any]) -> str:
    keys = [k for k in msg if k in BAD_VALUES]
    key = rng.choice(keys)
    out = dict(msg)
    out[key] = rng.choice(BAD_VALUES[key])
    return json.dumps(out)


def _extra_key(rng: random.Random, msg: dict[str, Any]) -> str:
    out = dict(msg)
    out[rng.choice(["extra", "Seq", "__proto__", "x" * 40, ""])] = rng.choice([1, "a", None, []])
    return json.dumps(out)


def _drop_key(rng: random.Random, msg: dict[str, Any]) -> str:
    required = {"v", "type", "seq", "t", "w", "h", "lm", "rep", "helpful", "action"}
    keys = [k for k in msg if k in required]
    gone = rng.choice(keys)
    out = {k: v for k, v in msg.items() if k != gone}
    return json.dumps(out)


def _bad_landmark(rng: random.Random, msg: dict[str, Any]) -> str:
    if msg.get("type") != "frame" or msg.get("lm") is None:
        return _bad_value(rng, msg)
    out = json.loads(json.dumps(msg))
    i, j = rng.randrange(33), rng.randrange(4)
    choice = rng.randrange(3)
    if choice == 0:
        out["lm"][i][j] = rng.choice(BAD_LANDMARK_VALUES)
    elif choice == 1:
        out["lm"][i] = out["lm"][i][: rng.randrange(4)] or out["lm"][i] + [0.0]
    else:
        return json.dumps(out).replace(
            json.dumps(out["lm"][i][j]), rng.choice(["NaN", "Infinity", "-Infinity"]), 1
        )
    return json.dumps(out)


def _not_an_object(rng: random.Random, msg: dict[str, Any]) -> str:
    return json.dumps(rng.choice([[msg], 1, "frame", None, True, [], 1e300]))


def _nested(rng: random.Random, msg: dict[str, Any]) -> str:
    depth = rng.choice([9, 50, 1_000, 20_000])
    out = json.dumps(msg)[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"
    return out


def _garbage(rng: random.Random, msg: dict[str, Any]) -> str:
    raw = json.dumps(msg)
    cut = rng.randrange(len(raw))
    junk = "".join(rng.choice('{}[]",:\\ \x00\x7fé日0aZ') for _ in range(rng.randrange(1, 6)))
    # a stray character before the object or a broken closing keeps it invalid
    return rng.choice(
        [junk[0] + raw if junk[0] not in " " else "x" + raw, raw[:cut] + junk + "\x00"]
    )


def _binary(rng: random.Random, msg: dict[str, Any]) -> bytes:
    return rng.choice([json.dumps(msg).encode(), bytes(rng.randrange(256) for _ in range(64)), b""])


def _too_large(rng: random.Random, msg: dict[str, Any]) -> str:
    out = dict(msg)
    out["pad"] = "x" * rng.choice([65_536, 100_000, 1_000_000])
    return json.dumps(out)


def _huge_number(rng: random.Random, msg: dict[str, Any]) -> str:
    raw = json.dumps(msg)
    return raw[:-1] + ', "n": ' + "9" * rng.choice([5_000, 20_000]) + "}"


MUTATIONS: list[tuple[Mutation, int]] = [
    (_truncate, 4),
    (_bad_value, 8),
    (_extra_key, 2),
    (_drop_key, 2),
    (_bad_landmark, 6),
    (_not_an_object, 1),
    (_nested, 1),
    (_garbage, 2),
    (_binary, 1),
    (_too_large, 1),
    (_huge_number, 1),
]


def _next(ws: Any) -> dict[str, Any]:
    """The next reply, past any ``storage_unavailable`` notice (not a reply to a message: the
    server sends it when the database is slow, which a loaded test machine can make it)."""
    while True:
        msg: dict[str, Any] = json.loads(ws.receive_text())
        if not (msg.get("code") == "storage_unavailable" and msg.get("seq") is None):
            return msg


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        port=PORT,
        token=TOKEN,
        database_url=f"sqlite:///{tmp_path / 'fuzz.db'}",
        pose_assets_dir=None,
        require_screening=False,
    )
    with TestClient(create_app(settings), base_url=LOCAL) as c:
        yield c


def _fuzz(client: TestClient, n: int, seed: int) -> None:
    rng = random.Random(seed)
    frames = _valid_frames()
    funcs = [f for f, _ in MUTATIONS]
    weights = [w for _, w in MUTATIONS]
    refused: dict[str, int] = {}
    next_frame = 0
    with client.websocket_connect(f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}) as ws:
        ws.send_text(json.dumps(OTHERS[-1]))
        welcome = json.loads(ws.receive_text())
        assert welcome["type"] == "welcome"
        sid = welcome["session"]
        for k in range(n):
            base = (
                frames[min(next_frame, len(frames) - 1)]
                if rng.random() < 0.7
                else rng.choice(OTHERS)
            )
            mutation = rng.choices(funcs, weights)[0]
            raw = mutation(rng, base)
            if isinstance(raw, bytes):
                ws.send_bytes(raw)
            else:
                ws.send_text(raw)
            reply = _next(ws)
            assert reply["type"] == "error", (k, mutation.__name__, str(raw)[:200], reply)
            assert reply["code"] in INPUT_CODES, (k, mutation.__name__, reply)
            assert reply["message"], reply
            refused[reply["code"]] = refused.get(reply["code"], 0) + 1
            if k % 5 == 0 and next_frame < len(frames):  # the session goes on
                ws.send_text(json.dumps(frames[next_frame]))
                upd = _next(ws)
                assert upd["type"] == "update" and upd["seq"] == next_frame, upd
                next_frame += 1
        ws.send_text(json.dumps({"v": 1, "type": "ping"}))
        assert _next(ws)["type"] == "pong"
        reps_done = client.app.state.hub.live[sid].session.state.reps_done
    settle(client)
    assert {"bad_json", "bad_schema", "too_large", "bad_value"} <= set(refused), refused
    # the count is what the valid frames alone give
    with (
        TestClient(
            base_url=LOCAL,
            app=create_app(
                Settings(
                    port=PORT,
                    token=TOKEN,
                    database_url=client.app.state.settings.database_url,
                    pose_assets_dir=None,
                    require_screening=False,
                )
            ),
        ) as c2,
        c2.websocket_connect(f"{LOCAL_WS}/ws?token={TOKEN}", headers={"origin": ORIGIN}) as ws2,
    ):
        ws2.send_text(json.dumps({"v": 1, "type": "hello", "session": sid}))
        again = json.loads(ws2.receive_text())
        assert again["status"]["reps_done"] == reps_done
    with Store(client.app.state.settings.database_url) as store:
        assert store.load_track(sid).n_frames == next_frame


def test_mutated_messages_each_get_an_error_and_the_session_goes_on(client: TestClient) -> None:
    _fuzz(client, n=300, seed=1)


@pytest.mark.slow
def test_thousands_of_mutated_messages_each_get_an_error(client: TestClient) -> None:
    _fuzz(client, n=2_500, seed=2)
