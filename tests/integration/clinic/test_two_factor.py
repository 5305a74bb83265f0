"""Two-factor sign-in of clinicians and admins, on SQLite and PostgreSQL: set up from one's
account page (password and the app's first code), then every sign-in waits for a code (and
signs nobody in meanwhile); a code is taken once; wrong codes lock the account as wrong
passwords do; with ``PRESSUP_TWO_FACTOR`` a clinician without one sets it up at sign-in and a
patient is not asked; an admin removes a lost one."""

from __future__ import annotations

import re
import time
from typing import Any

from fastapi.testclient import TestClient

from pressup.clinic import twofactor
from pressup.sessions.clinic import get_account, list_audit, two_factor_of
from support.clinic import PASSWORD, World, build_world, csrf_of

_SECRET = re.compile(r'data-testid="secret">([A-Z2-7]+)<')


def _now_code(secret: str, offset: int = 0) -> str:
    return twofactor.code_at(secret, twofactor.step_of(time.time()) + offset)


def _not_a_code(secret: str) -> str:
    """Six digits that are no code of ``secret`` around now (nor in the next step)."""
    taken = {_now_code(secret, k) for k in (-1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in taken)


def _password_step(app: Any, username: str) -> tuple[TestClient, Any]:
    c = TestClient(app)
    token = csrf_of(c, "/login")
    r = c.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    return c, r


def _give_code(c: TestClient, code: str, secret: str = "") -> Any:
    token = csrf_of(c, "/login/code")
    form = {"code": code, "csrf_token": token, **({"secret": secret} if secret else {})}
    return c.post("/login/code", data=form, follow_redirects=False)


def _set_up(world: World, role: str) -> str:
    c, csrf = world.client(role)
    found = _SECRET.search(c.get("/account/two-factor").text)
    assert found is not None
    secret = found.group(1)
    form = {"password": PASSWORD, "secret": secret, "code": _now_code(secret), "csrf_token": csrf}
    r = c.post("/account/two-factor", data=form)
    assert r.status_code == 200 and "Set up" in r.text, r.text
    return secret


def test_a_clinician_sets_up_a_code_and_signs_in_with_it(database_url: str) -> None:
    world = build_world(database_url, login_max_failures=3)
    pid = world.accounts["clinician_a"].id
    c, csrf = world.client("clinician_a")
    wrong = c.post(
        "/account/two-factor",
        data={
            "password": PASSWORD,
            "secret": twofactor.new_secret(),
            "code": "123456",
            "csrf_token": csrf,
        },
    )
    assert wrong.status_code == 400 and two_factor_of(world.store, pid)[0] is None
    secret = _set_up(world, "clinician_a")
    assert two_factor_of(world.store, pid)[0] == secret
    account = get_account(world.store, pid)
    assert account is not None and account.has_two_factor

    browser, r = _password_step(world.app, "physio.a")
    assert r.status_code == 303 and r.headers["location"] == "/login/code"
    page = browser.get("/clinic", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"  # nobody yet
    assert browser.get("/clinic", headers={"accept": "application/json"}).status_code == 401
    assert "Type the 6-digit code" in browser.get("/login/code").text
    bad = _give_code(browser, _not_a_code(secret))
    assert bad.status_code == 401 and "does not work" in bad.text
    code = _now_code(secret, +1)  # a step ahead: taken once
    ok = _give_code(browser, code)
    assert ok.status_code == 303 and ok.headers["location"] == "/clinic"
    assert browser.get("/clinic").status_code == 200
    again, _ = _password_step(world.app, "physio.a")
    assert _give_code(again, code).status_code == 401  # that code was used
    actions = [e.action for e in list_audit(world.store) if e.actor_username == "physio.a"]
    assert {"two_factor_set_up", "sign_in_password", "sign_in"} <= set(actions)
    world.store.close()


def test_wrong_codes_lock_the_account(database_url: str) -> None:
    world = build_world(database_url, login_max_failures=3)
    secret = _set_up(world, "admin")
    browser, _ = _password_step(world.app, "admin")
    wrong = _not_a_code(secret)
    for _ in range(3):
        assert _give_code(browser, wrong).status_code == 401
    locked = _give_code(browser, _now_code(secret))
    assert locked.status_code == 429
    assert browser.get("/login/code", follow_redirects=False).headers["location"] == "/login"
    world.store.close()


def test_the_clinic_requires_a_code_of_staff_not_of_patients(database_url: str) -> None:
    world = build_world(database_url, two_factor=True)
    _, r = _password_step(world.app, "patient.a")
    assert r.status_code == 303 and r.headers["location"] == "/me"
    browser, r = _password_step(world.app, "physio.b")
    assert r.headers["location"] == "/login/code"
    page = browser.get("/login/code").text
    found = _SECRET.search(page)
    assert found is not None and "otpauth://totp/pressup%3Aphysio.b?secret=" in page
    secret = found.group(1)
    assert _give_code(browser, "12345", secret).status_code == 401
    done = _give_code(browser, _now_code(secret), secret)
    assert done.status_code == 303 and done.headers["location"] == "/clinic"
    assert two_factor_of(world.store, world.accounts["clinician_b"].id)[0] == secret
    token = csrf_of(browser, "/account/two-factor")
    off = browser.post("/account/two-factor/off", data={"password": PASSWORD, "csrf_token": token})
    assert off.status_code == 400 and "requires" in off.text
    # a lost phone: an admin removes the code; its sign-ins end; a new one at the next sign-in
    admin_browser, _ = _password_step(world.app, "admin")
    admin_secret = _SECRET.search(admin_browser.get("/login/code").text)
    assert admin_secret is not None
    _give_code(admin_browser, _now_code(admin_secret.group(1)), admin_secret.group(1))
    token = csrf_of(admin_browser, "/admin")
    pid = world.accounts["clinician_b"].id
    r = admin_browser.post(
        f"/admin/accounts/{pid}/two-factor/remove",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert two_factor_of(world.store, pid) == (None, None)
    assert browser.get("/clinic", headers={"accept": "application/json"}).status_code == 401
    again, r = _password_step(world.app, "physio.b")
    assert _SECRET.search(again.get("/login/code").text) is not None  # set up anew
    removed = [e for e in list_audit(world.store) if e.action == "two_factor_removed"]
    assert [(e.actor_username, e.target_username) for e in removed] == [("admin", "physio.b")]
    world.store.close()


def test_a_code_is_turned_off_with_the_password_when_not_required(database_url: str) -> None:
    world = build_world(database_url)
    pid = world.accounts["clinician_a2"].id
    _set_up(world, "clinician_a2")
    c, csrf = world.client("clinician_a2")
    wrong = c.post("/account/two-factor/off", data={"password": "nope", "csrf_token": csrf})
    assert wrong.status_code == 400 and two_factor_of(world.store, pid)[0] is not None
    off = c.post("/account/two-factor/off", data={"password": PASSWORD, "csrf_token": csrf})
    assert off.status_code == 200 and "Turned off" in off.text
    assert two_factor_of(world.store, pid) == (None, None)
    _, r = _password_step(world.app, "physio.a2")
    assert r.headers["location"] == "/clinic"  # the password alone again
    patient, _ = world.client("patient_a")
    assert patient.get("/account/two-factor").status_code == 403  # clinicians and admins
    world.store.close()
