"""A clinic with people in it, for the server tests: an admin, two clinicians, two patients
(A in the care of clinician A, B in the care of clinician B), each patient with a recorded
set and a locked screening; and signed-in test clients."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from pressup.clinic.app import create_clinic_app
from pressup.clinic.auth import Passwords
from pressup.clinic.settings import ClinicSettings
from pressup.protocol import load_spec
from pressup.safety.screening import QUESTION_IDS, evaluate
from pressup.sessions.clinic import AccountRecord, create_account, patient_store
from pressup.sessions.recorded import Rating, store_recorded_set
from pressup.sessions.records import add_screening
from pressup.sessions.store import Store
from pressup.synthetic import RepScript, SessionScript, make_session

ORIGIN = "http://testserver"
PASSWORD = "correct horse battery"
ROLES = ("patient_a", "patient_b", "clinician_a", "clinician_b", "admin", "anonymous")
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
    for k in ("a", "b"):
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


__all__ = [
    "ORIGIN",
    "PASSWORD",
    "ROLES",
    "World",
    "build_world",
    "csrf_of",
    "settings_for",
    "sign_in",
]
