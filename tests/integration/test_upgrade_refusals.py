"""A refused WebSocket upgrade, on a real uvicorn server, carries the security headers every
other reply carries (``web/guard.py``: the ASGI "WebSocket Denial Response" extension), for the
personal coach (``pressup coach`` in its own process) and the clinic (its app under uvicorn in
a thread of the test). Each case also opens the socket the right way (101), so a refusal here
is the rule's, not a broken request's."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from support import free_socket, uvicorn_thread, ws_upgrade
from support.browser import coach_server
from support.clinic import PASSWORD, World, build_world, sign_in


def _assert_headers(headers: http.client.HTTPMessage) -> None:
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, dict(headers)
    assert headers.get("x-frame-options") == "DENY", dict(headers)
    assert headers.get("x-content-type-options") == "nosniff", dict(headers)
    assert headers.get("referrer-policy") == "no-referrer", dict(headers)
    assert headers.get("cross-origin-resource-policy") == "same-origin", dict(headers)
    assert headers.get("cache-control") == "no-store", dict(headers)
    for name in ("x-frame-options", "content-security-policy"):
        assert len(headers.get_all(name) or []) == 1, f"{name}: expected once, got {headers}"


def _refused(port: int, path: str, headers: dict[str, str], status: int, says: str) -> None:
    got, reply, body = ws_upgrade(port, path, headers)
    assert got == status, (got, dict(reply), body)
    _assert_headers(reply)
    assert reply.get("content-type") == "application/json"
    assert says in json.loads(body)["detail"], body


# -- the personal coach ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def coach(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with coach_server(tmp_path_factory.mktemp("refusals")) as srv:
        yield srv


def test_the_coach_refuses_an_upgrade_with_its_headers(coach: Any) -> None:
    port, token, origin = coach.port, coach.token, coach.origin
    good = {"Origin": origin}
    assert ws_upgrade(port, f"/ws?token={token}", good)[0] == 101
    _refused(port, "/ws?token=wrong", good, 403, "forbidden")
    _refused(port, f"/ws?token={token}", {"Origin": "http://evil.example"}, 403, "forbidden")
    _refused(port, f"/ws?token={token}", {}, 403, "forbidden")  # no Origin at all
    evil_host = {**good, "Host": f"evil.example:{port}"}
    _refused(port, f"/ws?token={token}", evil_host, 400, "host not allowed")


# -- the clinic ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, int]]:
    sock = free_socket()
    port = sock.getsockname()[1]
    db = tmp_path_factory.mktemp("clinic-refusals") / "c.db"
    world = build_world(f"sqlite:///{db}", public_origin=f"http://127.0.0.1:{port}")
    with uvicorn_thread(world.app, sock):
        yield world, port
    world.store.close()


def _signed_in(world: World, port: int, role: str) -> tuple[str, dict[str, str]]:
    """Sign ``role`` in over HTTP: their CSRF token, and the upgrade's ``Origin`` and
    ``Cookie``."""
    origin = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=origin) as c:
        csrf = sign_in(c, world.accounts[role].username, PASSWORD)
        cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
    return csrf, {"Origin": origin, "Cookie": cookie}


def test_the_clinic_refuses_an_upgrade_with_its_headers(clinic: tuple[World, int]) -> None:
    world, port = clinic
    csrf, good = _signed_in(world, port, "patient_a")
    origin = good["Origin"]
    assert ws_upgrade(port, f"/ws?token={csrf}", good)[0] == 101
    _refused(port, f"/ws?token={csrf}", {"Origin": origin}, 403, "sign in first")
    _refused(port, "/ws?token=wrong", good, 403, "forbidden")
    evil = {**good, "Origin": "https://evil.example"}
    _refused(port, f"/ws?token={csrf}", evil, 403, "forbidden")
    _refused(port, f"/ws?token={csrf}", {**good, "Host": "evil.example"}, 400, "host not allowed")


def test_a_clinician_is_refused_the_coach_socket_with_the_headers(
    clinic: tuple[World, int],
) -> None:
    world, port = clinic
    csrf, headers = _signed_in(world, port, "clinician_a")
    _refused(port, f"/ws?token={csrf}", headers, 403, "needs a patient account")
