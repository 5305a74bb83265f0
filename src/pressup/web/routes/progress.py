"""Progress and prescription on the web: the dose in force, the next dose, a clinician's form.

The web twin of ``pressup progress`` (:mod:`pressup.cli.safety`). Routes (every one but the
page needs the per-launch token; the app's middleware also checks the ``Origin`` and the token
of every ``POST`` and ``DELETE``):

* ``GET /progress`` - the page (static; it reads the token from its own URL);
* ``GET /api/progress`` - everything the page shows (see :func:`progress_state`): the dose in
  force (``current``), the engine's next decision (``next``, made with
  :func:`pressup.sessions.plan.todays_dose` and ``save=False``: looking stores nothing), the active
  clinician's prescription, the last :data:`DECISIONS_SHOWN` stored decisions (newest first),
  the coach gate and the form's limits;
* ``POST /api/prescription`` - ``{"variant", "hold_s", "reps", "sessions_per_day", "notes"}``
  (hold in seconds; ``sessions_per_day`` defaults to 1 and ``notes`` to ``""``), checked by
  :func:`pressup.safety.progression.prescription_from_dict` (the rules of the CLI's
  prescription file), stored as the active prescription and answered with HTTP 201 and the
  new state. As ``pressup progress --prescription`` does, the resulting decision is stored, so
  when the prescription ends pressup's progression carries on from the clinician's dose;
* ``DELETE /api/prescription`` - end the clinician's prescription; ``ended`` says how many
  were active, and the new state follows.

A body that breaks the rules gets HTTP 422 with ``detail`` naming the field, what was expected
and what arrived, e.g. ``"hold_s: expected a value from 1 to 120, got 0"``.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from pressup.errors import InputError
from pressup.protocol import ProtocolSpec
from pressup.safety.progression import (
    NOTES_MAX_LEN,
    PRESCRIPTION_LIMITS,
    VARIANT_WORDS,
    VARIANTS,
    Decision,
    Prescription,
    dose_words,
    parse_variant,
    prescription_from_dict,
)
from pressup.sessions.plan import HISTORY_LIMIT, prescribe, todays_dose
from pressup.sessions.records import (
    DecisionRecord,
    PrescriptionRecord,
    active_prescription,
    clear_prescription,
    list_decisions,
)
from pressup.sessions.store import Store
from pressup.web.deps import Authorized, JsonBody, SpecDep, StoreDep
from pressup.web.openapi import json_body, page, refusals
from pressup.web.routes.screening import gate_now

STATIC = Path(__file__).parents[1] / "static"
#: How many stored decisions the page lists.
DECISIONS_SHOWN = 20
#: The fields of a prescription body, in the order the form asks for them.
FIELDS: tuple[str, ...] = ("variant", "hold_s", "reps", "sessions_per_day", "notes")
#: Each decision's action in plain words (as on the history page).
ACTION_WORDS: dict[str, str] = {
    "start": "Start here",
    "progress": "Step up",
    "keep": "Keep going",
    "regress": "Step down",
    "clinician": "Your clinician's plan",
}
_EXPECTED: dict[str, str] = {
    "variant": f"one of {', '.join(VARIANTS)}",
    "hold_s": "a number of seconds",
    "reps": "a whole number",
    "sessions_per_day": "a whole number",
    "notes": "text",
}
_CLINICIAN_WORDS = ("clinician", "doctor", "physiotherapist")


class PrescriptionIn(BaseModel):
    """A clinician's prescription: the shape here, the rules in ``prescription_from_dict``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    variant: str
    hold_s: float
    reps: int
    sessions_per_day: int = 1
    notes: str = ""


# -- wording ------------------------------------------------------------------------------------


def per_day_words(n: int | None) -> str | None:
    """``"once a day"``, ``"twice a day"``, ``"3 times a day"`` (``None``: not prescribed)."""
    if not n:
        return None
    return {1: "once a day", 2: "twice a day"}.get(n, f"{n} times a day")


def dose_sentence(variant: str, reps: int, hold_s: float, sessions_per_day: int | None) -> str:
    """``"5 press-ups on your forearms, hold 10 s, once a day"``."""
    v = parse_variant(variant)
    ups = "press-up" if reps == 1 else "press-ups"
    text = f"{reps} {ups} {VARIANT_WORDS[v]}, hold {hold_s:g} s"
    per_day = per_day_words(sessions_per_day)
    return f"{text}, {per_day}" if per_day else text


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _number(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


# -- the state the page shows -------------------------------------------------------------------


def _current_json(
    current: Prescription, decisions: list[DecisionRecord], spec: ProtocolSpec
) -> dict[str, Any]:
    if current.source == "clinician":
        source = "clinician"
        reason = "Your clinician's prescription: pressup does not change it."
    elif current.since is None:
        source = "start"
        reason = (
            "The gentlest dose to start with: pressup moves it on after "
            f"{spec.progression.good_sessions_to_progress} good sessions in a row."
        )
    else:
        source = "engine"
        began = [d for d in decisions if d.created_at == current.since]
        reason = began[0].reason if began else ""
    return {
        "variant": current.variant,
        "variant_words": VARIANT_WORDS[current.variant],
        "hold_s": current.hold_s,
        "reps": current.reps,
        "sessions_per_day": current.sessions_per_day,
        "per_day_words": per_day_words(current.sessions_per_day),
        "target_peak_trunk_deg": _number(current.target_peak_trunk_deg),
        "notes": current.notes,
        "source": source,
        "since": _iso(current.since),
        "words": current.words(),
        "sentence": dose_sentence(
            current.variant, current.reps, current.hold_s, current.sessions_per_day
        ),
        "reason": reason,
    }


def _next_json(d: Decision) -> dict[str, Any]:
    return {
        "action": d.action,
        "action_words": ACTION_WORDS.get(d.action, d.action),
        "variant": d.variant,
        "variant_words": VARIANT_WORDS[d.variant],
        "target_hold_s": d.target_hold_s,
        "target_reps": d.target_reps,
        "target_peak_trunk_deg": _number(d.target_peak_trunk_deg),
        "sessions_per_day": d.sessions_per_day,
        "notes": d.notes,
        "source": d.source,
        "reason": d.reason,
        "advice": list(d.advice),
        "see_clinician": any(w in a.lower() for a in d.advice for w in _CLINICIAN_WORDS),
        "words": d.words(),
        "sentence": dose_sentence(d.variant, d.target_reps, d.target_hold_s, d.sessions_per_day),
    }


def _prescription_json(rec: PrescriptionRecord | None) -> dict[str, Any] | None:
    if rec is None:
        return None
    return {
        "id": rec.id,
        "created_at": _iso(rec.created_at),
        "variant": rec.variant,
        "variant_words": VARIANT_WORDS[parse_variant(rec.variant)],
        "hold_s": rec.hold_s,
        "reps": rec.reps,
        "sessions_per_day": rec.sessions_per_day,
        "notes": rec.notes,
        "sentence": dose_sentence(rec.variant, rec.reps, rec.hold_s, rec.sessions_per_day),
    }


def _decision_json(d: DecisionRecord) -> dict[str, Any]:
    return {
        "created_at": _iso(d.created_at),
        "action": d.action,
        "action_words": ACTION_WORDS.get(d.action, d.action),
        "variant": d.variant,
        "variant_words": VARIANT_WORDS[parse_variant(d.variant)],
        "target_hold_s": d.target_hold_s,
        "target_reps": d.target_reps,
        "target_peak_trunk_deg": _number(d.target_peak_trunk_deg),
        "words": dose_words(parse_variant(d.variant), d.target_reps, d.target_hold_s),
        "reason": d.reason,
        "source": d.source,
    }


def _limits_json() -> dict[str, Any]:
    return {
        **{key: {"min": lo, "max": hi} for key, (lo, hi) in PRESCRIPTION_LIMITS.items()},
        "notes_max_len": NOTES_MAX_LEN,
        "variants": [{"id": v, "words": VARIANT_WORDS[v]} for v in VARIANTS],
        "fields": list(FIELDS),
    }


def progress_state(store: Store, spec: ProtocolSpec) -> dict[str, Any]:
    """Everything ``GET /api/progress`` answers (nothing is stored)."""
    decisions = list_decisions(store, limit=HISTORY_LIMIT)
    # today's dose and why: the one plan the coach runs and `pressup progress` prints
    today = todays_dose(store, spec, save=False)
    assert today.review is not None  # todays_dose always reviews
    current = today.review.current
    nxt = today.review.decision
    g = gate_now(store, spec)
    return {
        "current": _current_json(current, decisions, spec),
        "next": _next_json(nxt),
        "prescription": _prescription_json(active_prescription(store)),
        "decisions": [_decision_json(d) for d in decisions[:DECISIONS_SHOWN]],
        "gate": {"allowed": g.allowed, "reason": g.reason},
        "limits": _limits_json(),
    }


# -- the body of POST /api/prescription ---------------------------------------------------------


def _got(value: Any) -> str:
    if isinstance(value, str) and len(value) > 40:
        return f"text of {len(value)} characters"
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _shape_errors(exc: ValidationError) -> str:
    parts = []
    for e in exc.errors():
        field = ".".join(str(x) for x in e["loc"]) or "body"
        if e["type"] == "missing":
            parts.append(f"{field}: required")
        elif e["type"] == "extra_forbidden":
            parts.append(f"{field}: unknown field; expected only {', '.join(FIELDS)}")
        elif field in _EXPECTED:
            parts.append(f"{field}: expected {_EXPECTED[field]}, got {_got(e.get('input'))}")
        else:
            parts.append(f"{field}: {e['msg']}")
    return "; ".join(parts)


def _rule_error(exc: InputError, raw: dict[str, Any]) -> str:
    """``prescription_from_dict``'s message, starting with the field's name."""
    text = str(exc).removeprefix("prescription.").removeprefix("prescription: ")
    field = text.split(":", 1)[0]
    if field in raw and " got " not in text:
        text = f"{text}, got {_got(raw[field])}"
    return text


def parse_prescription(data: dict[str, Any]) -> Prescription:
    """A body as a clinician's :class:`Prescription`.

    Raises:
        HTTPException: 422, ``detail`` naming the field, what was expected and what arrived.
    """
    try:
        body = PrescriptionIn.model_validate(data)
    except ValidationError as exc:
        raise HTTPException(status_code=422, detail=_shape_errors(exc)) from None
    raw = body.model_dump()
    try:
        return prescription_from_dict(raw)
    except InputError as exc:
        raise HTTPException(status_code=422, detail=_rule_error(exc, raw)) from None


# -- the routes ---------------------------------------------------------------------------------


router = APIRouter()
#: What every API route here may refuse (the page token; a parameter or the body).
_API = refusals(403, 422)
_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/progress", response_class=HTMLResponse, responses=page())
async def progress_page() -> FileResponse:
    return FileResponse(STATIC / "progress.html", headers=_NO_STORE)


@router.get("/api/progress", responses=_API)
def progress(_: Authorized, store: StoreDep, spec: SpecDep) -> JSONResponse:
    return JSONResponse(progress_state(store, spec), headers=_NO_STORE)


@router.post(
    "/api/prescription",
    status_code=201,
    responses={**_API, **refusals(413)},
    openapi_extra=json_body(PrescriptionIn, "The clinician's prescription."),
)
def post_prescription(
    _: Authorized, data: JsonBody, store: StoreDep, spec: SpecDep
) -> JSONResponse:
    rx = parse_prescription(data)
    prescribe(store, spec, rx)  # the decision too, as `pressup progress` does
    return JSONResponse(progress_state(store, spec), status_code=201, headers=_NO_STORE)


@router.delete("/api/prescription", responses=_API)
def end_prescription(_: Authorized, store: StoreDep, spec: SpecDep) -> JSONResponse:
    ended = clear_prescription(store)
    return JSONResponse({"ended": ended, **progress_state(store, spec)}, headers=_NO_STORE)


__all__ = [
    "ACTION_WORDS",
    "DECISIONS_SHOWN",
    "PrescriptionIn",
    "dose_sentence",
    "parse_prescription",
    "per_day_words",
    "progress_state",
    "router",
]
