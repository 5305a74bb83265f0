"""The physiotherapist's side (a clinician's account, or an admin who is also a clinician).

* ``GET /clinic`` - their patients: last session, sessions in 4 weeks, pain trend, alerts;
* ``POST /clinic/patients`` - a new patient account and its one-time invitation code;
* ``GET /clinic/patients/{patient_id}`` - one patient: alerts, today's dose, their recent
  sessions with a replay of each (:mod:`.replay`: a stick figure from the stored landmarks
  and the engine's phases and the coach's cues on a timeline), screenings to review, the
  prescription form;
* ``GET /clinic/patients/{patient_id}/history`` and
  ``GET /clinic/patients/{patient_id}/sessions/{session_id}/report`` - the history page with
  its plots and one session's report (:mod:`pressup.report.history`);
* ``POST /clinic/patients/{patient_id}/prescription`` - prescribe a dose;
* ``POST /clinic/patients/{patient_id}/screenings/{screening_id}/review`` - approve or
  decline a locked screening, with a note;
* ``POST /clinic/patients/{patient_id}/invite`` - a new invitation code;
* ``POST /clinic/patients/{patient_id}/reset`` - a password-reset code (shown once);
* ``POST /clinic/patients/{patient_id}/care-team/...`` - add a clinician to the patient's care
  team, or take one out (:mod:`.care_team`);
* ``GET /clinic/audit`` - who looked at their patients' data.

"Their" patients are those whose care team they are in; any other patient is a 404 (as one
that does not exist). Every read and change of a patient's data is written to the audit log.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pressup.clinic.auth import (
    BaseStoreDep,
    CareDep,
    ClinicianAuth,
    ClinicSettingsDep,
    ClinicSpecDep,
    RowId,
    audit,
    audit_each,
    now_utc,
)
from pressup.clinic.pages import FORM, NO_STORE, SIGNED_IN, render
from pressup.clinic.routes import care_team, replay
from pressup.clinic.routes.signin import issue_invite
from pressup.errors import DatabaseError, InputError, PressupError, RecordNotFoundError
from pressup.safety.progression import VARIANT_WORDS
from pressup.sessions.clinic import (
    care_team as care_team_of,
)
from pressup.sessions.clinic import (
    create_account,
    list_audit,
    list_clinicians,
    overview,
    overviews,
    patients_of,
    prescribe_dose,
    review_screening,
    reviews_of,
)
from pressup.sessions.plan import todays_dose
from pressup.sessions.records import list_screenings
from pressup.web.openapi import merged, page, redirect, refusals

router = APIRouter()
#: A page of one of the clinician's patients (404 for anyone else's; 422 for an id no
#: patient can have).
_PATIENT_PAGE = merged(SIGNED_IN, page(), refusals(404, 422))
#: A form about one of the clinician's patients, answered with the patient's page (303).
_PATIENT_FORM = merged(SIGNED_IN, FORM, refusals(404), redirect("To the patient's page."))
#: Sessions listed (with a replay each) on a patient's page.
SESSIONS_SHOWN = 10


@router.get("/clinic", response_class=HTMLResponse, responses=merged(SIGNED_IN, page()))
def patient_list(
    request: Request,
    auth: ClinicianAuth,
    store: BaseStoreDep,
    spec: ClinicSpecDep,
    settings: ClinicSettingsDep,
) -> HTMLResponse:
    patients = patients_of(store, auth.account.id)
    rows = overviews(store, patients, spec, now_utc(), require_screening=settings.require_screening)
    audit_each(request, auth.account, "list_overview", patients)
    return render(
        "patients",
        title="Your patients",
        account=auth.account,
        csrf=auth.session.csrf_token,
        rows=rows,
    )


@router.post(
    "/clinic/patients", response_class=HTMLResponse, responses=merged(SIGNED_IN, FORM, page())
)
def new_patient(
    request: Request,
    auth: ClinicianAuth,
    store: BaseStoreDep,
    settings: ClinicSettingsDep,
    username: str = Form(..., max_length=200),
    display_name: str = Form(..., max_length=200),
) -> HTMLResponse:
    try:
        patient = create_account(
            store,
            username=username.strip().lower(),
            display_name=display_name,
            role="patient",
            clinician_id=auth.account.id,
        )
    except InputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    audit(request, auth.account, "create_patient", patient)
    invite = issue_invite(store, settings, patient, auth.account)
    return render(
        "message",
        title=f"{patient.display_name} is invited",
        account=auth.account,
        csrf=auth.session.csrf_token,
        lines=["Give them this code or link; they choose their own password with it."],
        back="/clinic",
        **invite,
    )


@router.get("/clinic/patients/{patient_id}", response_class=HTMLResponse, responses=_PATIENT_PAGE)
def patient_page(
    request: Request,
    care: CareDep,
    store: BaseStoreDep,
    spec: ClinicSpecDep,
    settings: ClinicSettingsDep,
    error: str = "",
) -> HTMLResponse:
    audit(request, care.auth.account, "read_patient", care.patient)
    screenings = list_screenings(care.store, limit=20)
    team = care_team_of(store, care.patient.id)
    return render(
        "patient",
        title=care.patient.display_name,
        account=care.auth.account,
        csrf=care.auth.session.csrf_token,
        o=overview(
            care.store,
            care.patient,
            spec,
            now_utc(),
            require_screening=settings.require_screening,
        ),
        dose=todays_dose(care.store, spec, save=False),
        sessions=care.store.list_sessions(limit=SESSIONS_SHOWN),
        screenings=screenings,
        reviews=reviews_of(care.store, [s.id for s in screenings]),
        variants=list(VARIANT_WORDS.items()),
        error=error[:300],
        team=team,
        colleagues=[c for c in list_clinicians(store) if c.id not in {t.id for t in team}],
    )


@router.get(
    "/clinic/patients/{patient_id}/history", response_class=HTMLResponse, responses=_PATIENT_PAGE
)
def patient_history(request: Request, care: CareDep, spec: ClinicSpecDep) -> HTMLResponse:
    from pressup.report.history import render_history

    audit(request, care.auth.account, "read_history", care.patient)
    pid = care.patient.id

    def link(sid: str) -> str:
        return f"/clinic/patients/{pid}/sessions/{quote(sid)}/report"

    html = render_history(care.store, spec, report_link=link)
    return HTMLResponse(html, headers=NO_STORE)


@router.get(
    "/clinic/patients/{patient_id}/sessions/{session_id}/report",
    response_class=HTMLResponse,
    responses=_PATIENT_PAGE,
)
def patient_session_report(
    request: Request, session_id: str, care: CareDep, spec: ClinicSpecDep
) -> HTMLResponse:
    from pressup.report.history import session_report

    audit(request, care.auth.account, "read_session_report", care.patient)
    if care.store.get_session(session_id) is None:
        raise HTTPException(status_code=404, detail=f"no session {session_id} for this patient")
    try:
        html = session_report(care.store, session_id, spec)
    except DatabaseError:
        raise  # answered by the app in plain words (503, or 500)
    except PressupError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return HTMLResponse(html, headers=NO_STORE)


@router.post(
    "/clinic/patients/{patient_id}/prescription",
    status_code=303,
    response_class=Response,
    responses=_PATIENT_FORM,
)
def prescribe(
    request: Request,
    care: CareDep,
    spec: ClinicSpecDep,
    variant: str = Form(..., max_length=32),
    reps: int = Form(...),
    hold_s: float = Form(...),
    sessions_per_day: int = Form(default=1),
    notes: str = Form(default="", max_length=2000),
) -> Response:
    pid = care.patient.id
    try:
        prescribe_dose(
            care.store,
            spec,
            clinician=care.auth.account,
            variant=variant,
            hold_s=hold_s,
            reps=reps,
            sessions_per_day=sessions_per_day,
            notes=notes,
        )
    except InputError as exc:
        audit(request, care.auth.account, "prescribe_refused", care.patient)
        return RedirectResponse(f"/clinic/patients/{pid}?error={quote(str(exc))}", status_code=303)
    audit(request, care.auth.account, "prescribe", care.patient)
    return RedirectResponse(f"/clinic/patients/{pid}", status_code=303)


@router.post(
    "/clinic/patients/{patient_id}/screenings/{screening_id}/review",
    status_code=303,
    response_class=Response,
    responses=_PATIENT_FORM,
)
def review(
    request: Request,
    screening_id: RowId,
    care: CareDep,
    decision: str = Form(..., max_length=16),
    note: str = Form(default="", max_length=2000),
) -> Response:
    pid = care.patient.id
    try:
        review_screening(
            care.store,
            clinician=care.auth.account,
            screening_id=screening_id,
            decision=decision,
            note=note,
            now=now_utc(),
        )
    except RecordNotFoundError as exc:  # its words name the screening, never the database
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except InputError as exc:
        return RedirectResponse(f"/clinic/patients/{pid}?error={quote(str(exc))}", status_code=303)
    audit(request, care.auth.account, f"screening_{decision}", care.patient)
    return RedirectResponse(f"/clinic/patients/{pid}", status_code=303)


@router.post(
    "/clinic/patients/{patient_id}/invite",
    response_class=HTMLResponse,
    responses=merged(_PATIENT_PAGE, FORM),
)
def reinvite(
    request: Request, care: CareDep, store: BaseStoreDep, settings: ClinicSettingsDep
) -> HTMLResponse:
    audit(request, care.auth.account, "invite_patient", care.patient)
    invite = issue_invite(store, settings, care.patient, care.auth.account)
    return render(
        "message",
        title=f"A new code for {care.patient.display_name}",
        account=care.auth.account,
        csrf=care.auth.session.csrf_token,
        lines=["The earlier codes still work until they expire or are used."],
        back=f"/clinic/patients/{care.patient.id}",
        **invite,
    )


@router.post(
    "/clinic/patients/{patient_id}/reset",
    response_class=HTMLResponse,
    responses=merged(_PATIENT_PAGE, FORM),
)
def reset_code(
    request: Request, care: CareDep, store: BaseStoreDep, settings: ClinicSettingsDep
) -> HTMLResponse:
    code = issue_invite(store, settings, care.patient, care.auth.account, purpose="reset")
    audit(request, care.auth.account, "issue_password_reset", care.patient, target=care.patient)
    return render(
        "message",
        title=f"A password reset code for {care.patient.display_name}",
        account=care.auth.account,
        csrf=care.auth.session.csrf_token,
        lines=[
            "Give them this code or link yourself; it is shown only now. Setting a new "
            "password with it signs them out everywhere. An earlier reset code no longer works."
        ],
        back=f"/clinic/patients/{care.patient.id}",
        **code,
    )


@router.get("/clinic/audit", response_class=HTMLResponse, responses=merged(SIGNED_IN, page()))
def my_patients_audit(auth: ClinicianAuth, store: BaseStoreDep) -> HTMLResponse:
    ids = [p.id for p in patients_of(store, auth.account.id)]
    return render(
        "audit",
        title="Who looked at your patients' data",
        account=auth.account,
        csrf=auth.session.csrf_token,
        entries=list_audit(store, patient_ids=ids, limit=500),
        back="/clinic",
    )


router.include_router(replay.router)
router.include_router(care_team.router)

__all__ = ["SESSIONS_SHOWN", "router"]
