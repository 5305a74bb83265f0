"""Signing in and out, and setting a password from an invitation.

* ``GET /login``, ``POST /login`` - the sign-in form. Refused (429) while the name has had
  ``PRESSUP_LOGIN_MAX_FAILURES`` failures within ``PRESSUP_LOGIN_WINDOW_MINUTES``, while
  the account is locked (that many failures in a row lock it for
  ``PRESSUP_LOCKOUT_MINUTES``), or while the address has had
  ``PRESSUP_ADDRESS_MAX_FAILURES`` failures in the window. All of it is counted in the
  database, so it holds across workers. A clinician or admin with a second factor (or any of
  them when ``PRESSUP_TWO_FACTOR`` is on) is then sent to ``/login/code``
  (:mod:`.second_factor`): until the code is given the sign-in signs nobody in.
* ``POST /logout`` - ends this sign-in (its row is deleted).
* ``GET /invite?code=...``, ``POST /invite`` - an invited person sets their password with the
  one-time code; the invitation is then used up.
* ``GET /reset?code=...``, ``POST /reset`` - the same with a password-reset code (an admin
  gives one for any account, a clinician for a patient in their care; it lasts
  ``PRESSUP_RESET_HOURS``, and only the newest of an account's works). Using either code ends
  every sign-in the account had.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pressup.clinic.auth import (
    PRE_CSRF_COOKIE,
    BaseStoreDep,
    ClinicSettingsDep,
    Passwords,
    PasswordsDep,
    audit,
    client_address,
    current_auth,
    now_utc,
    token_hash,
)
from pressup.clinic.pages import FORM, render
from pressup.clinic.settings import ClinicSettings
from pressup.sessions.clinic import (
    AccountRecord,
    account_by_username,
    create_auth_session,
    create_invite,
    end_auth_session,
    end_expired,
    failures_since,
    note_failure,
    note_success,
    password_hash_of,
    record_attempt,
    redeem_invite,
    set_password_hash,
)
from pressup.sessions.store import Store
from pressup.web.openapi import merged, page, redirect, refusals

log = logging.getLogger("pressup.clinic")
router = APIRouter()


def home_of(account: AccountRecord) -> str:
    """Where an account lands after signing in."""
    if account.role == "patient":
        return "/me"
    if account.role == "admin":
        return "/admin"
    return "/clinic"


def _pre_csrf(request: Request) -> str:
    auth = current_auth(request)
    if auth is not None:
        return auth.session.csrf_token
    return request.cookies.get(PRE_CSRF_COOKIE) or secrets.token_urlsafe(32)


def with_pre_csrf(response: Response, token: str, settings: ClinicSettings) -> Response:
    """``response`` with the sign-in forms' double-submit CSRF cookie (``token``)."""
    response.set_cookie(
        PRE_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    return response


def _login_page(
    request: Request,
    settings: ClinicSettings,
    error: str = "",
    username: str = "",
    status: int = 200,
) -> Response:
    token = _pre_csrf(request)
    page = render("login", status, title="Sign in", csrf=token, error=error, username=username)
    return with_pre_csrf(page, token, settings)


@router.get("/login", response_class=HTMLResponse, responses=page())
def login_form(request: Request, settings: ClinicSettingsDep) -> Response:
    return _login_page(request, settings)


def _refusal(store: Store, settings: ClinicSettings, username: str, address: str) -> str | None:
    """Why this attempt is refused before its password is checked (plain words), or None."""
    now = now_utc()
    since = now - timedelta(minutes=settings.login_window_minutes)
    if failures_since(store, since, address=address) >= settings.address_max_failures:
        return "Too many failed sign-ins from your network. Please wait a while and try again."
    # The same words whether the name exists (locked) or not (too many tries): the answer
    # does not tell which names are accounts.
    busy = "Too many failed sign-ins for this name. Please wait {} min and try again."
    account = account_by_username(store, username)
    if account is not None and account.locked_until is not None and account.locked_until > now:
        return busy.format(max(1, int((account.locked_until - now).total_seconds() // 60) + 1))
    if failures_since(store, since, username=username) >= settings.login_max_failures:
        return busy.format(max(1, round(settings.login_window_minutes)))
    return None


def second_step_needed(account: AccountRecord, settings: ClinicSettings) -> bool:
    """Does ``account`` sign in with a code too: a clinician or admin with a second factor set
    up, or any of them when the clinic requires one (``PRESSUP_TWO_FACTOR``)?"""
    return account.role != "patient" and (account.has_two_factor or settings.two_factor)


def start_session(
    request: Request,
    store: Store,
    settings: ClinicSettings,
    account: AccountRecord,
    *,
    verified: bool = True,
) -> Response:
    """Sign ``account`` in: a new session row, its cookie, and the page to go to (``verified``
    false: a sign-in that waits for its second factor, sent to ``/login/code``)."""
    old = request.cookies.get(settings.cookie_name)
    if old:
        end_auth_session(store, token_hash(old))
    end_expired(store, now_utc())
    secret = secrets.token_urlsafe(32)
    create_auth_session(
        store,
        session_hash=token_hash(secret),
        account_id=account.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now_utc() + timedelta(hours=settings.session_hours),
        address=client_address(request),
        verified=verified,
    )
    response = RedirectResponse(home_of(account) if verified else "/login/code", status_code=303)
    response.set_cookie(
        settings.cookie_name,
        secret,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    response.delete_cookie(PRE_CSRF_COOKIE, path="/")
    return response


@router.post(
    "/login",
    status_code=303,
    response_class=Response,
    responses=merged(
        redirect("Signed in: to the account's home page (or to /login/code for the code)."),
        FORM,
        page(401, "The name and password do not match: the form again, saying so."),
        page(429, "Too many failed sign-ins: the form again, saying how long to wait."),
    ),
)
def login(
    request: Request,
    settings: ClinicSettingsDep,
    store: BaseStoreDep,
    pw: PasswordsDep,
    username: str = Form(..., max_length=200),
    password: str = Form(..., max_length=1024),
) -> Response:
    name = username.strip().lower()
    address = client_address(request)
    refused = _refusal(store, settings, name, address)
    if refused is not None:
        record_attempt(store, username=name, address=address, ok=False)
        log.info("sign-in refused", extra={"username": name, "address": address})
        return _login_page(request, settings, refused, name, status=429)
    account = account_by_username(store, name)
    stored = password_hash_of(store, account.id) if account is not None else None
    if account is None or not pw.verify(stored, password):
        record_attempt(store, username=name, address=address, ok=False)
        if account is not None:
            note_failure(
                store,
                account.id,
                lock_after=settings.login_max_failures,
                lock_until=now_utc() + timedelta(minutes=settings.lockout_minutes),
            )
        log.info("sign-in failed", extra={"username": name, "address": address})
        return _login_page(
            request, settings, "That user name and password do not match.", name, status=401
        )
    assert stored is not None  # verify() is False without a hash
    record_attempt(store, username=name, address=address, ok=True)
    note_success(store, account.id)
    if pw.needs_rehash(stored):
        set_password_hash(store, account.id, pw.hash(password))
    if second_step_needed(account, settings):
        audit(request, account, "sign_in_password", None)
        return start_session(request, store, settings, account, verified=False)
    audit(request, account, "sign_in", None)
    return start_session(request, store, settings, account)


@router.post(
    "/logout",
    status_code=303,
    response_class=Response,
    responses=merged(redirect("Signed out: to the sign-in form."), refusals(403, 413)),
)
def logout(request: Request, settings: ClinicSettingsDep, store: BaseStoreDep) -> Response:
    secret = request.cookies.get(settings.cookie_name)
    if secret:
        end_auth_session(store, token_hash(secret))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(settings.cookie_name, path="/")
    return response


#: Where each kind of one-time code is used, and the title of its form.
CODE_PAGES = {"invite": ("/invite", "Set your password"), "reset": ("/reset", "Set a new password")}


def issue_invite(
    store: Store,
    settings: ClinicSettings,
    account: AccountRecord,
    created_by: AccountRecord,
    *,
    purpose: str = "invite",
) -> dict[str, str]:
    """A new one-time code for ``account`` (shown once: only its hash is stored), its expiry
    and the link to set the password. ``purpose`` ``invite`` (``PRESSUP_INVITE_HOURS``) or
    ``reset`` (``PRESSUP_RESET_HOURS``; the account's earlier reset codes stop working)."""
    code = secrets.token_urlsafe(12)
    hours = settings.reset_hours if purpose == "reset" else settings.invite_hours
    expires = now_utc() + timedelta(hours=hours)
    create_invite(
        store,
        code_hash=token_hash(code),
        account_id=account.id,
        created_by=created_by.id,
        expires_at=expires,
        purpose=purpose,
    )
    return {
        "code": code,
        "expires": expires.strftime("%Y-%m-%d %H:%M UTC"),
        "link": f"{settings.public_origin}{CODE_PAGES[purpose][0]}?code={code}",
    }


def _code_page(
    request: Request,
    settings: ClinicSettings,
    purpose: str,
    code: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    token = _pre_csrf(request)
    action, title = CODE_PAGES[purpose]
    page = render(
        "invite",
        status,
        title=title,
        action=action,
        purpose=purpose,
        csrf=token,
        code=code,
        error=error,
        min_length=Passwords.MIN_LENGTH,
    )
    return with_pre_csrf(page, token, settings)


def _use_code(
    request: Request,
    settings: ClinicSettings,
    store: Store,
    pw: Passwords,
    form: tuple[str, str, str],
    purpose: str,
) -> Response:
    """Set the password with a one-time code of ``purpose`` (``form``: code, password, the
    password again) and sign in; the form again, saying why, when that cannot be done."""
    code, password, again = form
    problem = Passwords.check_new(password, again)
    if problem is not None:
        return _code_page(request, settings, purpose, code, problem, status=422)
    hashed = pw.hash(password)
    account = redeem_invite(store, token_hash(code.strip()), now_utc(), hashed, purpose=purpose)
    if account is None:
        return _code_page(
            request,
            settings,
            purpose,
            code,
            "This code does not work: it may be mistyped, used already or expired. "
            "Ask for a new one.",
            status=400,
        )
    audit(request, account, f"set_password_from_{purpose}", None, target=account)
    verified = not second_step_needed(account, settings)
    return start_session(request, store, settings, account, verified=verified)


_CODE_FORM = merged(
    redirect("The password is set: signed in, to the account's home page."),
    FORM,
    refusals(400),
    page(400, "The code does not work: the form again, saying so."),
    page(422, "The passwords differ or do not fit: the form again, saying why."),
)


@router.get("/invite", response_class=HTMLResponse, responses=page())
def invite_form(request: Request, settings: ClinicSettingsDep, code: str = "") -> Response:
    return _code_page(request, settings, "invite", code[:100])


@router.post("/invite", status_code=303, response_class=Response, responses=_CODE_FORM)
def accept_invite(
    request: Request,
    settings: ClinicSettingsDep,
    store: BaseStoreDep,
    pw: PasswordsDep,
    code: str = Form(..., max_length=200),
    password: str = Form(..., max_length=1024),
    again: str = Form(..., max_length=1024),
) -> Response:
    return _use_code(request, settings, store, pw, (code, password, again), "invite")


@router.get("/reset", response_class=HTMLResponse, responses=page())
def reset_form(request: Request, settings: ClinicSettingsDep, code: str = "") -> Response:
    return _code_page(request, settings, "reset", code[:100])


@router.post("/reset", status_code=303, response_class=Response, responses=_CODE_FORM)
def accept_reset(
    request: Request,
    settings: ClinicSettingsDep,
    store: BaseStoreDep,
    pw: PasswordsDep,
    code: str = Form(..., max_length=200),
    password: str = Form(..., max_length=1024),
    again: str = Form(..., max_length=1024),
) -> Response:
    return _use_code(request, settings, store, pw, (code, password, again), "reset")


__all__ = [
    "CODE_PAGES",
    "home_of",
    "issue_invite",
    "router",
    "second_step_needed",
    "start_session",
    "with_pre_csrf",
]
