"""Signing in, the cookie, CSRF, the rate limit and lock-out (across two app instances, as
two workers), invitations, deleting one's account, and the clinician's decisions reaching
the patient - on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.websockets import WebSocketDisconnect

from pressup.clinic.app import create_clinic_app
from pressup.storage.models import AuditRow, SessionRow
from support.clinic import ORIGIN, PASSWORD, World, build_world, csrf_of, settings_for, sign_in

_CODE = re.compile(r'class="code">([^<]+)<')


@pytest.fixture
def clinic(database_url: str) -> Any:
    w = build_world(database_url, login_max_failures=3, address_max_failures=10)
    yield w
    w.store.close()


def _login(c: TestClient, username: str, password: str) -> Any:
    token = csrf_of(c, "/login")
    return c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def _accept_invite(
    app: Any, code: str, password: str = "a long password"
) -> tuple[TestClient, Any]:
    """A new browser opens the invitation page and sets ``password`` with ``code``."""
    guest = TestClient(app)
    token = csrf_of(guest, "/invite")
    r = guest.post(
        "/invite",
        data={"code": code, "password": password, "again": password, "csrf_token": token},
        follow_redirects=False,
    )
    return guest, r


def test_the_cookie_is_httponly_lax_and_secure_when_asked(tmp_path: Any) -> None:
    w = build_world(f"sqlite:///{tmp_path / 's.db'}", cookie_secure=True)
    c = TestClient(w.app, base_url="https://testserver")
    r = _login(c, "patient.a", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/me"
    cookie = next(
        v for k, v in r.headers.multi_items() if k == "set-cookie" and "pressup_session" in v
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    w.store.close()


def test_wrong_password_then_lockout_holds_across_workers(clinic: World) -> None:
    other_worker = create_clinic_app(
        settings_for(clinic.store.url, login_max_failures=3, address_max_failures=10)
    )
    c1, c2 = TestClient(clinic.app), TestClient(other_worker)
    assert _login(c1, "patient.a", "wrong one").status_code == 401
    assert _login(c2, "patient.a", "wrong two").status_code == 401
    assert _login(c1, "patient.a", "wrong three").status_code == 401
    locked = _login(c2, "patient.a", PASSWORD)  # the right password, on the other worker
    assert locked.status_code == 429 and "Too many failed sign-ins for this name" in locked.text
    for name in ("nobody.here", "nobody.here", "nobody.here"):
        assert _login(c1, name, "x").status_code == 401
    unknown = _login(c2, "nobody.here", "x")  # the same answer for a name with no account
    assert unknown.status_code == 429 and "Too many failed sign-ins for this name" in unknown.text
    assert _login(TestClient(clinic.app), "patient.b", PASSWORD).status_code == 303
    other_worker.state.store.close()


def test_an_admin_unlocks_a_locked_account(clinic: World) -> None:
    """Locked after failed sign-ins, an account is unlocked by an admin (CSRF-checked, an
    audit entry naming whom, no health data): the right password works at once."""
    c = TestClient(clinic.app)
    for wrong in ("one", "two", "three"):
        assert _login(c, "patient.a", f"wrong {wrong}").status_code == 401
    assert _login(c, "patient.a", PASSWORD).status_code == 429
    admin, csrf = clinic.client("admin")
    page = admin.get("/admin").text
    assert "locked until" in page and 'data-testid="unlock-patient.a"' in page
    pid = clinic.accounts["patient_a"].id
    url = f"/admin/accounts/{pid}/unlock"
    assert admin.post(url, follow_redirects=False).status_code == 403  # no CSRF token
    physio, pcsrf = clinic.client("clinician_a")
    assert physio.post(url, data={"csrf_token": pcsrf}).status_code == 403  # not an admin
    assert _login(c, "patient.a", PASSWORD).status_code == 429  # still locked
    r = admin.post(url, data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/admin?unlocked={pid}"
    assert "patient.a is unlocked" in admin.get(r.headers["location"]).text
    assert _login(c, "patient.a", PASSWORD).status_code == 303
    gone = admin.post("/admin/accounts/2147483000/unlock", data={"csrf_token": csrf})
    assert gone.status_code == 404
    lines = admin.get("/admin/audit.csv").text.strip().splitlines()
    unlocks = [line for line in lines if ",unlock_account," in line]
    assert len(unlocks) == 1
    fields = unlocks[0].split(",")
    assert fields[3:6] == ["admin", "admin", "unlock_account"]
    assert fields[6:8] == ["", ""]  # no patient's data was read
    assert fields[-2:] == [str(pid), "patient.a"]


def test_too_many_failures_from_one_address_are_refused(clinic: World) -> None:
    c = TestClient(clinic.app)
    codes = [_login(c, f"nobody{i}", "x").status_code for i in range(11)]
    assert codes == [401] * 10 + [429]
    assert _login(c, "patient.b", PASSWORD).status_code == 429


def test_state_changes_need_the_csrf_token_and_the_origin(clinic: World) -> None:
    c, csrf = clinic.client("clinician_a")
    pid = clinic.accounts["patient_a"].id
    form = {"variant": "forearms", "reps": "3", "hold_s": "5", "sessions_per_day": "1"}
    url = f"/clinic/patients/{pid}/prescription"
    assert c.post(url, data=form).status_code == 403
    assert c.post(url, data={**form, "csrf_token": "not-it"}).status_code == 403
    _, other = clinic.client("clinician_b")
    assert c.post(url, data={**form, "csrf_token": other}).status_code == 403
    evil = c.post(
        url, data={**form, "csrf_token": csrf}, headers={"origin": "https://evil.example"}
    )
    assert evil.status_code == 403 and "Origin" in evil.text
    ok = c.post(
        url, data={**form, "csrf_token": csrf}, headers={"origin": ORIGIN}, follow_redirects=False
    )
    assert ok.status_code == 303
    anon = TestClient(clinic.app)
    r = anon.post("/login", data={"username": "patient.a", "password": PASSWORD})
    assert r.status_code == 403  # no double-submit cookie, no token


def test_invite_sets_a_password_once(clinic: World) -> None:
    c, csrf = clinic.client("clinician_a")
    page = c.post(
        "/clinic/patients",
        data={"username": "new.one", "display_name": "New One", "csrf_token": csrf},
    )
    assert page.status_code == 200
    found = _CODE.search(page.text)
    assert found is not None
    code = found.group(1)
    assert f"/invite?code={code}" in page.text
    guest = TestClient(clinic.app)
    assert _login(guest, "new.one", "anything at all").status_code == 401  # no password yet
    token = csrf_of(guest, f"/invite?code={code}")
    short = guest.post(
        "/invite", data={"code": code, "password": "short", "again": "short", "csrf_token": token}
    )
    assert short.status_code == 422 and "at least" in short.text
    done = guest.post(
        "/invite",
        data={
            "code": code,
            "password": "a long new password",
            "again": "a long new password",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/me"
    assert "New One" in guest.get("/me").text
    _, reused = _accept_invite(clinic.app, code, "another password!")
    assert reused.status_code == 400
    assert _login(TestClient(clinic.app), "new.one", "a long new password").status_code == 303
    assert "New One" in c.get("/clinic").text


def test_an_expired_invitation_does_not_work(tmp_path: Any) -> None:
    w = build_world(f"sqlite:///{tmp_path / 'e.db'}", invite_hours=0.0002)  # 0.72 s
    c, csrf = w.client("clinician_a")
    page = c.post(
        "/clinic/patients", data={"username": "late", "display_name": "Late", "csrf_token": csrf}
    )
    found = _CODE.search(page.text)
    assert found is not None
    time.sleep(1.0)
    _, r = _accept_invite(w.app, found.group(1))
    assert r.status_code == 400 and "expired" in r.text
    w.store.close()


def test_deleting_my_account_deletes_my_data_for_real(clinic: World) -> None:
    c, csrf = clinic.client("patient_a")
    a = clinic.accounts["patient_a"]
    wrong = c.post(
        "/me/delete", data={"password": "not mine", "confirm": "yes", "csrf_token": csrf}
    )
    assert wrong.status_code == 400
    done = c.post("/me/delete", data={"password": PASSWORD, "confirm": "yes", "csrf_token": csrf})
    assert done.status_code == 200 and "deleted" in done.text
    with clinic.store.transaction(write=False) as s:
        owners = set(s.scalars(select(SessionRow.patient_id)))
        entries = list(s.scalars(select(AuditRow).where(AuditRow.action == "delete_own_account")))
        total = s.scalar(select(func.count()).select_from(SessionRow))
    assert a.id not in owners and total == 1  # B's session stays
    assert [(e.actor_username, e.patient_username) for e in entries] == [("patient.a", "patient.a")]
    assert c.get("/me").status_code == 401  # the sign-in went with the account
    assert _login(TestClient(clinic.app), "patient.a", PASSWORD).status_code == 401
    physio, _ = clinic.client("clinician_a")
    assert "Patient A" not in physio.get("/clinic").text


def test_the_clinicians_decisions_reach_the_patient(clinic: World) -> None:
    physio, pcsrf = clinic.client("clinician_a")
    pat, csrf = clinic.client("patient_a")
    pid = clinic.accounts["patient_a"].id
    sid = clinic.screening_of["patient_a"]
    gate = pat.get("/api/gate", params={"token": csrf}).json()
    assert gate["allowed"] is False
    url = f"/clinic/patients/{pid}/screenings/{sid}/review"
    empty = physio.post(
        url, data={"decision": "declined", "note": " ", "csrf_token": pcsrf}, follow_redirects=False
    )
    assert "error=" in empty.headers["location"]
    physio.post(url, data={"decision": "declined", "note": "Call me first.", "csrf_token": pcsrf})
    assert pat.get("/api/gate", params={"token": csrf}).json()["allowed"] is False
    assert "Call me first." in pat.get("/me").text
    physio.post(url, data={"decision": "approved", "note": "Fine to start.", "csrf_token": pcsrf})
    assert pat.get("/api/gate", params={"token": csrf}).json()["allowed"] is True
    rx = {
        "variant": "hands_bent",
        "reps": "4",
        "hold_s": "8",
        "sessions_per_day": "2",
        "csrf_token": pcsrf,
    }
    r = physio.post(f"/clinic/patients/{pid}/prescription", data=rx, follow_redirects=False)
    assert r.status_code == 303 and "error" not in r.headers["location"]
    mine = pat.get("/api/progress", params={"token": csrf}).json()["prescription"]
    assert (mine["variant"], mine["reps"], mine["hold_s"]) == ("hands_bent", 4, 8.0)
    other, ocsrf = clinic.client("patient_b")
    assert other.get("/api/progress", params={"token": ocsrf}).json()["prescription"] is None
    bad = physio.post(
        f"/clinic/patients/{pid}/prescription", data={**rx, "reps": "0"}, follow_redirects=False
    )
    assert "error=" in bad.headers["location"]


def _approve(clinic: World, who: str) -> None:
    physio, token = clinic.client(f"clinician_{who}")
    pid = clinic.accounts[f"patient_{who}"].id
    sid = clinic.screening_of[f"patient_{who}"]
    r = physio.post(
        f"/clinic/patients/{pid}/screenings/{sid}/review",
        data={"decision": "approved", "note": "", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "error" not in r.headers["location"]


def test_the_patient_coaches_over_the_websocket_in_their_own_store(clinic: World) -> None:
    _approve(clinic, "a")
    _approve(clinic, "b")
    pat, csrf = clinic.client("patient_a")
    hello = {"v": 1, "type": "hello", "session": None, "client": "test"}
    with pat.websocket_connect(f"/ws?token={csrf}", headers={"origin": ORIGIN}) as ws:
        ws.send_text(json.dumps(hello))
        welcome = json.loads(ws.receive_text())
    assert welcome["type"] == "welcome", welcome
    new = welcome["session"]
    assert new in [s["id"] for s in pat.get("/api/sessions", params={"token": csrf}).json()]
    b, bcsrf = clinic.client("patient_b")
    assert b.get(f"/api/sessions/{new}", params={"token": bcsrf}).status_code == 404
    with b.websocket_connect(f"/ws?token={bcsrf}", headers={"origin": ORIGIN}) as ws:
        ws.send_text(json.dumps({**hello, "session": new}))
        refused = json.loads(ws.receive_text())
    assert (refused["type"], refused["code"]) == ("error", "unknown_session")
    evil = {"origin": "https://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect),
        pat.websocket_connect(f"/ws?token={csrf}", headers=evil) as ws,
    ):
        ws.send_text(json.dumps(hello))
        ws.receive_text()
    with (
        pytest.raises(WebSocketDisconnect),
        pat.websocket_connect(f"/ws?token={bcsrf}", headers={"origin": ORIGIN}) as ws,
    ):
        ws.send_text(json.dumps(hello))  # B's token with A's cookie
        ws.receive_text()


def test_the_audit_log_says_who_looked(clinic: World) -> None:
    physio, _ = clinic.client("clinician_a")
    pid = clinic.accounts["patient_a"].id
    assert physio.get(f"/clinic/patients/{pid}/history").status_code == 200
    pat, csrf = clinic.client("patient_a")
    pat.get("/api/sessions", params={"token": csrf})
    page = physio.get("/clinic/audit").text
    assert "read_history" in page and "GET /api/sessions" in page and "patient.a" in page
    other, _ = clinic.client("clinician_b")
    assert "patient.a" not in other.get("/clinic/audit").text
    admin, _ = clinic.client("admin")
    csv_text = admin.get("/admin/audit.csv").text
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("id,at,actor_id,actor_username,actor_role,action")
    assert any(",physio.a,clinician,read_history," in line for line in lines)
    assert not re.search(r"pain|score|hold_s", csv_text)  # no health data in the log


def test_signed_in_twice_is_two_sessions_and_logout_ends_one(clinic: World) -> None:
    c1 = TestClient(clinic.app)
    c2 = TestClient(clinic.app)
    t1 = sign_in(c1, "patient.b", PASSWORD)
    sign_in(c2, "patient.b", PASSWORD)
    assert c1.post("/logout", data={"csrf_token": t1}, follow_redirects=False).status_code == 303
    assert c1.get("/me").status_code == 401
    assert c2.get("/me").status_code == 200


def test_an_admin_who_is_also_a_clinician_sees_only_their_own_patients(tmp_path: Any) -> None:
    w = build_world(f"sqlite:///{tmp_path / 'ac.db'}")
    admin, acsrf = w.client("admin")
    page = admin.post(
        "/admin/accounts",
        data={
            "username": "dr.both",
            "display_name": "Dr Both",
            "role": "admin",
            "also_clinician": "1",
            "csrf_token": acsrf,
        },
    )
    found = _CODE.search(page.text)
    assert page.status_code == 200 and found is not None
    both, done = _accept_invite(w.app, found.group(1))
    assert done.headers["location"] == "/admin"
    mine = csrf_of(both, "/clinic")
    r = both.post(
        "/clinic/patients",
        data={"username": "own.pat", "display_name": "Own Pat", "csrf_token": mine},
    )
    assert r.status_code == 200
    listed = both.get("/clinic").text
    assert "Own Pat" in listed and "Patient A" not in listed
    pid = w.accounts["patient_a"].id
    assert both.get(f"/clinic/patients/{pid}").status_code == 404
    assert admin.get("/clinic").status_code == 403  # the plain admin reads no health data
    w.store.close()


@pytest.mark.parametrize("required", [True, False])
def test_screening_due_is_shown_only_when_the_clinic_asks_for_one(
    tmp_path: Any, required: bool
) -> None:
    from pressup.sessions.clinic import create_account

    w = build_world(f"sqlite:///{tmp_path / 'due.db'}", require_screening=required)
    new = create_account(
        w.store,
        username="patient.c",
        display_name="Patient C",
        role="patient",
        clinician_id=w.accounts["clinician_a"].id,
    )  # never screened
    c, _ = w.client("clinician_a")
    listing = c.get("/clinic")
    page = c.get(f"/clinic/patients/{new.id}")
    assert listing.status_code == page.status_code == 200
    assert ("Screening due" in listing.text) is required
    assert ("Screening due" in page.text) is required
    assert "waiting for your review" in listing.text  # patient A's locked screening, either way
    w.store.close()
