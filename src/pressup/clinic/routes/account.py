"""A signed-in person's own account (any role).

* ``GET /account/password``, ``POST /account/password`` - change one's password: the current
  one is asked for (a wrong one counts as a failed sign-in: enough of them lock the account as
  at the sign-in form), the new one follows the same rules as everywhere, and every other
  sign-in of the account ends (this one goes on). Audited, both a change and a refusal.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from pressup.clinic.auth import (
    Auth,
    BaseStoreDep,
    ClinicSettingsDep,
    Passwords,
    PasswordsDep,
    SignedIn,
    audit,
    client_address,
    now_utc,
)
from pressup.clinic.pages import FORM, SIGNED_IN, render
from pressup.clinic.settings import ClinicSettings
from pressup.sessions.clinic import (
    change_password,
    note_failure,
    password_hash_of,
    record_attempt,
)
from pressup.sessions.store import Store
from pressup.web.openapi import merged, page, refusals

router = APIRouter()


def _page(auth: Auth, message: str = "", status: int = 200, *, done: bool = False) -> Response:
    return render(
        "password",
        status,
        title="Change your password",
        account=auth.account,
        csrf=auth.session.csrf_token,
        message=message,
        done=done,
        min_length=Passwords.MIN_LENGTH,
    )


@router.get("/account/password", response_class=HTMLResponse, responses=merged(SIGNED_IN, page()))
def password_form(auth: SignedIn) -> Response:
    return _page(auth)


def _wrong_current(
    request: Request, store: Store, settings: ClinicSettings, auth: Auth
) -> Response:
    """A wrong current password: counted as a failed sign-in (the lock-out applies)."""
    account = auth.account
    record_attempt(store, username=account.username, address=client_address(request), ok=False)
    note_failure(
        store,
        account.id,
        lock_after=settings.login_max_failures,
        lock_until=now_utc() + timedelta(minutes=settings.lockout_minutes),
    )
    audit(request, account, "change_password_refused", None, target=account)
    return _page(auth, "Your current password is not right; nothing was changed.", 400)


@router.post(
    "/account/password",
    response_class=HTMLResponse,
    responses=merged(
        SIGNED_IN,
        FORM,
        page(description="The password is changed; the other sign-ins ended."),
        refusals(400),
        page(400, "The current password is wrong: the form again, saying so."),
        page(422, "The new passwords differ or do not fit: the form again, saying why."),
        page(429, "Locked after too many wrong passwords: the form again, saying how long."),
    ),
)
def change_own_password(
    request: Request,
    auth: SignedIn,
    store: BaseStoreDep,
    settings: ClinicSettingsDep,
    pw: PasswordsDep,
    current: str = Form(..., max_length=1024),
    password: str = Form(..., max_length=1024),
    again: str = Form(..., max_length=1024),
) -> Response:
    now = now_utc()
    locked = auth.account.locked_until
    if locked is not None and locked > now:
        minutes = max(1, int((locked - now).total_seconds() // 60) + 1)
        return _page(auth, f"Too many wrong passwords. Please wait {minutes} min.", 429)
    problem = Passwords.check_new(password, again)
    if problem is not None:
        return _page(auth, problem, 422)
    if not pw.verify(password_hash_of(store, auth.account.id), current):
        return _wrong_current(request, store, settings, auth)
    ended = change_password(store, auth.account.id, pw.hash(password), keep=auth.session.id)
    audit(request, auth.account, "change_password", None, target=auth.account)
    others = f"{ended} other sign-in(s) ended" if ended else "you were signed in nowhere else"
    return _page(auth, f"Your password is changed; {others}.", done=True)


__all__ = ["router"]
