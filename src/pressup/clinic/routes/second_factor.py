"""The second sign-in step of clinicians and admins: a code from an authenticator app (TOTP,
:mod:`pressup.clinic.twofactor`).

* ``GET /login/code``, ``POST /login/code`` - after the password, a sign-in waits (it signs
  nobody in) until the code is given; an account without a second factor that must have one
  (``PRESSUP_TWO_FACTOR``) sets it up here: the secret is shown, the app's first code confirms
  it. A wrong code counts as a failed sign-in (the lock-out applies); each code is taken once.
* ``GET /account/two-factor``, ``POST /account/two-factor``,
  ``POST /account/two-factor/off`` - a signed-in clinician or admin sets one up (password and
  the app's first code) or turns it off (password; not while the clinic requires it).

An admin removes someone's second factor (a lost phone) from the accounts page
(:mod:`.admin`). Every step is audited.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from datetime import timedelta

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pressup.clinic import twofactor
from pressup.clinic.auth import (
    PRE_CSRF_COOKIE,
    Auth,
    BaseStoreDep,
    ClinicSettingsDep,
    PasswordsDep,
    StaffAuth,
    audit,
    client_address,
    now_utc,
    pending_auth,
)
from pressup.clinic.pages import FORM, SIGNED_IN, render
from pressup.clinic.routes.signin import start_session, with_pre_csrf
from pressup.clinic.settings import ClinicSettings
from pressup.sessions.clinic import (
    AccountRecord,
    end_auth_session,
    note_failure,
    password_hash_of,
    record_attempt,
    set_two_factor,
    take_two_factor_step,
    two_factor_of,
)
from pressup.sessions.store import Store
from pressup.web.openapi import merged, page, redirect, refusals

router = APIRouter()
ISSUER = "pressup"
_CODE = Form(default="", max_length=32)
_SECRET = Form(default="", max_length=128)


def _failed(
    request: Request, store: Store, settings: ClinicSettings, account: AccountRecord
) -> None:
    """A wrong code or password: counted as a failed sign-in (the lock-out applies)."""
    record_attempt(store, username=account.username, address=client_address(request), ok=False)
    note_failure(
        store,
        account.id,
        lock_after=settings.login_max_failures,
        lock_until=now_utc() + timedelta(minutes=settings.lockout_minutes),
    )


def _locked(account: AccountRecord) -> bool:
    return account.locked_until is not None and account.locked_until > now_utc()


def _code_page(
    request: Request,
    settings: ClinicSettings,
    pending: Auth,
    secret: str,
    error: str = "",
    status: int = 200,
) -> Response:
    """The code form (``secret``: a new one to set up, else ``""``), with the double-submit
    CSRF token of the sign-in forms (a sign-in that waits signs nobody in)."""
    token = request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(32)
    uri = twofactor.otpauth_uri(secret, pending.account.username, ISSUER) if secret else ""
    response = render(
        "code",
        status,
        title="Your sign-in code",
        csrf=token,
        error=error,
        secret=secret,
        uri=uri,
    )
    return with_pre_csrf(response, token, settings)


@router.get(
    "/login/code",
    response_class=HTMLResponse,
    responses=merged(page(), redirect("No sign-in waits for a code: to /login.")),
)
def code_form(request: Request, store: BaseStoreDep, settings: ClinicSettingsDep) -> Response:
    pending = pending_auth(request)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    secret, _ = two_factor_of(store, pending.account.id)
    return _code_page(request, settings, pending, "" if secret else twofactor.new_secret())


def _check_code(store: Store, account: AccountRecord, code: str, new_secret: str) -> str | None:
    """Take ``code`` (against the account's secret, or ``new_secret`` being set up); the
    action for the audit log, or ``None`` when the code does not work."""
    secret, last = two_factor_of(store, account.id)
    if secret is not None:
        step = twofactor.matching_step(secret, code, time.time(), after=last)
        ok = step is not None and take_two_factor_step(store, account.id, step)
        return "sign_in" if ok else None
    if not twofactor.valid_secret(new_secret):
        return None
    step = twofactor.matching_step(new_secret, code, time.time())
    if step is None:
        return None
    set_two_factor(store, account.id, new_secret.strip().upper(), step)
    return "two_factor_set_up"


@router.post(
    "/login/code",
    status_code=303,
    response_class=Response,
    responses=merged(
        redirect("Signed in: to the account's home page (or to /login when none waits)."),
        FORM,
        page(401, "The code does not work: the form again, saying so."),
        page(429, "Too many failed sign-ins: the form again, saying so."),
    ),
)
def take_code(
    request: Request,
    store: BaseStoreDep,
    settings: ClinicSettingsDep,
    code: str = _CODE,
    secret: str = _SECRET,
) -> Response:
    pending = pending_auth(request)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    account = pending.account
    if _locked(account):
        end_auth_session(store, pending.session.id)
        wait = "Too many failed sign-ins. Please wait and sign in again."
        return _code_page(request, settings, pending, "", wait, 429)
    action = _check_code(store, account, code, secret)
    if action is None:
        _failed(request, store, settings, account)
        again = secret if not account.has_two_factor else ""
        return _code_page(request, settings, pending, again, "That code does not work.", 401)
    end_auth_session(store, pending.session.id)
    audit(request, account, action, None, target=account)
    if action != "sign_in":
        audit(request, account, "sign_in", None)
    return start_session(request, store, settings, account)


def _account_page(
    auth: Auth, settings: ClinicSettings, message: str = "", status: int = 200
) -> Response:
    secret = "" if auth.account.has_two_factor else twofactor.new_secret()
    return render(
        "two_factor",
        status,
        title="Sign-in code",
        account=auth.account,
        csrf=auth.session.csrf_token,
        message=message,
        secret=secret,
        uri=twofactor.otpauth_uri(secret, auth.account.username, ISSUER) if secret else "",
        required=settings.two_factor,
    )


_ACCOUNT_FORM = merged(
    SIGNED_IN,
    FORM,
    page(description="The page again, saying what was done."),
    refusals(400),
    page(400, "A wrong password or code, or not allowed here: the page again, saying so."),
)


@router.get("/account/two-factor", response_class=HTMLResponse, responses=merged(SIGNED_IN, page()))
def two_factor_page(auth: StaffAuth, settings: ClinicSettingsDep) -> Response:
    return _account_page(auth, settings)


@router.post("/account/two-factor", response_class=HTMLResponse, responses=_ACCOUNT_FORM)
def set_up(
    request: Request,
    auth: StaffAuth,
    store: BaseStoreDep,
    settings: ClinicSettingsDep,
    pw: PasswordsDep,
    password: str = Form(..., max_length=1024),
    code: str = _CODE,
    secret: str = _SECRET,
) -> Response:
    if auth.account.has_two_factor:
        return _account_page(auth, settings, "A sign-in code is set up already.", 400)
    right = pw.verify(password_hash_of(store, auth.account.id), password)
    if not right or _check_code(store, auth.account, code, secret) is None:
        _failed(request, store, settings, auth.account)
        return _account_page(auth, settings, "The password or the code is not right.", 400)
    audit(request, auth.account, "two_factor_set_up", None, target=auth.account)
    done = Auth(auth.session, _with_two_factor(auth.account))
    return _account_page(done, settings, "Set up: from now on you sign in with a code too.")


@router.post("/account/two-factor/off", response_class=HTMLResponse, responses=_ACCOUNT_FORM)
def turn_off(
    request: Request,
    auth: StaffAuth,
    store: BaseStoreDep,
    settings: ClinicSettingsDep,
    pw: PasswordsDep,
    password: str = Form(..., max_length=1024),
) -> Response:
    if settings.two_factor:
        return _account_page(auth, settings, "This clinic requires a sign-in code.", 400)
    if not pw.verify(password_hash_of(store, auth.account.id), password):
        _failed(request, store, settings, auth.account)
        return _account_page(auth, settings, "The password is not right.", 400)
    set_two_factor(store, auth.account.id, None, None)
    audit(request, auth.account, "two_factor_off", None, target=auth.account)
    done = Auth(auth.session, _with_two_factor(auth.account, on=False))
    return _account_page(done, settings, "Turned off: you sign in with your password only.")


def _with_two_factor(account: AccountRecord, *, on: bool = True) -> AccountRecord:
    return replace(account, has_two_factor=on)


__all__ = ["ISSUER", "router"]
