"""Schemathesis against the clinic's OpenAPI: every operation as every role (patient A,
patient B, clinician of A, another clinician, admin, anonymous), on SQLite and PostgreSQL.

Each role sends its own sign-in's cookie, its CSRF token (``X-CSRF-Token`` and the page's
``?token=``) and the public ``Origin``, so that state-changing requests reach the routes
instead of stopping at the CSRF check; the anonymous caller sends the sign-in forms'
double-submit cookie and token. The path ids are patient A's (a patient: their own session)
in a share of the requests, generated ones in the rest. Signing out gets a new sign-in for
each request. What is checked (:mod:`support.fuzz`): no server error, and status codes,
content types and bodies that the OpenAPI declares; and that the run was not vacuous: every
operation got requests past the guards, and so did a fair share of each role's requests to
the operations it may use.

The default suite sends a few requests per operation and role; ``-m slow`` many more (on
SQLite). Below the fuzz: a test per server error it found, each failing before its fix.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("schemathesis")

from pressup.sessions.clinic import MAX_ROW_ID
from support.clinic import ORIGIN, ROLES, World, build_world, csrf_of
from support.fuzz import Caller, Tally, check_tally, fuzz_app, fuzz_operation, load_schema

#: Generated requests per operation and role (at most: Hypothesis stops early when an
#: operation has fewer distinct requests); ``PRESSUP_FUZZ_EXAMPLES`` sets it for a longer run
#: on PostgreSQL too (``-m slow`` runs on SQLite only).
EXAMPLES = int(os.environ.get("PRESSUP_FUZZ_EXAMPLES", "6"))
SLOW_EXAMPLES = 150
#: Of the requests a role sent to operations it may use, the share that must get past the
#: guards (the rest: generated ids of nobody, or of someone else's records).
MIN_PASSED_SHARE = 0.5


def _world(url: str) -> World:
    # The fuzz's failed sign-ins all come from the test client's address: without a higher
    # limit that address would be locked out, and so would the sign-ins the fuzz needs; and a
    # wrong current password at /account/password counts against the account like a failed
    # sign-in, which would lock the roles' own accounts.
    return build_world(url, address_max_failures=1_000_000, login_max_failures=1_000_000)


@pytest.fixture(scope="module")
def fuzz_world(module_database_url: str) -> Iterator[World]:
    """A clinic of its own: the fuzz adds accounts and records to it."""
    w = _world(module_database_url)
    yield w
    w.store.close()


def caller(world: World, role: str) -> Caller:
    """``role`` signed in anew: its cookie, CSRF token, ``Origin`` and ids."""
    c, csrf = world.client(role, fresh=True)
    if role == "anonymous":
        csrf = csrf_of(c, "/login")  # the sign-in forms' double-submit cookie and token
    own_session = world.session_of.get(role, world.session_of["patient_a"])
    return Caller(
        name=role,
        headers={"x-csrf-token": csrf, "origin": ORIGIN},
        cookies=dict(c.cookies.items()),
        query={"token": csrf},
        ids={
            "patient_id": world.accounts["patient_a"].id,
            "account_id": world.accounts["patient_a"].id,
            "session_id": own_session,
            "screening_id": world.screening_of["patient_a"],
        },
        fresh=None if role == "anonymous" else (lambda: caller(world, role)),
        ends_sign_in=frozenset({"POST /logout"}),
    )


def run_fuzz(world: World, examples: int) -> Tally:
    t0 = time.perf_counter()
    tally = fuzz_app(world.app, [caller(world, r) for r in ROLES], examples=examples)
    print(f"\n{tally.summary()}\n{time.perf_counter() - t0:.1f} s")
    return tally


def test_every_operation_as_every_role(fuzz_world: World) -> None:
    tally = run_fuzz(fuzz_world, EXAMPLES)
    check_tally(tally, MIN_PASSED_SHARE)
    operations = {op for op, _ in tally.sent}
    assert len(operations) >= 38 and set(ROLES) <= {who for _, who in tally.sent}


@pytest.mark.slow
def test_every_operation_as_every_role_at_length(tmp_path: Path) -> None:
    world = _world(f"sqlite:///{tmp_path / 'clinic.db'}")
    check_tally(run_fuzz(world, SLOW_EXAMPLES), MIN_PASSED_SHARE)
    world.store.close()


def test_the_check_sees_requests_refused_at_the_door(fuzz_world: World) -> None:
    """The check above is not vacuous: with a wrong CSRF token every new patient is refused
    at the door, and the tally says so."""
    who = caller(fuzz_world, "clinician_a")
    who.headers["x-csrf-token"] = "not-this-sign-in's-token"
    op = load_schema(fuzz_world.app)["/clinic/patients"]["POST"]
    tally = Tally()
    fuzz_operation(op, who, examples=4, tally=tally)
    key = ("POST /clinic/patients", "clinician_a")
    assert tally.sent[key] > 0 and tally.passed[key] == 0
    with pytest.raises(AssertionError, match="no request got through"):
        check_tally(tally, MIN_PASSED_SHARE)


# -- what the fuzz found ------------------------------------------------------------------------


@pytest.mark.parametrize("big", [MAX_ROW_ID + 1, 2**63, 10**30])
def test_an_id_no_record_can_have_is_a_422(fuzz_world: World, big: int) -> None:
    """``/clinic/patients/<id>`` with an id past the database's integers was a server error
    (SQLite cannot bind it; PostgreSQL's ``integer`` stops at 2**31 - 1): now a 422 saying
    what was expected and what arrived."""
    c, csrf = fuzz_world.client("clinician_a")
    pid = fuzz_world.accounts["patient_a"].id
    sid = fuzz_world.session_of["patient_a"]
    requests = [
        ("GET", f"/clinic/patients/{big}", "patient_id"),
        ("GET", f"/clinic/patients/{big}/history", "patient_id"),
        ("GET", f"/clinic/patients/{big}/sessions/{sid}/replay.json", "patient_id"),
        ("POST", f"/clinic/patients/{big}/invite", "patient_id"),
        ("POST", f"/clinic/patients/{pid}/screenings/{big}/review", "screening_id"),
    ]
    for method, path, name in requests:
        r = c.request(method, path, headers={"x-csrf-token": csrf}, data={"decision": "approved"})
        assert r.status_code == 422, (path, r.text)
        (error,) = r.json()["detail"]
        assert error["loc"] == ["path", name]
        assert f"less than or equal to {MAX_ROW_ID}" in error["msg"]
        assert error["input"] == str(big)


def test_text_with_a_nul_character_is_a_422(fuzz_world: World) -> None:
    """A NUL character in a path, query, form or JSON field was a server error on PostgreSQL
    (its text keeps none): now a 422 naming the field, before any query. On SQLite too."""
    pid = fuzz_world.accounts["patient_a"].id
    sid = fuzz_world.screening_of["patient_a"]
    cases: list[tuple[str, str, str, dict[str, Any], str]] = [
        (
            "anonymous",
            "POST",
            "/login",
            {"data": {"username": "a\x00", "password": "x"}},
            "body.username",
        ),
        ("patient_a", "GET", "/api/sessions/a%00b", {}, "path.session_id"),
        ("patient_a", "GET", "/export/trc", {"params": {"session": "a\x00"}}, "query.session"),
        (
            "patient_a",
            "POST",
            "/api/screening",
            {"json": {"answers": {"fever": "\x00"}}},
            "body.answers.fever",
        ),
        (
            "clinician_a",
            "GET",
            f"/clinic/patients/{pid}/sessions/a%00/report",
            {},
            "path.session_id",
        ),
        (
            "clinician_a",
            "POST",
            "/clinic/patients",
            {"data": {"username": "nul", "display_name": "\x00"}},
            "body.display_name",
        ),
        (
            "clinician_a",
            "POST",
            f"/clinic/patients/{pid}/prescription",
            {"data": {"variant": "forearms", "reps": "3", "hold_s": "5", "notes": "\x00"}},
            "body.notes",
        ),
        (
            "clinician_a",
            "POST",
            f"/clinic/patients/{pid}/screenings/{sid}/review",
            {"data": {"decision": "declined", "note": "\x00"}},
            "body.note",
        ),
        (
            "admin",
            "POST",
            "/admin/accounts",
            {"data": {"username": "nul", "display_name": "\x00", "role": "admin"}},
            "body.display_name",
        ),
    ]
    for role, method, path, kw, field in cases:
        c, csrf = fuzz_world.client(role)
        csrf = csrf or csrf_of(c, "/login")
        params = {"token": csrf, **kw.pop("params", {})}
        r = c.request(method, path, params=params, headers={"x-csrf-token": csrf}, **kw)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["detail"] == f"{field}: expected text without NUL characters, got one"


@pytest.mark.parametrize("token", ["tökén", "日本語"])
def test_a_non_ascii_token_is_refused_not_a_server_error(fuzz_world: World, token: str) -> None:
    """A page token or CSRF token with non-ASCII characters was a server error (Python's
    ``compare_digest`` refuses such strings): now the wrong token it is."""
    patient, _ = fuzz_world.client("patient_a")
    r = patient.get("/", params={"token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/?token=")
    r = patient.get("/api/sessions", params={"token": token})
    assert r.status_code == 403 and r.json()["detail"] == "missing or wrong token"
    physio, _ = fuzz_world.client("clinician_a")
    form = {"username": "never.made", "display_name": "Never", "csrf_token": token}
    for r in (
        physio.post("/clinic/patients", params={"token": token}, data=form),
        physio.post("/clinic/patients", data=form),
    ):
        assert r.status_code == 403 and r.json()["detail"].startswith("CSRF token: expected")
    anonymous, _ = fuzz_world.client("anonymous", fresh=True)
    csrf_of(anonymous, "/login")  # the double-submit cookie is set; the form's token is not it
    r = anonymous.post("/login", data={"username": "x", "password": "y", "csrf_token": token})
    assert r.status_code == 403


def test_a_nul_character_in_a_websocket_string_is_refused(database_url: str) -> None:
    """``hello.client`` and ``feedback.comment`` are stored: with a NUL character they were a
    ``storage_unavailable`` on PostgreSQL (its text keeps none; a SQLite stored it). Now the
    message is refused as a bad field on every database, nothing is stored, and the
    connection goes on."""
    import json

    world = build_world(database_url, require_screening=False)
    c, csrf = world.client("patient_a")
    with c.websocket_connect(f"/ws?token={csrf}", headers={"origin": ORIGIN}) as ws:
        ws.send_text(json.dumps({"v": 1, "type": "hello", "session": None, "client": "a\x00b"}))
        refused = json.loads(ws.receive_text())
        assert refused["type"] == "error" and refused["code"] == "bad_schema", refused
        assert refused["message"].startswith("hello.client: ")
        assert "expected text without NUL characters, got one" in refused["message"]
        ws.send_text(json.dumps({"v": 1, "type": "hello", "session": None, "client": "pytest"}))
        welcome = json.loads(ws.receive_text())
        assert welcome["type"] == "welcome", welcome
        bad = {"v": 1, "type": "feedback", "helpful": True, "comment": "fine\x00"}
        ws.send_text(json.dumps(bad))
        refused = json.loads(ws.receive_text())
        assert refused["code"] == "bad_schema", refused
        assert refused["message"].startswith("feedback.comment: ")
        ws.send_text(json.dumps({"v": 1, "type": "ping"}))
        assert json.loads(ws.receive_text())["type"] == "pong"
    r = c.get("/api/sessions", params={"token": csrf})
    assert "pytest" in {s["client"] for s in r.json()}
    assert all("\x00" not in s["client"] for s in r.json())
    world.store.close()
