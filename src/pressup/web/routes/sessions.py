"""Stored sessions: the API, the history page, one session's report, and the reply timing.

Routes (every one needs the per-launch token):

* ``GET /api/sessions``, ``GET /api/sessions/{id}`` - stored sessions; one session comes with
  its ``reps``, ``pain`` ratings, ``pain_before`` and ``pain_after`` (0..10 or ``null``, the
  rule of :class:`~pressup.sessions.outcome.SessionOutcome`), ``symptoms``
  (``{rep, pain, location}``) and ``stopped`` (``{reason, rules}`` or ``null``);
* ``GET /history``, ``GET /sessions/{id}/report`` - the history page and one stored
  session's report, HTML (:mod:`pressup.report.history`);
* ``GET /api/timing`` - only with ``Settings.timing`` (``PRESSUP_TIMING=1``): how long frame
  replies took inside the server (``&reset=1`` starts afresh, ``&samples=1`` adds the samples,
  µs; 404 when timing is off).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse

from pressup.sessions.outcome import outcomes_of
from pressup.web.deps import Authorized, SettingsDep, SpecDep, StoreDep, TimerDep
from pressup.web.openapi import refusals

router = APIRouter(responses=refusals(403, 422))
_NO_STORE = {"Cache-Control": "no-store"}


def _public(rec: Any) -> dict[str, Any]:
    d = dict(rec.__dict__)
    for k, v in list(d.items()):
        if hasattr(v, "isoformat"):
            d[k] = v.isoformat()
    return d


@router.get("/api/sessions")
def sessions(_: Authorized, store: StoreDep) -> list[dict[str, Any]]:
    return [_public(r) for r in store.list_sessions()]


@router.get("/api/sessions/{session_id}", responses=refusals(404))
def session(session_id: str, _: Authorized, store: StoreDep) -> dict[str, Any]:
    rec = store.get_session(session_id)
    if rec is None:
        raise HTTPException(status_code=404, detail=f"no session {session_id}")
    o = outcomes_of(store, [rec])[0]
    stop = o.last_stop
    return {
        **_public(rec),
        "reps": o.data.reps,
        "pain": o.data.pain,
        "pain_before": o.pain_before,
        "pain_after": o.pain_after,
        "symptoms": [{"rep": r.rep, "pain": r.pain, "location": r.location} for r in o.reports],
        "stopped": (
            {"reason": stop.get("reason"), "rules": stop.get("rules") or []}
            if stop is not None
            else None
        ),
    }


@router.get("/history", response_class=HTMLResponse)
def history_page(
    _: Authorized, store: StoreDep, spec: SpecDep, settings: SettingsDep
) -> HTMLResponse:
    from pressup.report.history import render_history

    def link(sid: str) -> str:
        return f"/sessions/{quote(sid)}/report?token={quote(settings.token)}"

    html = render_history(
        store,
        spec,
        report_link=link,
        progress_link=f"/progress?token={quote(settings.token)}",
        export_token=settings.token,
    )
    return HTMLResponse(html, headers=_NO_STORE)


@router.get("/sessions/{session_id}/report", response_class=HTMLResponse, responses=refusals(404))
def session_report_page(
    session_id: str, _: Authorized, store: StoreDep, spec: SpecDep
) -> HTMLResponse:
    from pressup.errors import DatabaseError, PressupError
    from pressup.report.history import session_report

    if store.get_session(session_id) is None:
        raise HTTPException(status_code=404, detail=f"no session {session_id}")
    try:
        html = session_report(store, session_id, spec)
    except DatabaseError:
        raise  # answered by the app in plain words (503, or 500)
    except PressupError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return HTMLResponse(html, headers=_NO_STORE)


@router.get("/api/timing", responses=refusals(404))
async def timing(
    _: Authorized,
    timer: TimerDep,
    reset: bool = Query(default=False),
    samples: bool = Query(default=False),
) -> dict[str, Any]:
    if timer is None:
        raise HTTPException(status_code=404, detail="timing is off (set PRESSUP_TIMING=1)")
    out = timer.summary(samples)
    if reset:
        timer.reset()
    return out


__all__ = ["router"]
