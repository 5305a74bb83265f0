"""The clinician's replay of a stored session (included in :mod:`.clinician`'s router).

* ``GET /clinic/patients/{patient_id}/sessions/{session_id}/replay.json`` - the session's
  landmark frames (thinned when long, see :data:`~pressup.sessions.clinic.REPLAY_MAX_FRAMES`)
  and what the engine and the coach make of them, re-run over the stored track
  (:func:`~pressup.sessions.clinic.session_replay`): phases, press-ups, form faults, the
  coach's stages, cues and rep events. The cues are those the coach said during the set when
  they were stored (a live set: each ``said: true``, and ``cues_said: true``), else the
  re-run's. Only the patient's own clinician (404 otherwise, as for a patient that does not
  exist); every read is in the audit log.
* ``GET /clinic/static/replay.js`` - the page's script (a plain ES module: a stick figure on
  a canvas and a timeline under it). It holds no data, so anyone may load it.

No video is ever stored: the figure is drawn from the landmarks the patient's browser sent.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse

from pressup.clinic.auth import CareDep, ClinicSpecDep, audit
from pressup.clinic.pages import NO_STORE, SIGNED_IN
from pressup.errors import RecordNotFoundError
from pressup.sessions.clinic import session_replay
from pressup.web.openapi import media, merged, refusals

#: The clinic's own scripts.
STATIC = Path(__file__).parents[1] / "static"
router = APIRouter()


@router.get(
    "/clinic/patients/{patient_id}/sessions/{session_id}/replay.json",
    responses=merged(SIGNED_IN, refusals(404, 422)),
)
def replay_data(
    request: Request, session_id: str, care: CareDep, spec: ClinicSpecDep
) -> JSONResponse:
    audit(request, care.auth.account, "read_session_replay", care.patient)
    try:
        replay = session_replay(care.store, spec, session_id)
    except RecordNotFoundError:
        raise HTTPException(
            status_code=404, detail=f"no session {session_id} for this patient"
        ) from None
    return JSONResponse(replay.to_dict(), headers=NO_STORE)


@router.get(
    "/clinic/static/replay.js", response_class=FileResponse, responses=media("text/javascript")
)
def replay_script() -> FileResponse:
    return FileResponse(
        STATIC / "replay.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


__all__ = ["STATIC", "router"]
