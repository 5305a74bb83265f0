"""The clinic while its database fails: every route answers 503 with ``Retry-After`` and plain
words when the database cannot be used (PostgreSQL refusing connections; SQLite locked by
another writer), the WebSocket upgrade too, and a database error inside a route is a 500 in
plain words. No reply names the database (its address, user, file or the driver's words)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from starlette.testclient import WebSocketDenialResponse

from pressup.clinic.app import create_clinic_app
from pressup.sessions.records import list_screenings
from support.clinic import (
    ORIGIN,
    World,
    build_world,
    call_route,
    csrf_of,
    route_keys,
    settings_for,
)
from support.pg import fresh_database, refusing_connections

#: Routes that never touch the database (they answer while it is down).
NO_DATABASE = {("GET", "/healthz"), ("MOUNT", "/static"), ("GET", "/clinic/static/replay.js")}
#: The words of every 503 (after "storage_unavailable: ").
UNAVAILABLE = "the database cannot be used just now"


def _who(path: str) -> str:
    """A role that may use ``path`` (signed in, so that even the sign-in forms look it up)."""
    if path.startswith("/admin"):
        return "admin"
    return "clinician_a" if path.startswith("/clinic") else "patient_a"


def _secrets(world: World) -> list[str]:
    """What no reply may show: the database's address, name, user, file and driver."""
    url = make_url(world.store.url)
    found = [url.drivername.split("+")[0], str(url.database)]
    found += [str(v) for v in (url.host, url.username) if v]
    found += [str(v) for v in url.query.values()]
    return found


def _ws_status(world: World, role: str) -> int:
    c, csrf = world.client(role)
    try:
        with c.websocket_connect(f"/ws?token={csrf}", headers={"origin": ORIGIN}):
            return 101
    except WebSocketDenialResponse as refused:
        assert refused.headers.get("retry-after") == "5"
        assert refused.json()["detail"].startswith(f"storage_unavailable: {UNAVAILABLE}")
        return refused.status_code


Clients = dict[str, tuple[TestClient, str]]


def _signed_in(world: World) -> Clients:
    """A client of each role :func:`_who` names, and a spare one to sign out."""
    clients = {r: world.client(r) for r in ("patient_a", "clinician_a", "admin")}
    clients["spare"] = world.client("patient_a", fresh=True)
    return clients


def _every_route(world: World, clients: Clients) -> dict[tuple[str, str], Any]:
    """Each route of the app called once by a role that may use it (``clients``: signed in
    beforehand; the spare one signs out)."""
    replies: dict[tuple[str, str], Any] = {}
    for method, path in sorted(set(route_keys(world.app))):
        if method == "WS":
            replies[(method, path)] = _ws_status(world, "patient_a")
            continue
        if method == "MOUNT" and path != "/static":
            continue
        c, csrf = clients["spare" if path == "/logout" else _who(path)]
        replies[(method, path)] = call_route(
            world, c, csrf, "GET" if method == "MOUNT" else method, path
        )
    return replies


def _check_unavailable(r: Any, secrets: list[str], where: str) -> None:
    assert r.status_code == 503, (where, r.status_code, r.text[:200])
    assert r.headers.get("retry-after") == "5", where
    detail = r.json().get("detail") or r.json().get("reason")
    assert UNAVAILABLE in detail, (where, detail)
    for secret in secrets:
        assert secret not in r.text, (where, secret, r.text)


@pytest.fixture
def pg_world(postgres_server: str) -> Iterator[World]:
    w = build_world(fresh_database(postgres_server))
    yield w
    w.store.close()


@pytest.mark.postgres
def test_every_route_is_a_503_while_postgresql_refuses_connections(pg_world: World) -> None:
    """The database refuses connections (as when its server is stopped): every route that
    needs it answers 503 with Retry-After and plain words, the WebSocket upgrade too; the
    routes that do not need it answer as ever; once it is back, so is the clinic."""
    world = pg_world
    _every_route(world, _signed_in(world))  # warms the connections up
    clients = _signed_in(world)
    secrets = _secrets(world)
    with refusing_connections(world.store.url):
        replies = _every_route(world, clients)
    wrong = []
    for key, r in replies.items():
        if key[0] == "WS":
            if r != 503:
                wrong.append(f"WS {key[1]}: expected a 503 refusal, got {r}")
        elif key in NO_DATABASE:
            if r.status_code != 200:
                wrong.append(f"{key}: expected 200 without the database, got {r.status_code}")
        else:
            try:
                _check_unavailable(r, secrets, f"{key[0]} {key[1]}")
            except AssertionError as exc:
                wrong.append(str(exc))
    assert wrong == []
    c, _ = world.client("clinician_a")
    assert c.get("/clinic").status_code == 200  # back


@contextmanager
def _write_lock(db: Path) -> Iterator[None]:
    """Another process's write transaction on the SQLite file."""
    other = sqlite3.connect(db, isolation_level=None, timeout=0.1)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_routes_that_write_are_a_503_while_sqlite_is_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite locked by another writer past its busy timeout: every route that writes (a
    sign-in, every page that reads health data: its audit entry) answers 503 with Retry-After
    and plain words, the WebSocket upgrade too; none answers a server error."""
    import pressup.storage.store as store_module

    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_S", 0.2)
    db = tmp_path / "clinic.db"
    world = build_world(f"sqlite:///{db}")
    _every_route(world, _signed_in(world))
    clients = _signed_in(world)
    secrets = [str(db), str(tmp_path), "sqlite"]
    anonymous = TestClient(world.app)
    token = csrf_of(anonymous, "/login")
    with _write_lock(db):
        replies = _every_route(world, clients)
        login = anonymous.post(
            "/login", data={"username": "patient.a", "password": "x", "csrf_token": token}
        )
    unavailable = {k for k, r in replies.items() if (r if k[0] == "WS" else r.status_code) == 503}
    must = {
        ("GET", "/me"),
        ("GET", "/clinic"),
        ("GET", "/clinic/patients/{patient_id}"),
        ("POST", "/clinic/patients/{patient_id}/prescription"),
        ("GET", "/api/sessions"),
        ("GET", "/admin/audit.csv"),
        ("WS", "/ws"),
    }
    assert must <= unavailable, sorted(must - unavailable)
    for key in unavailable - {("WS", "/ws")}:
        _check_unavailable(replies[key], secrets, f"{key[0]} {key[1]}")
    _check_unavailable(login, secrets, "POST /login")
    errors = {k: r.status_code for k, r in replies.items() if k[0] != "WS" and r.status_code >= 500}
    assert set(errors) <= unavailable, errors
    c, _ = world.client("clinician_a")
    assert c.get("/clinic").status_code == 200  # the lock is gone
    world.store.close()


def _refuse_reviews(url: str) -> None:
    """A trigger that makes the database refuse every new screening review (an error of the
    database itself, with words of its own)."""
    from pressup.storage import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    text(
                        "CREATE FUNCTION no_reviews() RETURNS trigger LANGUAGE plpgsql AS "
                        "$$ BEGIN RAISE EXCEPTION 'reviews are refused here'; END; $$"
                    )
                )
                conn.execute(
                    text(
                        "CREATE TRIGGER no_reviews BEFORE INSERT ON screening_reviews "
                        "FOR EACH ROW EXECUTE FUNCTION no_reviews()"
                    )
                )
            else:
                conn.execute(
                    text(
                        "CREATE TRIGGER no_reviews BEFORE INSERT ON screening_reviews "
                        "BEGIN SELECT RAISE(ABORT, 'reviews are refused here'); END"
                    )
                )
    finally:
        engine.dispose()


def test_a_database_error_in_a_route_is_told_in_plain_words(database_url: str) -> None:
    """The screening review turned every storage error into a 404 with the error's text: the
    database's address (on PostgreSQL its user, host and socket) and the driver's words. Now
    only a screening that is not there is a 404; the database refusing the write is a 500
    that says so in plain words, with the request's id for the log, and names nothing of the
    database."""
    world = build_world(database_url)
    _refuse_reviews(database_url)
    c, csrf = world.client("clinician_a")
    pid = world.accounts["patient_a"].id
    sid = world.screening_of["patient_a"]
    r = c.post(
        f"/clinic/patients/{pid}/screenings/{sid}/review",
        data={"decision": "declined", "note": "Call me first.", "csrf_token": csrf},
        headers={"x-request-id": "req-42"},
        follow_redirects=False,
    )
    assert r.status_code == 500, r.text
    assert r.json() == {
        "detail": "the database could not complete this request; the error is logged "
        "(request req-42)"
    }
    for secret in [*_secrets(world), "reviews are refused here"]:
        assert secret not in r.text
    missing = c.post(
        f"/clinic/patients/{pid}/screenings/2147483000/review",
        data={"decision": "declined", "note": "x", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no screening with id 2147483000 for this patient"}
    from pressup.sessions.clinic import patient_store

    assert list_screenings(patient_store(world.store, world.accounts["patient_a"]))[0].locked
    world.store.close()


def test_readiness_names_no_database(tmp_path: Path) -> None:
    """``/readyz`` (open to anyone) said ``database: <the driver's error>`` with the
    database's address; now plain words and Retry-After."""
    app = create_clinic_app(settings_for(f"sqlite:///{tmp_path / 'r.db'}"))
    app.state.clinic_settings = settings_for("postgresql+psycopg://someone:pw@127.0.0.1:1/gone")
    r = TestClient(app).get("/readyz")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json() == {
        "ready": False,
        "reason": "database: the database cannot be used just now (it does not answer)",
    }
    app.state.store.close()


def test_both_apps_declare_the_503_on_every_route(tmp_path: Path) -> None:
    from pressup.web.app import create_app
    from support.web import coach_settings

    clinic = create_clinic_app(settings_for(f"sqlite:///{tmp_path / 'c.db'}"))
    coach = create_app(coach_settings(8765, "t", tmp_path / "coach.db", require_screening=True))
    for app in (clinic, coach):
        ops = [
            (method, path, op)
            for path, item in app.openapi()["paths"].items()
            for method, op in item.items()
        ]
        assert len(ops) > 15
        assert [(m, p) for m, p, op in ops if "503" not in op["responses"]] == []
    clinic.state.store.close()
    coach.state.store.close()
