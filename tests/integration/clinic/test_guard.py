"""The clinic's outer guard (:class:`pressup.web.guard.OuterGuard`): the security headers and
``Cache-Control: no-store`` on every reply (errors included), the ``Host`` allow-list of
``PRESSUP_ALLOWED_HOSTS`` and the request body counted as it streams. The clinic's own sign-in
and CSRF checks stay (no coach token is asked for)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse

from pressup.clinic.app import NoQueryStrings, create_clinic_app
from pressup.clinic.settings import ClinicSettings
from pressup.web.deps import MAX_BODY_BYTES
from support import post_endless_body
from support.clinic import ORIGIN, World, build_world, settings_for


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = build_world(f"sqlite:///{tmp_path_factory.mktemp('guard') / 'g.db'}")
    yield w
    w.store.close()


def _assert_guarded(r: Any, *, no_store: bool = True) -> None:
    csp = r.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, dict(r.headers)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cross-origin-resource-policy"] == "same-origin"
    if no_store:
        assert r.headers.get("cache-control") == "no-store", dict(r.headers)
    for name in ("x-frame-options", "x-content-type-options", "referrer-policy"):
        assert len(r.headers.get_list(name)) == 1, f"{name}: expected once, got {dict(r.headers)}"


@pytest.mark.parametrize(
    ("role", "method", "path", "status"),
    [
        ("anonymous", "GET", "/login", 200),
        ("anonymous", "GET", "/healthz", 200),
        ("anonymous", "GET", "/no/such/page", 404),
        ("anonymous", "POST", "/login", 403),  # no CSRF token
        ("anonymous", "GET", "/api/sessions", 401),
        ("patient_a", "GET", "/me", 200),
        ("patient_a", "GET", "/api/sessions?token={token}", 200),
        ("patient_a", "GET", "/export/sessions.csv?token={token}", 200),
        ("patient_a", "GET", "/clinic", 403),
        ("patient_a", "POST", "/me/delete", 403),  # no CSRF token
        ("clinician_a", "GET", "/clinic", 200),
        ("clinician_a", "GET", "/clinic/patients/999999", 404),
        ("admin", "GET", "/admin/audit.csv", 200),
    ],
)
def test_every_reply_carries_the_security_headers_and_no_store(
    clinic: World, role: str, method: str, path: str, status: int
) -> None:
    c, token = clinic.client(role)
    r = c.request(
        method, path.format(token=token), headers={"origin": ORIGIN, "accept": "application/json"}
    )
    assert r.status_code == status, r.text
    _assert_guarded(r)


def test_the_page_s_static_files_may_be_cached(clinic: World) -> None:
    c, _ = clinic.client("anonymous")
    r = c.get("/static/style.css")
    assert r.status_code == 200
    _assert_guarded(r, no_store=False)
    assert "no-store" not in r.headers.get("cache-control", "")


def test_a_server_error_carries_the_headers_too(tmp_path: Path) -> None:
    app = create_clinic_app(settings_for(f"sqlite:///{tmp_path / 'e.db'}"))

    def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/boom", boom)
    r = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500
    _assert_guarded(r)
    app.state.store.close()


def test_a_foreign_host_header_is_refused(clinic: World) -> None:
    c, _ = clinic.client("patient_a")
    r = c.get("/me", headers={"host": "evil.example"})
    assert r.status_code == 400 and "host not allowed" in r.json()["detail"]
    _assert_guarded(r)
    ws_url = "ws://evil.example/ws"
    with pytest.raises(WebSocketDenialResponse) as info, c.websocket_connect(ws_url):
        pass
    assert info.value.status_code == 400 and "host not allowed" in info.value.json()["detail"]
    _assert_guarded(info.value)


@pytest.mark.parametrize("host", ["testserver", "localhost:8000", "127.0.0.1", "[::1]:8000"])
def test_the_public_host_and_local_names_are_served(clinic: World, host: str) -> None:
    c, _ = clinic.client("anonymous")
    assert c.get("/healthz", headers={"host": host}).status_code == 200


def test_allowed_hosts_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PRESSUP_DATABASE_URL", f"sqlite:///{tmp_path / 'h.db'}")
    monkeypatch.setenv("PRESSUP_PUBLIC_ORIGIN", "https://clinic.example.org:8443")
    s = ClinicSettings()  # type: ignore[call-arg]
    assert s.host_names() == {"clinic.example.org", "localhost", "127.0.0.1", "::1"}
    monkeypatch.setenv("PRESSUP_ALLOWED_HOSTS", " Clinic.Example.org, pressup-upstream ,[fd00::5]")
    s = ClinicSettings()  # type: ignore[call-arg]
    assert s.host_names() == {
        "clinic.example.org",
        "pressup-upstream",
        "fd00::5",
        "localhost",
        "127.0.0.1",
        "::1",
    }
    monkeypatch.setenv("PRESSUP_POSE_ASSETS", "")
    app = create_clinic_app(s)
    c = TestClient(app, base_url="http://pressup-upstream:8000")
    assert c.get("/healthz").status_code == 200
    assert c.get("/healthz", headers={"host": "testserver"}).status_code == 400
    app.state.store.close()
    for bad in ("clinic.example.org:443", "*", "https://clinic.example.org"):
        monkeypatch.setenv("PRESSUP_ALLOWED_HOSTS", bad)
        with pytest.raises(ValueError, match="expected host names without scheme, port"):
            ClinicSettings()  # type: ignore[call-arg]


def test_a_content_length_over_the_limit_is_refused_before_reading(clinic: World) -> None:
    c, _ = clinic.client("anonymous")
    r = c.post(
        "/login",
        content=b"x" * 10,
        headers={"origin": ORIGIN, "content-length": "300000000"},
    )
    assert r.status_code == 413
    _assert_guarded(r)


def test_a_large_body_is_refused_while_it_streams_not_after_reading_it(clinic: World) -> None:
    """A 300 MB sign-in form without ``Content-Length``, fed chunk by chunk: the 413 comes
    after the first chunks (the CSRF check reads the form), not after 300 MB."""
    start, read = post_endless_body(
        clinic.app,
        "/login",
        [
            (b"host", b"testserver"),
            (b"origin", ORIGIN.encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"cookie", b"pressup_csrf=abc"),
        ],
    )
    assert start["status"] == 413
    assert (b"x-frame-options", b"DENY") in start["headers"]
    assert (b"cache-control", b"no-store") in start["headers"]
    assert read < 1024 * 1024, f"{read} bytes read before the 413"
    assert MAX_BODY_BYTES < 1024 * 1024


def test_uvicorn_s_own_log_lines_carry_no_query_string() -> None:
    """uvicorn logs the WebSocket handshake (and, when on, the request line) with the query
    string, and ``/ws?token=`` holds the sign-in's CSRF token; the filter the workers install
    cuts it (the whole server is checked in ``test_faults.py``)."""
    ws = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        '%s - "WebSocket %s" [accepted]',
        ("127.0.0.1:5000", "/ws?token=SECRET"),
        None,
    )
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/sessions?token=SECRET", "1.1", 200),
        None,
    )
    for record in (ws, access):
        assert NoQueryStrings().filter(record)
        assert "SECRET" not in record.getMessage() and "?" not in record.getMessage()
    assert ws.getMessage() == '127.0.0.1:5000 - "WebSocket /ws" [accepted]'


def test_the_csrf_guard_leaves_the_security_headers_to_the_outer_guard() -> None:
    """One place sets them (:class:`~pressup.web.guard.OuterGuard`, checked above once each)."""
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse

    from pressup.clinic.auth import csrf_guard

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}

    async def call_next(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    r = asyncio.run(csrf_guard(Request(scope), call_next))
    for name in ("x-frame-options", "x-content-type-options", "referrer-policy"):
        assert name not in r.headers, dict(r.headers)


@pytest.mark.parametrize(("role", "path"), [("anonymous", "/login"), ("patient_a", "/me")])
def test_the_pages_ask_for_same_origin_referrers_so_forms_keep_their_origin(
    clinic: World, role: str, path: str
) -> None:
    """The guard's ``no-referrer`` would make Chromium post forms with ``Origin: null`` (and
    the clinic's origin check would refuse sign-in); each page overrides it for itself."""
    c, _ = clinic.client(role)
    r = c.get(path)
    assert r.status_code == 200 and r.headers["referrer-policy"] == "no-referrer"
    assert '<meta name="referrer" content="same-origin">' in r.text
    assert "<form" in r.text
