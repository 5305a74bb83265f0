"""Passwords without e-mail, on SQLite and PostgreSQL: an admin (any account) or a patient's
clinician (their patients) makes a one-time reset code, shown once and stored only as its
hash; with it the person sets a new password (the same rules), which ends every sign-in they
had; a code works once, only the newest, and not after it expires. A signed-in person
changes their own password (the current one asked for; the other sign-ins end)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pressup.clinic.auth import token_hash
from pressup.sessions.clinic import get_account, invites_of, list_audit
from pressup.storage.models import InviteRow
from support.clinic import PASSWORD, World, build_world, csrf_of

_CODE = re.compile(r'class="code">([^<]+)<')
_LINK = re.compile(r'<a href="([^"]+)">')
NEW = "a brand new password"


@pytest.fixture
def clinic(database_url: str) -> Iterator[World]:
    w = build_world(database_url, login_max_failures=3)
    yield w
    w.store.close()


def _login(app: Any, username: str, password: str) -> int:
    c = TestClient(app)
    token = csrf_of(c, "/login")
    r = c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return r.status_code


def _code_of(page: Any) -> tuple[str, str]:
    assert page.status_code == 200, page.text
    code, link = _CODE.search(page.text), _LINK.search(page.text.split('class="code"')[1])
    assert code is not None and link is not None, page.text
    return code.group(1), link.group(1)


def _use(app: Any, path: str, code: str, password: str = NEW, again: str = NEW) -> Any:
    guest = TestClient(app)
    token = csrf_of(guest, f"{path}?code={code}")
    return guest, guest.post(
        path,
        data={"code": code, "password": password, "again": again, "csrf_token": token},
        follow_redirects=False,
    )


def test_an_admin_s_reset_code_sets_a_new_password_once_and_ends_every_sign_in(
    clinic: World,
) -> None:
    world = clinic
    pid = world.accounts["patient_a"].id
    first, _ = world.client("patient_a")
    second, _ = world.client("patient_a", fresh=True)
    assert first.get("/me").status_code == second.get("/me").status_code == 200
    admin, csrf = world.client("admin")
    assert admin.post(f"/admin/accounts/{pid}/reset").status_code == 403  # no CSRF token
    code, link = _code_of(admin.post(f"/admin/accounts/{pid}/reset", data={"csrf_token": csrf}))
    assert link == f"http://testserver/reset?code={code}"
    stored = [i for i in invites_of(world.store, pid) if i.purpose == "reset"]
    assert len(stored) == 1 and stored[0].used_at is None
    with world.store.transaction(write=False) as s:  # only the hash is kept
        rows = [tuple(vars(r).values()) for r in s.scalars(select(InviteRow))]
        hashes = set(s.scalars(select(InviteRow.code_hash)))
    assert token_hash(code) in hashes
    assert rows and all(code not in str(value) for row in rows for value in row)

    assert "Set a new password" in TestClient(world.app).get(f"/reset?code={code}").text
    _, short = _use(world.app, "/reset", code, "short", "short")
    assert short.status_code == 422 and "at least 10 characters" in short.text
    _, differ = _use(world.app, "/reset", code, NEW, NEW + "!")
    assert differ.status_code == 422
    _, as_invite = _use(world.app, "/invite", code)  # a reset code is not an invitation
    assert as_invite.status_code == 400
    guest, done = _use(world.app, "/reset", code)
    assert done.status_code == 303 and done.headers["location"] == "/me"
    assert guest.get("/me").status_code == 200  # signed in with the new password
    assert first.get("/me").status_code == second.get("/me").status_code == 401
    assert _login(world.app, "patient.a", PASSWORD) == 401
    assert _login(world.app, "patient.a", NEW) == 303
    _, again = _use(world.app, "/reset", code, "another new password", "another new password")
    assert again.status_code == 400 and "does not work" in again.text
    assert _login(world.app, "patient.a", NEW) == 303

    said = [
        (e.action, e.actor_username, e.patient_username, e.target_username)
        for e in list_audit(world.store)
        if "reset" in e.action
    ]
    assert said == [
        ("set_password_from_reset", "patient.a", None, "patient.a"),
        ("issue_password_reset", "admin", None, "patient.a"),
    ]


def test_a_clinician_gives_a_reset_code_to_their_patients_only_and_the_newest_works(
    clinic: World,
) -> None:
    world = clinic
    pid = world.accounts["patient_a"].id
    other, ocsrf = world.client("clinician_b")
    assert other.post(f"/clinic/patients/{pid}/reset", data={"csrf_token": ocsrf}).status_code == (
        404
    )
    physio, csrf = world.client("clinician_a")
    assert "Make a password reset code" in physio.get(f"/clinic/patients/{pid}").text
    older, _ = _code_of(physio.post(f"/clinic/patients/{pid}/reset", data={"csrf_token": csrf}))
    colleague, ccsrf = world.client("clinician_a2")  # the care team's other clinician
    newer, _ = _code_of(colleague.post(f"/clinic/patients/{pid}/reset", data={"csrf_token": ccsrf}))
    _, r = _use(world.app, "/reset", older)
    assert r.status_code == 400  # ended by the newer one
    _, r = _use(world.app, "/reset", newer)
    assert r.status_code == 303
    entries = [e for e in list_audit(world.store) if e.action == "issue_password_reset"]
    assert {(e.actor_username, e.patient_username) for e in entries} == {
        ("physio.a", "patient.a"),
        ("physio.a2", "patient.a"),
    }


def test_a_reset_code_does_not_work_after_it_expires(database_url: str) -> None:
    world = build_world(database_url, reset_hours=0.5 / 3600)  # half a second
    pid = world.accounts["clinician_b"].id
    admin, csrf = world.client("admin")
    code, _ = _code_of(admin.post(f"/admin/accounts/{pid}/reset", data={"csrf_token": csrf}))
    time.sleep(0.7)
    _, r = _use(world.app, "/reset", code)
    assert r.status_code == 400 and "expired" in r.text
    assert _login(world.app, "physio.b", PASSWORD) == 303  # nothing changed
    world.store.close()


def _change(c: TestClient, csrf: str, current: str, new: str, again: str | None = None) -> Any:
    form = {"current": current, "password": new, "again": again or new, "csrf_token": csrf}
    return c.post("/account/password", data=form)


def test_a_signed_in_person_changes_their_own_password(clinic: World) -> None:
    world = clinic
    here, csrf = world.client("clinician_a")
    elsewhere, _ = world.client("clinician_a", fresh=True)
    assert "Your current password" in here.get("/account/password").text
    assert here.post("/account/password", data={"current": PASSWORD}).status_code == 403
    assert _change(here, csrf, PASSWORD, NEW, NEW + "?").status_code == 422
    wrong = _change(here, csrf, "not my password", NEW)
    assert wrong.status_code == 400 and "not right" in wrong.text
    account = get_account(world.store, world.accounts["clinician_a"].id)
    assert account is not None and account.failed_logins == 1
    done = _change(here, csrf, PASSWORD, NEW)
    assert done.status_code == 200 and "1 other sign-in(s) ended" in done.text
    assert here.get("/clinic").status_code == 200  # this sign-in goes on
    assert elsewhere.get("/clinic").status_code == 401
    assert _login(world.app, "physio.a", PASSWORD) == 401
    assert _login(world.app, "physio.a", NEW) == 303
    actions = [e.action for e in list_audit(world.store) if "change_password" in e.action]
    assert actions == ["change_password", "change_password_refused"]


def test_wrong_current_passwords_lock_the_account_as_sign_ins_do(clinic: World) -> None:
    c, csrf = clinic.client("patient_b")
    for _ in range(3):  # login_max_failures=3
        assert _change(c, csrf, "guessing", NEW).status_code == 400
    locked = _change(c, csrf, PASSWORD, NEW)  # the right one, too late
    assert locked.status_code == 429 and "Please wait" in locked.text
    assert _login(clinic.app, "patient.b", PASSWORD) == 429
