"""Who may use which route: every route of the clinic app x every role (patient A, patient B,
clinician of A, a second clinician in A's care team, another clinician, admin, anonymous), on
SQLite and PostgreSQL.

The routes are read from the app itself; a route without a rule in :data:`RULES` fails
:func:`test_every_route_has_a_rule`, so a new route cannot slip in unchecked. Paths are filled
with patient A's ids (A's account, session, screening): patient B and the other clinician
must get a refusal (401/403/404), and where a route lists "my" data, B's reply must not
mention A's session.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.websockets import WebSocketDisconnect

from pressup.safety.screening import QUESTION_IDS
from support.clinic import ROLES, World, call_route, csrf_of, fill_path, route_keys

#: Who may use a route:
#: * ``public``: anyone, signed in or not (health probes, the sign-in forms, static files);
#: * ``signed_in``: any signed-in account;
#: * ``patient``: a patient, on their own data (B asking for A's session gets a 404);
#: * ``clinician``: any clinician (their own list, their own patients' audit);
#: * ``clinician_of``: the clinicians in the care team of the patient in the path only (A's
#:   first clinician and the second one added to A's care team get the same answers);
#: * ``admin``: an admin;
#: * ``staff``: a clinician or an admin (their own sign-in code).
RULES: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("GET", "/invite"): "public",
    ("POST", "/invite"): "public",
    ("GET", "/reset"): "public",
    ("POST", "/reset"): "public",
    ("MOUNT", "/static"): "public",
    ("GET", "/static/words.js"): "patient",
    ("POST", "/logout"): "signed_in",
    ("GET", "/account/password"): "signed_in",
    ("POST", "/account/password"): "signed_in",
    ("GET", "/login/code"): "public",
    ("POST", "/login/code"): "public",
    ("GET", "/account/two-factor"): "staff",
    ("POST", "/account/two-factor"): "staff",
    ("POST", "/account/two-factor/off"): "staff",
    ("GET", "/"): "patient",
    ("GET", "/me"): "patient",
    ("POST", "/me/delete"): "patient",
    ("GET", "/api/sessions"): "patient",
    ("GET", "/api/sessions/{session_id}"): "patient",
    ("GET", "/history"): "patient",
    ("GET", "/sessions/{session_id}/report"): "patient",
    ("GET", "/screen"): "patient",
    ("GET", "/api/screening/questions"): "patient",
    ("POST", "/api/screening"): "patient",
    ("GET", "/api/gate"): "patient",
    ("GET", "/progress"): "patient",
    ("GET", "/api/progress"): "patient",
    ("GET", "/export/{table}.{fmt}"): "patient",
    ("GET", "/export/fhir"): "patient",
    ("GET", "/export/trc"): "patient",
    ("WS", "/ws"): "patient",
    ("GET", "/clinic"): "clinician",
    ("GET", "/clinic/audit"): "clinician",
    ("POST", "/clinic/patients"): "clinician",
    ("GET", "/clinic/patients/{patient_id}"): "clinician_of",
    ("GET", "/clinic/patients/{patient_id}/history"): "clinician_of",
    ("GET", "/clinic/patients/{patient_id}/sessions/{session_id}/report"): "clinician_of",
    ("GET", "/clinic/patients/{patient_id}/sessions/{session_id}/replay.json"): "clinician_of",
    ("GET", "/clinic/static/replay.js"): "public",
    ("POST", "/clinic/patients/{patient_id}/prescription"): "clinician_of",
    ("POST", "/clinic/patients/{patient_id}/screenings/{screening_id}/review"): "clinician_of",
    ("POST", "/clinic/patients/{patient_id}/invite"): "clinician_of",
    ("POST", "/clinic/patients/{patient_id}/reset"): "clinician_of",
    ("POST", "/clinic/patients/{patient_id}/care-team/add"): "clinician_of",
    ("POST", "/clinic/patients/{patient_id}/care-team/remove"): "clinician_of",
    ("GET", "/admin"): "admin",
    ("POST", "/admin/accounts"): "admin",
    ("POST", "/admin/accounts/{account_id}/unlock"): "admin",
    ("POST", "/admin/accounts/{account_id}/reset"): "admin",
    ("POST", "/admin/accounts/{account_id}/two-factor/remove"): "admin",
    ("POST", "/admin/patients/{patient_id}/care-team/add"): "admin",
    ("POST", "/admin/patients/{patient_id}/care-team/remove"): "admin",
    ("GET", "/admin/audit.csv"): "admin",
}

#: Routes that list the caller's own data: patient B's reply must not name A's session.
LISTS_OWN = {
    ("GET", "/api/sessions"),
    ("GET", "/history"),
    ("GET", "/export/{table}.{fmt}"),
    ("GET", "/me"),
}


def _keys(world: World) -> list[tuple[str, str]]:
    return route_keys(world.app)


def test_every_route_has_a_rule(world: World) -> None:
    keys = _keys(world)
    missing = sorted(set(keys) - set(RULES))
    assert missing == [], f"routes without an access rule in RULES: {missing}"
    gone = sorted(set(RULES) - set(keys) - {("MOUNT", "/vendor/pose")})
    assert gone == [], f"rules for routes the app no longer has: {gone}"


#: Patient routes whose request names A's session (in the path or the query).
NAMES_A_SESSION = {"/export/fhir", "/export/trc"}


def _allowed(rule: str, role: str, path: str) -> bool:
    """Patient B may use a patient route on their own data, not on a request naming A's."""
    names_a = "{session_id}" in path or path in NAMES_A_SESSION
    return {
        "public": True,
        "signed_in": role != "anonymous",
        "patient": role == "patient_a" or (role == "patient_b" and not names_a),
        "clinician": role in ("clinician_a", "clinician_a2", "clinician_b"),
        "clinician_of": role in ("clinician_a", "clinician_a2"),
        "admin": role == "admin",
        "staff": role in ("clinician_a", "clinician_a2", "clinician_b", "admin"),
    }[rule]


def _fill(path: str, world: World) -> str:
    return fill_path(path, world)


def _request(world: World, role: str, method: str, path: str) -> Any:
    c, csrf = world.client(role, fresh=path == "/logout" or role == "anonymous")
    if not csrf and method == "POST" and path in ("/login", "/invite", "/reset", "/login/code"):
        csrf = csrf_of(c, "/login")  # the double-submit cookie of the sign-in forms
    return call_route(world, c, csrf, method, path)


def _ws_opens(world: World, role: str) -> bool:
    c, csrf = world.client(role)
    try:
        with c.websocket_connect(
            f"/ws?token={csrf}", headers={"origin": "http://testserver"}
        ) as ws:
            ws.send_text(json.dumps({"v": 1, "type": "ping"}))
            return "pong" in ws.receive_text()
    except WebSocketDisconnect:
        return False


@pytest.mark.parametrize("role", ROLES)
def test_isolation_matrix(world: World, role: str) -> None:
    """Every route of the app for this role: allowed where its rule says so (any answer but a
    refusal or a server error), refused (401/403/404) everywhere else."""
    wrong: list[str] = []
    a_session = world.session_of["patient_a"]
    routes = sorted(set(_keys(world)), key=lambda k: k == ("POST", "/logout"))  # logout last
    for method, path in routes:
        if method == "MOUNT" and path != "/static":
            continue
        if (method, path) not in RULES:
            wrong.append(f"{method} {path}: no access rule")
            continue
        allowed = _allowed(RULES[(method, path)], role, path)
        if method == "WS":
            opened = _ws_opens(world, role)
            if opened != allowed:
                wrong.append(f"WS {path}: expected {'open' if allowed else 'refused'}")
            continue
        r = _request(world, role, method if method != "MOUNT" else "GET", path)
        refused = r.status_code in (401, 403, 404)
        if method == "GET" and r.status_code in (302, 303, 307):  # sent elsewhere (home, login)
            refused = urlsplit(r.headers["location"]).path != _fill(path, world)
        if RULES[(method, path)] == "public":  # a wrong password is a 401, not a refusal
            refused = r.status_code == 403
        if r.status_code >= 500 or refused == allowed:
            wrong.append(
                f"{method} {path}: expected {'allowed' if allowed else 'refused'}, "
                f"got {r.status_code} {r.text[:120]!r}"
            )
        if role == "patient_b" and (method, path) in LISTS_OWN and a_session[:8] in r.text:
            wrong.append(f"{method} {path}: patient B's reply names patient A's session")
        if role == "clinician_b" and path == "/clinic" and "Patient A" in r.text:
            wrong.append("GET /clinic: the other clinician sees patient A")
        lists_a = "Patient A" in r.text and "Patient B" not in r.text
        if role in ("clinician_a", "clinician_a2") and path == "/clinic" and not lists_a:
            wrong.append(f"GET /clinic: {role} should list patient A (and not B)")
    assert wrong == []


def test_patient_b_sees_only_their_own_sessions(world: World) -> None:
    c, csrf = world.client("patient_b")
    ids = [s["id"] for s in c.get("/api/sessions", params={"token": csrf}).json()]
    assert ids == [world.session_of["patient_b"]]
    r = c.get(f"/api/sessions/{world.session_of['patient_a']}", params={"token": csrf})
    assert r.status_code == 404


def test_a_patient_cannot_approve_or_prescribe(world: World) -> None:
    c, csrf = world.client("patient_a")
    for method in ("post", "delete"):
        r = c.request(method, "/api/prescription", params={"token": csrf}, json={})
        assert r.status_code in (404, 405), r.text
    r = c.post("/api/screening/approval", params={"token": csrf}, json={})
    assert r.status_code in (404, 405), r.text


def test_a_patient_cannot_approve_their_own_screening(world: World) -> None:
    c, csrf = world.client("patient_b")
    body = {
        "answers": {q: ("unsure" if i == 0 else "no") for i, q in enumerate(QUESTION_IDS)},
        "approval": {"name": "Dr Me", "date": "2026-01-01"},
    }
    r = c.post("/api/screening", params={"token": csrf}, json=body)
    assert r.status_code == 403 and "approval: expected none" in r.text
    latest = c.get("/api/gate", params={"token": csrf}).json()["screening"]
    assert latest["approved_by"] != "Dr Me"  # nothing was stored


def test_a_new_route_without_a_rule_is_caught(tmp_path: Any) -> None:
    """The check above is not vacuous: a route added to the app shows up without a rule."""
    from fastapi import APIRouter

    from support.clinic import build_world

    w = build_world(f"sqlite:///{tmp_path / 'new.db'}")
    extra = APIRouter()

    @extra.get("/clinic/patients/{patient_id}/everything")
    def everything(patient_id: int) -> dict[str, int]:
        return {"patient_id": patient_id}

    w.app.include_router(extra)
    missing = sorted(set(_keys(w)) - set(RULES))
    assert missing == [("GET", "/clinic/patients/{patient_id}/everything")]
    w.store.close()


def test_the_second_clinician_in_a_s_care_team_gets_the_first_s_answers(world: World) -> None:
    """Not only "allowed": on every route about patient A, the clinician added to A's care
    team gets the same status (and the same redirect) as A's first clinician, and the other
    clinician the refusal."""
    differ = []
    routes = [k for k in sorted(set(_keys(world))) if RULES.get(k) == "clinician_of"]
    assert len(routes) >= 10
    for method, path in routes:
        answers = {}
        for role in ("clinician_a", "clinician_a2", "clinician_b"):
            r = _request(world, role, method, path)
            answers[role] = (r.status_code, r.headers.get("location"))
        if answers["clinician_a2"] != answers["clinician_a"] or answers["clinician_b"][0] != 404:
            differ.append(f"{method} {path}: {answers}")
    assert differ == []
