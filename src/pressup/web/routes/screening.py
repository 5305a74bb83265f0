"""The safety screening on the web: the questions page, its API and the coach gate.

Routes (every one but the page needs the per-launch token; the app's middleware also checks
the ``Origin`` of every ``POST``):

* ``GET /screen`` - the screening page (static; it reads the token from its own URL);
* ``GET /api/screening/questions`` - the question table
  (:data:`~pressup.safety.screening.QUESTIONS`) and the "pressup does not diagnose" statement;
* ``POST /api/screening`` - ``{"answers": {question id: "yes" | "no" | "unsure"}}``, optionally
  with ``"approval": {"name": ..., "date": "YYYY-MM-DD"}``: evaluated
  (:func:`~pressup.safety.screening.evaluate`), stored, and the outcome returned;
* ``POST /api/screening/approval`` - ``{"name": ..., "date": "YYYY-MM-DD"}``: a clinician's
  approval of the latest screening (it unlocks a locked outcome);
* ``GET /api/gate`` - may the coach start (:func:`pressup.sessions.plan.gate`)?

A body that breaks the rules gets HTTP 422 with ``detail`` naming the field, e.g.
``"answers.fever: expected yes, no or unsure, got 'maybe'"``.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pressup.errors import InputError
from pressup.protocol import ProtocolSpec
from pressup.safety.screening import (
    ANSWERS,
    APPROVER_MAX_LEN,
    OUTCOMES,
    QUESTION_IDS,
    QUESTIONS,
    STATEMENT,
    Approval,
    Gate,
    ScreeningResult,
    evaluate,
    parse_answers,
)
from pressup.sessions.plan import gate
from pressup.sessions.records import (
    ScreeningRecord,
    add_screening,
    approve_screening,
    latest_screening,
)
from pressup.sessions.store import Store
from pressup.web.deps import Authorized, JsonBody, SettingsDep, SpecDep, StoreDep
from pressup.web.openapi import json_body, page, refusals

STATIC = Path(__file__).parents[1] / "static"


class ApprovalIn(BaseModel):
    """A clinician's approval: who gave it and on which day (not in the future)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=APPROVER_MAX_LEN)
    date: dt.date

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("expected the clinician's name, got only spaces")
        return v.strip()

    @field_validator("date")
    @classmethod
    def _not_future(cls, v: dt.date) -> dt.date:
        # a day of leeway: the clinician may be a time zone ahead of UTC
        latest = datetime.now(timezone.utc).date() + timedelta(days=1)
        if v > latest:
            raise ValueError(f"expected the day of the approval (not in the future), got {v}")
        return v

    def approval(self) -> Approval:
        return Approval(by=self.name, on=self.date)


class ScreeningIn(BaseModel):
    """Answers to every question, and optionally a clinician's approval given with them."""

    model_config = ConfigDict(extra="forbid")
    answers: dict[str, str] = Field(
        json_schema_extra={
            "properties": {qid: {"enum": list(ANSWERS)} for qid in QUESTION_IDS},
            "required": list(QUESTION_IDS),
            "additionalProperties": False,
        }
    )
    approval: Optional[ApprovalIn] = None

    @field_validator("answers")
    @classmethod
    def _answers(cls, v: dict[str, str]) -> dict[str, str]:
        try:
            return dict(parse_answers(v))
        except InputError as exc:
            raise ValueError(str(exc)) from None


def _field_errors(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "body"
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = "required"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


def _body(data: dict[str, Any], model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise HTTPException(status_code=422, detail=_field_errors(exc)) from None


def gate_now(store: Store, spec: ProtocolSpec) -> Gate:
    """:func:`pressup.sessions.plan.gate` at this moment."""
    return gate(store, spec, datetime.now(timezone.utc))


def _record(rec: ScreeningRecord | None) -> dict[str, Any] | None:
    if rec is None:
        return None
    return {
        "id": rec.id,
        "created_at": rec.created_at.isoformat(),
        "outcome": rec.outcome,
        "locked": rec.locked,
        "approved_by": rec.approved_by,
        "approved_at": rec.approved_at.date().isoformat() if rec.approved_at else None,
    }


def _gate_json(g: Gate, required: bool, rec: ScreeningRecord | None) -> dict[str, Any]:
    return {
        "allowed": g.allowed,
        "required": required,
        "can_start": g.allowed or not required,
        "reason": g.reason,
        "screening": _record(rec),
    }


def _result_json(r: ScreeningResult, rec: ScreeningRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "level": r.outcome,
        "outcome": r.outcome,
        "locked": r.locked,
        "allowed": r.allowed,
        "headline": r.headline,
        "messages": list(r.messages),
        "start_variant": r.start_variant,
        "approval": (
            {"name": r.approval.by, "date": r.approval.on.isoformat()} if r.approval else None
        ),
        "statement": STATEMENT,
    }


router = APIRouter()
#: What every API route here may refuse (the page token; a parameter or the body).
_API = refusals(403, 422)
_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/screen", response_class=HTMLResponse, responses=page())
async def screen_page() -> FileResponse:
    return FileResponse(STATIC / "screen.html", headers=_NO_STORE)


@router.get("/api/screening/questions", responses=_API)
async def questions(_: Authorized) -> dict[str, Any]:
    return {
        "statement": STATEMENT,
        "answers": list(ANSWERS),
        "outcomes": list(OUTCOMES),
        "questions": [
            {"id": q.id, "group": q.group, "text": q.text, "label": q.label} for q in QUESTIONS
        ],
    }


@router.post(
    "/api/screening",
    status_code=201,
    responses={**_API, **refusals(413)},
    openapi_extra=json_body(ScreeningIn, "The answers, and no approval in the clinic."),
)
def screening(
    _: Authorized, data: JsonBody, store: StoreDep, spec: SpecDep, settings: SettingsDep
) -> JSONResponse:
    body: ScreeningIn = _body(data, ScreeningIn)
    approval = body.approval.approval() if body.approval else None
    result = evaluate(body.answers, approval)
    rec = add_screening(
        store,
        answers=result.answers,
        outcome=result.outcome,
        locked=result.locked,
        approved_by=approval.by if approval else None,
        approved_at=approval.on if approval else None,
    )
    out = _result_json(result, rec)
    out["gate"] = _gate_json(gate_now(store, spec), settings.require_screening, rec)
    return JSONResponse(out, status_code=201, headers=_NO_STORE)


@router.post(
    "/api/screening/approval",
    responses={**_API, **refusals(404, 413)},
    openapi_extra=json_body(ApprovalIn, "Who approved the latest screening, and when."),
)
def approval(
    _: Authorized, data: JsonBody, store: StoreDep, spec: SpecDep, settings: SettingsDep
) -> dict[str, Any]:
    body: ApprovalIn = _body(data, ApprovalIn)
    latest = latest_screening(store)
    if latest is None:
        raise HTTPException(
            status_code=404,
            detail="no screening to approve: answer the safety questions first",
        )
    given = body.approval()
    rec = approve_screening(store, latest.id, approved_by=given.by, approved_at=given.on)
    result = evaluate(rec.answers, given)
    out = _result_json(result, rec)
    out["gate"] = _gate_json(gate_now(store, spec), settings.require_screening, rec)
    return out


@router.get("/api/gate", responses=_API)
def coach_gate(
    _: Authorized, store: StoreDep, spec: SpecDep, settings: SettingsDep
) -> JSONResponse:
    g = gate_now(store, spec)
    return JSONResponse(
        _gate_json(g, settings.require_screening, latest_screening(store)),
        headers=_NO_STORE,
    )


__all__ = ["ApprovalIn", "ScreeningIn", "gate_now", "router"]
