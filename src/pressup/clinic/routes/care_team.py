"""A patient's care team (included in :mod:`.clinician`'s router): the clinicians who may read
and change the patient's data. Any clinician in the care team may change it:

* ``POST /clinic/patients/{patient_id}/care-team/add`` - add a clinician's account (a
  clinician, or an admin who is also one);
* ``POST /clinic/patients/{patient_id}/care-team/remove`` - take one out (themselves too:
  they then no longer see the patient); never the last one, a patient always has a clinician.

Both answer with the patient's page (with the reason when nothing changed); each change is in
the audit log, with the patient and the clinician added or removed.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from pressup.clinic.auth import BaseStoreDep, CareDep, audit
from pressup.clinic.pages import FORM, SIGNED_IN
from pressup.errors import InputError, RecordNotFoundError
from pressup.sessions.clinic import (
    MAX_ROW_ID,
    add_to_care_team,
    get_account,
    remove_from_care_team,
)
from pressup.web.openapi import merged, redirect, refusals

router = APIRouter()
_FORM = merged(
    SIGNED_IN,
    FORM,
    refusals(404),
    redirect("To the patient's page (saying why, when nothing changed), or to /clinic."),
)
#: The account of a clinician, from the form.
ClinicianId = Annotated[int, Form(ge=1, le=MAX_ROW_ID)]


def _back(patient_id: int, error: str = "") -> RedirectResponse:
    query = f"?error={quote(error)}" if error else ""
    return RedirectResponse(f"/clinic/patients/{patient_id}{query}", status_code=303)


@router.post(
    "/clinic/patients/{patient_id}/care-team/add",
    status_code=303,
    response_class=Response,
    responses=_FORM,
)
def add_clinician(
    request: Request, care: CareDep, store: BaseStoreDep, clinician_id: ClinicianId
) -> Response:
    try:
        added = add_to_care_team(
            store,
            patient_id=care.patient.id,
            clinician_id=clinician_id,
            added_by=care.auth.account.id,
        )
    except (InputError, RecordNotFoundError) as exc:
        return _back(care.patient.id, str(exc))
    audit(request, care.auth.account, "care_team_add", care.patient, target=added)
    return _back(care.patient.id)


@router.post(
    "/clinic/patients/{patient_id}/care-team/remove",
    status_code=303,
    response_class=Response,
    responses=_FORM,
)
def remove_clinician(
    request: Request, care: CareDep, store: BaseStoreDep, clinician_id: ClinicianId
) -> Response:
    try:
        remove_from_care_team(store, patient_id=care.patient.id, clinician_id=clinician_id)
    except (InputError, RecordNotFoundError) as exc:
        return _back(care.patient.id, str(exc))
    audit(
        request,
        care.auth.account,
        "care_team_remove",
        care.patient,
        target=get_account(store, clinician_id),
    )
    if clinician_id == care.auth.account.id:  # they no longer see this patient
        return RedirectResponse("/clinic", status_code=303)
    return _back(care.patient.id)


__all__ = ["router"]
