"""The live coach under hostile or broken input: bounded numbers, frames that cannot poison a
session, messages the WebSocket must answer with an ``error`` and go on, the token compared as
bytes."""

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
from support import LOCAL_WS, post_endless_body, settle
from support.web import coach_settings, frame_messages

PORT = 8765
ORIGIN = f"http://127.0.0.1:{PORT}"
TOKEN = "test-token-123"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return coach_settings(PORT, TOKEN, tmp_path / "coach.db", require_screening=False)


def ws_connect(client: TestClient, token: str = TOKEN) -> Any:
    return client.websocket_connect(f"{LOCAL_WS}/ws?token={token}", headers={"origin": ORIGIN})


def frames(n: int = 60) -> list[dict[str, Any]]:
    """``n`` browser frame messages of a synthetic press-up (normalised landmarks)."""
    track, _ = make_session(SessionScript(reps=[RepScript("forearms", 2.0, 11.0, 2.5, 3.0)]))
    return frame_messages(track, range(n))


def hello(ws: Any) -> str:
    ws.send_text(json.dumps({"v": 1, "type": "hello", "session": None, "client": "test"}))
    msg = json.loads(ws.receive_text())
    assert msg["type"] == "welcome"
    return str(msg["session"])


def reply(ws: Any) -> dict[str, Any]:
    """The next reply, past any ``storage_unavailable`` notice (sent when the database is slow,
    which a loaded test machine can make it; not a reply to a message)."""
    while True:
        msg: dict[str, Any] = json.loads(ws.receive_text())
        if not (msg.get("code") == "storage_unavailable" and msg.get("seq") is None):
            return msg


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("z", 1e300),
        ("z", -1e39),
        ("visibility", 1e30),
        ("visibility", -0.5),
        ("x", 1e300),
    ],
)
def test_an_enormous_number_is_refused_and_the_session_keeps_every_good_frame(
    client: TestClient, settings: Settings, where: str, value: float
) -> None:
    fs = frames(60)
    col = {"x": 0, "y": 1, "z": 2, "visibility": 3}[where]
    bad = json.loads(json.dumps(fs[30]))
    bad["lm"][5][col] = value
    with ws_connect(client) as ws:
        sid = hello(ws)
        for f in fs[:30]:
            ws.send_text(json.dumps(f))
            assert reply(ws)["type"] == "update"
        ws.send_text(json.dumps(bad))
        err = reply(ws)
        assert err["type"] == "error" and err["code"] == "bad_schema", err
        assert "lm" in err["message"] and "got" in err["message"]
        for f in fs[30:]:
            ws.send_text(json.dumps(f))
            assert reply(ws)["type"] == "update"
    settle(client)
    with Store(settings.database_url) as store:
        track = store.load_track(sid)
    assert track.n_frames == 60


@pytest.mark.parametrize(
    ("field", "value"),
    [("seq", 10**30), ("t", 1e300), ("w", 10**20), ("light", 1e300), ("h", -5)],
)
def test_every_number_of_a_frame_is_bounded(client: TestClient, field: str, value: float) -> None:
    f = frames(1)[0]
    f[field] = value
    with ws_connect(client) as ws:
        hello(ws)
        ws.send_text(json.dumps(f))
        err = reply(ws)
        assert err["type"] == "error" and err["code"] == "bad_schema", err
        assert field in err["message"]


def test_a_binary_frame_gets_an_error_and_the_session_goes_on(client: TestClient) -> None:
    f = frames(1)[0]
    with ws_connect(client) as ws:
        hello(ws)
        ws.send_bytes(json.dumps(f).encode())
        err = reply(ws)
        assert err["type"] == "error" and err["code"] == "bad_json"
        assert "binary" in err["message"]
        ws.send_text(json.dumps(f))
        assert reply(ws)["type"] == "update"


def test_deeply_nested_json_gets_an_error_and_the_session_goes_on(client: TestClient) -> None:
    f = frames(1)[0]
    with ws_connect(client) as ws:
        hello(ws)
        for depth in (1_000, 30_000):
            ws.send_text('{"v": 1, "type": "ping", "x": ' + "[" * depth + "]" * depth + "}")
            err = reply(ws)
            assert err["type"] == "error" and err["code"] == "bad_json", err
            assert "nested" in err["message"]
        ws.send_text(json.dumps(f))
        assert reply(ws)["type"] == "update"


def test_a_ten_megabyte_message_gets_too_large_and_the_session_goes_on(
    client: TestClient,
) -> None:
    f = frames(1)[0]
    with ws_connect(client) as ws:
        hello(ws)
        ws.send_text('{"v": 1, "type": "ping", "pad": "' + "x" * 10_000_000 + '"}')
        err = reply(ws)
        assert err["type"] == "error" and err["code"] == "too_large"
        ws.send_text(json.dumps(f))
        assert reply(ws)["type"] == "update"


def test_the_server_accepts_websocket_messages_up_to_the_size_it_answers() -> None:
    """uvicorn closes the socket (1009) over ``ws_max_size`` before the app sees the message;
    the coach must read messages of 10 MB to answer them with ``too_large``."""
    from pressup.web.app import WS_MAX_SIZE

    assert WS_MAX_SIZE >= 10_000_000 + 1024


@pytest.mark.parametrize("token", ["tökén", "日本語", "\u0000"])
def test_a_non_ascii_token_is_refused_not_a_server_error(client: TestClient, token: str) -> None:
    r = client.get("/api/sessions", params={"token": token})
    assert r.status_code == 403
    r = client.post(
        "/api/prescription", params={"token": token}, headers={"origin": ORIGIN}, json={}
    )
    assert r.status_code == 403


# -- the guard: Host allow-list, security headers on every reply, the body counted as it streams


def test_a_foreign_host_header_is_refused(settings: Settings) -> None:
    """DNS rebinding: a page at evil.example resolving to 127.0.0.1 sends ``Host: evil...``."""
    with TestClient(create_app(settings), base_url="http://evil.example:8765") as c:
        r = c.get("/api/health")
        assert r.status_code == 400
        assert "evil.example" in r.json()["detail"]
        assert r.headers["x-frame-options"] == "DENY"
        with (
            pytest.raises(WebSocketDenialResponse) as info,
            c.websocket_connect(
                f"ws://evil.example:8765/ws?token={TOKEN}", headers={"origin": ORIGIN}
            ),
        ):
            pass
        assert info.value.status_code == 400  # the upgrade's refusal, with the headers
        assert "evil.example" in info.value.json()["detail"]
        _assert_security_headers(info.value)


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "localhost"])
def test_local_host_headers_are_served(settings: Settings, host: str) -> None:
    with TestClient(create_app(settings), base_url=f"http://{host}") as c:
        assert c.get("/api/health").status_code == 200


def _assert_security_headers(r: Any) -> None:
    csp = r.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, r.headers
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/health", 200),
        ("GET", f"/api/sessions?token={TOKEN}", 200),
        ("GET", "/api/sessions?token=wrong", 403),
        ("POST", "/api/prescription?token=wrong", 403),
        ("GET", "/no/such/page", 404),
        ("GET", f"/api/progress?token={TOKEN}", 200),
        ("GET", "/", 200),
    ],
)
def test_every_reply_carries_the_security_headers_and_no_store(
    client: TestClient, method: str, path: str, status: int
) -> None:
    r = client.request(method, path, headers={"origin": ORIGIN})
    assert r.status_code == status
    _assert_security_headers(r)
    assert r.headers["cache-control"] == "no-store"


def test_the_page_s_static_files_may_be_cached(client: TestClient) -> None:
    r = client.get("/static/app.js")
    assert r.status_code == 200
    _assert_security_headers(r)
    assert "no-store" not in r.headers.get("cache-control", "")


def test_a_large_body_is_refused_while_it_streams_not_after_reading_it(
    settings: Settings,
) -> None:
    """A 300 MB POST without ``Content-Length``, fed to the app chunk by chunk (the test client
    would read it all first): the 413 comes after the first chunks, not after 300 MB."""
    start, read = post_endless_body(
        create_app(settings),
        "/api/prescription",
        [
            (b"host", b"127.0.0.1:8765"),
            (b"origin", ORIGIN.encode()),
            (b"content-type", b"application/json"),
        ],
        query_string=f"token={TOKEN}".encode(),
        server=("127.0.0.1", PORT),
    )
    assert start["status"] == 413
    assert (b"x-frame-options", b"DENY") in start["headers"]
    assert read < 1024 * 1024, f"{read} bytes read before the 413"


def test_a_content_length_over_the_limit_is_refused_before_reading(client: TestClient) -> None:
    r = client.post(
        f"/api/prescription?token={TOKEN}",
        headers={"origin": ORIGIN, "content-length": "300000000"},
        content=b"{}",
    )
    assert r.status_code == 413
    assert "16384" in r.json()["detail"]


@pytest.mark.parametrize(
    "body", ["[" * 5000 + "]" * 5000, '{"a": ' * 2000 + "1" + "}" * 2000, "[" * 9 + "]" * 9]
)
def test_a_deeply_nested_body_is_a_422_not_a_server_error(client: TestClient, body: str) -> None:
    r = client.post(
        f"/api/prescription?token={TOKEN}",
        headers={"origin": ORIGIN, "content-type": "application/json"},
        content=body,
    )
    assert r.status_code == 422, r.text
    assert "nested at most 8 deep" in r.json()["detail"]
