"""A clinic with people in it, for the server tests: an admin, three clinicians, two patients
(A in the care team of clinician A and of a second clinician, A2; B in the care of clinician
B), each patient with a recorded set and a locked screening; and signed-in test clients."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from pressup.clinic.app import all_routes, create_clinic_app
from pressup.clinic.auth import Passwords
from pressup.clinic.settings import ClinicSettings
from pressup.protocol import load_spec
from pressup.safety.screening import QUESTION_IDS, evaluate
from pressup.sessions.clinic import (
    AccountRecord,
    add_to_care_team,
    create_account,
    patient_store,
)
from pressup.sessions.recorded import Rating, store_recorded_set
from pressup.sessions.records import add_screening
from pressup.sessions.store import Store
from pressup.synthetic import RepScript, SessionScript, make_session

ORIGIN = "http://testserver"
PASSWORD = "correct horse battery"
ROLES = (
    "patient_a",
    "patient_b",
    "clinician_a",
    "clinician_a2",
    "clinician_b",
    "admin",
    "anonymous",
)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def settings_for(url: str, **kw: Any) -> ClinicSettings:
    args: dict[str, Any] = {
        "database_url": url,
        "public_origin": ORIGIN,
        "cookie_secure": False,
        "pose_assets": None,
        "argon2_memory_kib": 1024,
        "argon2_time_cost": 1,
    }
    args.update(kw)
    return ClinicSettings(**args)


@dataclass
class World:
    """The app, its store and the people in it (ids of each patient's session and screening)."""

    app: FastAPI
    store: Store
    accounts: dict[str, AccountRecord]
    session_of: dict[str, str] = field(default_factory=dict)
    screening_of: dict[str, int] = field(default_factory=dict)
    _clients: dict[str, tuple[TestClient, str]] = field(default_factory=dict)

    def client(self, role: str, *, fresh: bool = False) -> tuple[TestClient, str]:
        """A client signed in as ``role`` (one of :data:`ROLES`) and its CSRF token; the same
        one each time unless ``fresh`` (a new sign-in, not kept)."""
        if not fresh and role in self._clients:
            return self._clients[role]
        c = TestClient(self.app)
        out = (
            (c, "")
            if role == "anonymous"
            else (c, sign_in(c, self.accounts[role].username, PASSWORD))
        )
        if not fresh:
            self._clients[role] = out
        return out


def sign_in(c: TestClient, username: str, password: str) -> str:
    """Sign ``c`` in through the form; return the sign-in's CSRF token."""
    form = c.get("/login")
    token = _CSRF.search(form.text)
    assert token is not None, form.text
    r = c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    home = c.get(r.headers["location"])
    found = _CSRF.search(home.text)
    assert found is not None, home.text
    return found.group(1)


def csrf_of(c: TestClient, path: str) -> str:
    page = c.get(path)
    found = _CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def _recorded(store: Store, patient: AccountRecord, pain_after: int) -> str:
    spec = load_spec(None)
    reps = [RepScript("forearms", 2.0, 7.0, 2.5, 3.0) for _ in range(2)]
    track, _ = make_session(SessionScript(reps=reps, noise_px=0.5))
    done = store_recorded_set(
        patient_store(store, patient),
        spec,
        track,
        [Rating(0, 3, "back"), Rating(1, pain_after, "back")],
    )
    return done.session_id


def build_world(url: str, **settings: Any) -> World:
    app = create_clinic_app(settings_for(url, **settings))
    store: Store = app.state.store
    pw: Passwords = app.state.passwords
    h = pw.hash(PASSWORD)
    acc: dict[str, AccountRecord] = {}
    acc["admin"] = create_account(
        store, username="admin", display_name="Ada Admin", role="admin", password_hash=h
    )
    for k in ("a", "a2", "b"):
        acc[f"clinician_{k}"] = create_account(
            store,
            username=f"physio.{k}",
            display_name=f"Physio {k}",
            role="clinician",
            password_hash=h,
        )
    for k in ("a", "b"):
        acc[f"patient_{k}"] = create_account(
            store,
            username=f"patient.{k}",
            display_name=f"Patient {k.upper()}",
            role="patient",
            password_hash=h,
            clinician_id=acc[f"clinician_{k}"].id,
        )
    a, a2 = acc["patient_a"].id, acc["clinician_a2"].id
    add_to_care_team(store, patient_id=a, clinician_id=a2, added_by=acc["clinician_a"].id)
    world = World(app, store, acc)
    locked = evaluate({qid: ("unsure" if i == 0 else "no") for i, qid in enumerate(QUESTION_IDS)})
    for k, pain in (("a", 2), ("b", 4)):
        patient = acc[f"patient_{k}"]
        world.session_of[f"patient_{k}"] = _recorded(store, patient, pain)
        rec = add_screening(
            patient_store(store, patient),
            answers=dict(locked.answers),
            outcome=locked.outcome,
            locked=True,
        )
        world.screening_of[f"patient_{k}"] = rec.id
    return world


def route_keys(app: FastAPI) -> list[tuple[str, str]]:
    """``(method, path)`` of every route of ``app`` (``WS`` for a WebSocket, ``MOUNT`` for a
    mounted folder)."""
    keys = []
    for route in all_routes(app):
        if isinstance(route, APIWebSocketRoute):
            keys.append(("WS", route.path))
        elif isinstance(route, APIRoute):
            keys.extend((m, route.path) for m in sorted(route.methods or ()) if m != "HEAD")
        elif isinstance(route, Mount):
            keys.append(("MOUNT", route.path))
        else:
            keys.append(("?", repr(route)))
    return keys


def fill_path(path: str, world: World) -> str:
    """``path`` with its parameters filled with patient A's records."""
    return (
        path.replace("{patient_id}", str(world.accounts["patient_a"].id))
        .replace("{account_id}", str(world.accounts["patient_a"].id))
        .replace("{session_id}", world.session_of["patient_a"])
        .replace("{screening_id}", str(world.screening_of["patient_a"]))
        .replace("{table}.{fmt}", "sessions.csv")
    )


def call_route(world: World, c: TestClient, csrf: str, method: str, path: str) -> Any:
    """One request to the route ``(method, path)`` by client ``c`` (its CSRF token ``csrf``),
    about patient A's records, with a form that the route reads."""
    from pressup.safety.screening import QUESTION_IDS

    sid = world.session_of["patient_a"]
    params: dict[str, str] = {"token": csrf} if csrf else {}
    if path == "/export/fhir":
        params.update(session=sid, patient="p1")
    if path == "/export/trc":
        params["session"] = sid
    if path in ("/invite", "/reset") and method == "GET":
        params["code"] = "x"
    url = fill_path(path, world) if path != "/static" else "/static/style.css"
    headers = {"x-csrf-token": csrf} if csrf else {}
    if method == "GET":
        return c.get(url, params=params, headers=headers, follow_redirects=False)
    forms: dict[str, dict[str, str]] = {
        "/login": {"username": "nobody", "password": "wrong password"},
        "/invite": {"code": "nope", "password": "x" * 12, "again": "x" * 12},
        "/reset": {"code": "nope", "password": "x" * 12, "again": "x" * 12},
        # two different new passwords: refused before the current one is checked (a wrong
        # one would count as a failed sign-in)
        "/account/password": {"current": "not mine", "password": "x" * 12, "again": "y" * 12},
        "/login/code": {"code": "000000"},
        # a code that cannot be right (counted as a failed sign-in, as a wrong password)
        "/account/two-factor": {"password": PASSWORD, "code": "x", "secret": "x"},
        "/account/two-factor/off": {"password": "not mine"},
        "/me/delete": {"password": "not my password", "confirm": "yes"},
        "/clinic/patients": {"username": f"p.{uuid.uuid4().hex[:8]}", "display_name": "New"},
        "/admin/accounts": {
            "username": f"s.{uuid.uuid4().hex[:8]}",
            "display_name": "Staff",
            "role": "clinician",
        },
    }
    team = {
        "add": world.accounts["clinician_a"].id,  # in the care team already: nothing changes
        "remove": world.accounts["admin"].id,  # not in it: nothing changes either
    }
    if path.rsplit("/", 2)[-2:-1] == ["care-team"]:
        form = {"clinician_id": str(team[path.rsplit("/", 1)[1]])}
    elif path.endswith("/prescription"):
        form = {"variant": "forearms", "reps": "3", "hold_s": "5", "sessions_per_day": "1"}
    elif path.endswith("/review"):
        form = {"decision": "declined", "note": "Please call me first."}
    else:
        form = forms.get(path, {})
    if path == "/api/screening":
        body = {"answers": {q: "no" for q in QUESTION_IDS}}
        return c.post(url, params=params, headers=headers, json=body, follow_redirects=False)
    return c.post(url, params=params, headers=headers, data=form, follow_redirects=False)


__all__ = [
    "ORIGIN",
    "PASSWORD",
    "ROLES",
    "World",
    "build_world",
    "call_route",
    "csrf_of",
    "fill_path",
    "route_keys",
    "settings_for",
    "sign_in",
]
