"""The outer guard's refusal of a WebSocket upgrade, at the ASGI level: an HTTP reply with the
security headers when the server offers the "WebSocket Denial Response" extension, a close
(code 1008) when it does not, and nothing changed once the socket was accepted."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from pressup.web.guard import SECURITY_HEADERS, OuterGuard

DENIAL = {"websocket.http.response": {}}


def _run(app: Any, *, extensions: dict[str, Any], host: bytes = b"127.0.0.1") -> list[Any]:
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    scope = {
        "type": "websocket",
        "path": "/ws",
        "headers": [(b"host", host)],
        "query_string": b"",
        "extensions": extensions,
    }
    guard = OuterGuard(app, allowed_hosts=lambda: {"127.0.0.1"})
    asyncio.run(guard(scope, receive, send))
    return sent


async def _refusing_endpoint(_scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.close", "code": 1008, "reason": "missing or wrong token"})


async def _accepting_endpoint(_scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.close", "code": 1000, "reason": ""})


def test_an_endpoint_refusal_becomes_an_http_403_with_the_headers() -> None:
    start, body = _run(_refusing_endpoint, extensions=DENIAL)
    assert start["type"] == "websocket.http.response.start" and start["status"] == 403
    headers = dict(start["headers"])
    for name, value in SECURITY_HEADERS:
        assert headers[name] == value
    assert headers[b"cache-control"] == b"no-store"
    assert body["type"] == "websocket.http.response.body"
    assert json.loads(body["body"]) == {"detail": "missing or wrong token"}


@pytest.mark.parametrize("app", [_refusing_endpoint, _accepting_endpoint])
def test_a_foreign_host_is_an_http_400_before_the_endpoint(app: Any) -> None:
    start, body = _run(app, extensions=DENIAL, host=b"evil.example")
    assert (start["type"], start["status"]) == ("websocket.http.response.start", 400)
    assert dict(start["headers"])[b"x-frame-options"] == b"DENY"
    assert "host not allowed" in json.loads(body["body"])["detail"]


def test_without_the_extension_the_upgrade_is_refused_by_a_close() -> None:
    assert [m["type"] for m in _run(_refusing_endpoint, extensions={})] == ["websocket.close"]
    (close,) = _run(_accepting_endpoint, extensions={}, host=b"evil.example")
    assert (close["type"], close["code"]) == ("websocket.close", 1008)


def test_an_accepted_socket_is_closed_as_the_endpoint_says() -> None:
    sent = _run(_accepting_endpoint, extensions=DENIAL)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.close"]
    assert sent[1]["code"] == 1000
