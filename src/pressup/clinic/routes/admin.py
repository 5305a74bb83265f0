"""The admin's side: accounts, not health data.

* ``GET /admin`` - every account (name, role, clinician, whether a password is set, lock-out);
* ``POST /admin/accounts`` - a new clinician or admin and its one-time invitation code;
* ``POST /admin/accounts/{account_id}/unlock`` - end an account's lock-out after failed
  sign-ins (and forget those failures), so that its owner can sign in again at once;
* ``POST /admin/accounts/{account_id}/reset`` - a one-time password-reset code for any account
  (shown once; the server sends no mail: the admin hands it on);
* ``POST /admin/accounts/{account_id}/two-factor/remove`` - remove an account's sign-in code
  (a lost phone) and end its sign-ins; with ``PRESSUP_TWO_FACTOR`` they set up a new one at
  their next sign-in;
* ``POST /admin/patients/{patient_id}/care-team/add`` and ``.../remove`` - change a patient's
  care team as its clinicians can (a patient whose clinicians have left the clinic gets a new
  one; never the last one out); audited with the patient and the clinician;
* ``GET /admin/audit.csv`` - the whole audit log as CSV (it holds no health data; the last
  two columns: the account an action was about, e.g. the one unlocked).

An admin reads no patient's health data unless the account is also a clinician's (then
through ``/clinic`` like any clinician, for their own patients only).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from pressup.clinic.auth import (
    AdminAuth,
    BaseStoreDep,
    ClinicSettingsDep,
    RowId,
    audit,
    now_utc,
)
from pressup.clinic.pages import FORM, SIGNED_IN, render
from pressup.clinic.routes.signin import issue_invite
from pressup.errors import InputError, RecordNotFoundError
from pressup.sessions.clinic import (
    MAX_ROW_ID,
    AccountRecord,
    add_to_care_team,
    care_teams,
    create_account,
    end_auth_sessions,
    get_account,
    iter_audit,
    list_accounts,
    remove_from_care_team,
    set_two_factor,
    unlock_account,
)
from pressup.sessions.store import Store
from pressup.web.openapi import media, merged, page, redirect, refusals

router = APIRouter(responses=SIGNED_IN)
AUDIT_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_username",
    "actor_role",
    "action",
    "patient_id",
    "patient_username",
    "address",
    "target_id",
    "target_username",
)


@router.get("/admin", response_class=HTMLResponse, responses=page())
def accounts(
    auth: AdminAuth, store: BaseStoreDep, unlocked: int = 0, error: str = ""
) -> HTMLResponse:
    everyone = list_accounts(store)
    return render(
        "admin",
        title="Accounts",
        account=auth.account,
        csrf=auth.session.csrf_token,
        accounts=everyone,
        teams=care_teams(store, [a.id for a in everyone if a.role == "patient"]),
        clinicians=[a for a in everyone if a.can_treat],
        now=now_utc(),
        unlocked=next((a for a in everyone if a.id == unlocked), None),
        error=error[:300],
    )


#: The account of a clinician, from the form.
ClinicianId = Annotated[int, Form(ge=1, le=MAX_ROW_ID)]
_CARE_TEAM = merged(
    FORM, refusals(404), redirect("To the accounts page (saying why, when nothing changed).")
)


def _patient(store: Store, patient_id: int) -> AccountRecord:
    patient = get_account(store, patient_id)
    if patient is None or patient.role != "patient":
        raise HTTPException(status_code=404, detail=f"no patient with id {patient_id}")
    return patient


def _accounts_page(error: str = "") -> RedirectResponse:
    return RedirectResponse(f"/admin?error={quote(error)}" if error else "/admin", status_code=303)


@router.post(
    "/admin/patients/{patient_id}/care-team/add",
    status_code=303,
    response_class=Response,
    responses=_CARE_TEAM,
)
def add_clinician(
    request: Request,
    patient_id: RowId,
    auth: AdminAuth,
    store: BaseStoreDep,
    clinician_id: ClinicianId,
) -> Response:
    """Add a clinician to a patient's care team, as a clinician of the team can (for a patient
    whose clinicians have left; audited with the patient and the clinician; no health data)."""
    patient = _patient(store, patient_id)
    try:
        added = add_to_care_team(
            store, patient_id=patient.id, clinician_id=clinician_id, added_by=auth.account.id
        )
    except (InputError, RecordNotFoundError) as exc:
        return _accounts_page(str(exc))
    audit(request, auth.account, "care_team_add", patient, target=added)
    return _accounts_page()


@router.post(
    "/admin/patients/{patient_id}/care-team/remove",
    status_code=303,
    response_class=Response,
    responses=_CARE_TEAM,
)
def remove_clinician(
    request: Request,
    patient_id: RowId,
    auth: AdminAuth,
    store: BaseStoreDep,
    clinician_id: ClinicianId,
) -> Response:
    """Take a clinician out of a patient's care team (never the last one; audited)."""
    patient = _patient(store, patient_id)
    try:
        remove_from_care_team(store, patient_id=patient.id, clinician_id=clinician_id)
    except (InputError, RecordNotFoundError) as exc:
        return _accounts_page(str(exc))
    audit(
        request, auth.account, "care_team_remove", patient, target=get_account(store, clinician_id)
    )
    return _accounts_page()


@router.post("/admin/accounts", response_class=HTMLResponse, responses=merged(FORM, page()))
def new_staff(
    request: Request,
    auth: AdminAuth,
    store: BaseStoreDep,
    settings: ClinicSettingsDep,
    username: str = Form(..., max_length=200),
    display_name: str = Form(..., max_length=200),
    role: str = Form(..., max_length=16),
    also_clinician: bool = Form(default=False),
) -> HTMLResponse:
    if role not in ("clinician", "admin"):
        raise HTTPException(
            status_code=422,
            detail=f"role: expected clinician or admin (patients are invited by their "
            f"clinician), got {role!r}",
        )
    try:
        account = create_account(
            store,
            username=username.strip().lower(),
            display_name=display_name,
            role=role,
            also_clinician=also_clinician,
        )
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    audit(request, auth.account, f"create_{role}", None)
    invite = issue_invite(store, settings, account, auth.account)
    return render(
        "message",
        title=f"{account.display_name} is invited",
        account=auth.account,
        csrf=auth.session.csrf_token,
        lines=["Give them this code or link; they choose their own password with it."],
        back="/admin",
        **invite,
    )


@router.post(
    "/admin/accounts/{account_id}/unlock",
    status_code=303,
    response_class=Response,
    responses=merged(FORM, refusals(404), redirect("To the accounts page, saying so.")),
)
def unlock(request: Request, account_id: RowId, auth: AdminAuth, store: BaseStoreDep) -> Response:
    """End the account's lock-out and forget its failed sign-ins (audited: who, whom; no
    health data)."""
    try:
        account = unlock_account(store, account_id)
    except RecordNotFoundError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    audit(request, auth.account, "unlock_account", None, target=account)
    return RedirectResponse(f"/admin?unlocked={account.id}", status_code=303)


@router.post(
    "/admin/accounts/{account_id}/reset",
    response_class=HTMLResponse,
    responses=merged(FORM, refusals(404), page(description="The code and link, shown once.")),
)
def reset_code(
    request: Request,
    account_id: RowId,
    auth: AdminAuth,
    store: BaseStoreDep,
    settings: ClinicSettingsDep,
) -> HTMLResponse:
    """A password-reset code for the account (audited: who, for whom; no health data)."""
    account = get_account(store, account_id)
    if account is None:
        raise HTTPException(status_code=404, detail=f"no account with id {account_id}")
    code = issue_invite(store, settings, account, auth.account, purpose="reset")
    audit(request, auth.account, "issue_password_reset", None, target=account)
    return render(
        "message",
        title=f"A password reset code for {account.display_name}",
        account=auth.account,
        csrf=auth.session.csrf_token,
        lines=[
            f"Give this code or link to {account.display_name} ({account.username}) yourself; "
            "it is shown only now. They set a new password with it, which signs them out "
            "everywhere. An earlier reset code of theirs no longer works."
        ],
        back="/admin",
        **code,
    )


@router.post(
    "/admin/accounts/{account_id}/two-factor/remove",
    status_code=303,
    response_class=Response,
    responses=merged(FORM, refusals(404), redirect("To the accounts page.")),
)
def remove_two_factor(
    request: Request, account_id: RowId, auth: AdminAuth, store: BaseStoreDep
) -> Response:
    """Remove the account's second factor and end its sign-ins (audited: who, whom); an
    account without one is left as it is."""
    account = get_account(store, account_id)
    if account is None:
        raise HTTPException(status_code=404, detail=f"no account with id {account_id}")
    if account.has_two_factor:
        set_two_factor(store, account.id, None, None)
        end_auth_sessions(store, account.id)
        audit(request, auth.account, "two_factor_removed", None, target=account)
    return RedirectResponse("/admin", status_code=303)


def _csv_lines(store: Store) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(AUDIT_COLUMNS)
    for e in iter_audit(store):
        writer.writerow(
            [
                e.id,
                e.at.isoformat(),
                e.actor_id if e.actor_id is not None else "",
                e.actor_username,
                e.actor_role,
                e.action,
                e.patient_id if e.patient_id is not None else "",
                e.patient_username or "",
                e.address,
                e.target_id if e.target_id is not None else "",
                e.target_username or "",
            ]
        )
        if buf.tell() > 65_536:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


@router.get("/admin/audit.csv", response_class=StreamingResponse, responses=media("text/csv"))
def audit_csv(request: Request, auth: AdminAuth, store: BaseStoreDep) -> StreamingResponse:
    audit(request, auth.account, "export_audit", None)
    return StreamingResponse(
        _csv_lines(store),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="pressup-audit.csv"',
            "Cache-Control": "no-store",
        },
    )


__all__ = ["AUDIT_COLUMNS", "router"]
