"""The patient's own pages (the coach, the screening, history, progress and the downloads
are the coach's own, see :mod:`pressup.clinic.coach_bridge`).

* ``GET /`` - the coach page for a signed-in patient (with their page token in its address);
  anyone else goes to their own home (``/login``, ``/clinic`` or ``/admin``);
* ``GET /me`` - the patient's home: links, their clinician's notes on screenings, downloads;
* ``POST /me/delete`` - delete the account and every row of their data, for real (password
  asked again); the audit log keeps that it happened, with no health data.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from pressup.clinic.auth import (
    BaseStoreDep,
    ClinicSettingsDep,
    OwnStore,
    PasswordsDep,
    PatientAuth,
    audit,
    current_auth,
)
from pressup.clinic.pages import FORM, SIGNED_IN, render
from pressup.clinic.routes.signin import home_of
from pressup.sessions.clinic import care_team, delete_account, password_hash_of, reviews_of
from pressup.sessions.records import list_screenings
from pressup.sessions.store import Store
from pressup.web.deps import same_secret
from pressup.web.openapi import merged, page, redirect, refusals

STATIC = Path(__file__).parents[2] / "web" / "static"
router = APIRouter()


@router.get(
    "/",
    response_class=HTMLResponse,
    responses=merged(
        page(description="The coach page (a patient with their page token)."),
        redirect("To the sign-in form, the account's home, or here with the page token."),
    ),
)
def index(request: Request, token: str = "") -> Response:
    auth = current_auth(request)
    if auth is None:
        return RedirectResponse("/login", status_code=303)
    if auth.account.role != "patient":
        return RedirectResponse(home_of(auth.account), status_code=303)
    if not same_secret(token, auth.session.csrf_token):
        return RedirectResponse(f"/?token={quote(auth.session.csrf_token)}", status_code=303)
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


def _me(
    request: Request,
    auth: PatientAuth,
    store: OwnStore,
    base: Store,
    error: str = "",
    status: int = 200,
) -> Response:
    audit(request, auth.account, "read_home", auth.account)
    screenings = list_screenings(store, limit=5)
    notes = [r for rs in reviews_of(store, [s.id for s in screenings]).values() for r in rs]
    return render(
        "me",
        status,
        title="Your page",
        account=auth.account,
        csrf=auth.session.csrf_token,
        notes=sorted(notes, key=lambda r: r.created_at, reverse=True)[:3],
        sessions=store.list_sessions(limit=50),
        fhir_id=f"pressup-{auth.account.id}",
        error=error,
        team=care_team(base, auth.account.id),
    )


@router.get("/me", response_class=HTMLResponse, responses=merged(SIGNED_IN, page()))
def me(request: Request, auth: PatientAuth, store: OwnStore, base: BaseStoreDep) -> Response:
    return _me(request, auth, store, base)


@router.post(
    "/me/delete",
    response_class=HTMLResponse,
    responses=merged(
        SIGNED_IN,
        FORM,
        page(description="The account is deleted."),
        refusals(400),
        page(400, "Nothing was deleted (box not ticked, or a wrong password): the page again."),
    ),
)
def delete_me(
    request: Request,
    auth: PatientAuth,
    store: OwnStore,
    base: BaseStoreDep,
    settings: ClinicSettingsDep,
    pw: PasswordsDep,
    password: str = Form(..., max_length=1024),
    confirm: str = Form(default=""),
) -> Response:
    if confirm != "yes" or not pw.verify(password_hash_of(base, auth.account.id), password):
        return _me(
            request,
            auth,
            store,
            base,
            "Nothing was deleted: tick the box and give your password.",
            status=400,
        )
    delete_account(base, auth.account.id)
    hubs = getattr(request.app.state, "hubs", None)
    if hubs is not None:
        hubs.forget(auth.account.id)
    audit(request, auth.account, "delete_own_account", auth.account)
    response = render(
        "message",
        title="Your account is deleted",
        lines=["Your account and all your data are deleted. Thank you for using pressup."],
        back="",
    )
    response.delete_cookie(settings.cookie_name, path="/")
    return response


__all__ = ["router"]
