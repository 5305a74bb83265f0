"""A stored session as a FHIR R4 ``Bundle`` of ``Observation`` resources.

:func:`build_bundle` makes a ``Bundle`` of type ``collection`` holding a minimal
pseudonymous ``Patient`` (only the ``id`` the caller gives; nothing else about the person
leaves pressup) and these ``Observation``\\ s, all ``status: final`` with ``subject``
``Patient/<id>``:

* one per pain rating: LOINC ``72514-3`` "Pain severity - 0-10 verbal numeric rating [Score] -
  Reported", category ``survey``, ``valueQuantity`` 0..10 in UCUM ``{score}``; a rating the
  person declined has no value but ``dataAbsentReason`` ``asked-declined``.
  ``effectiveDateTime`` is when the rating was stored; ``note`` says whether it was given
  before the set or after repetition *n*.
* per session with those ratings, category ``survey``, codes from :data:`MEASURES_SYSTEM`:
  ``pain-before-set`` and ``pain-after-set``, ``valueQuantity`` 0..10 in UCUM ``{score}``,
  by the one rule of :func:`pressup.sessions.outcome.pain_scores` (the history page and the
  CSV/JSON tables show the same numbers); each is left out when not rated.
* per session, category ``therapy``, codes from :data:`MEASURES_SYSTEM`
  (``https://pressup.invalid/fhir/CodeSystem/measures``), ``effectiveDateTime`` the session's
  start (``created_at``):

  - ``repetitions``: completed repetitions (the session's counter), UCUM ``{count}``;
  - ``peak-trunk-extension``: the highest trunk extension angle of the complete repetitions
    (elevation of the hip->shoulder line above the floor, the range of motion of the
    press-up), degrees, UCUM ``deg``;
  - ``hold-duration``: mean time held at the top over the complete repetitions, seconds,
    UCUM ``s``.

  The last two are left out when no complete repetition measured them.
* symptoms (when the person said where they were), codes from :data:`MEASURES_SYSTEM`:

  - ``symptom-location`` per rating with a place, category ``survey``: where the symptoms
    were felt furthest from the spine, ``valueCodeableConcept`` from
    :data:`LOCATION_SYSTEM` (``none``, ``back``, ``buttock``, ``thigh``, ``below_knee``,
    ``foot``); ``note`` before the set / after repetition *n*;
  - ``symptom-response`` per session with a place before and after the set: ``centralising``,
    ``peripheralising`` or ``unchanged`` (:data:`RESPONSE_SYSTEM`), McKenzie-style;
  - ``set-stopped`` when a pain or symptom rule stopped the set: ``valueBoolean`` true, the
    rule and its reason in ``note``.
* with ``per_rep=True`` also a ``peak-trunk-extension`` and a ``hold-duration`` per complete
  repetition (``note`` "repetition n"); the session values then list them in ``derivedFrom``.
  ``partOf`` is not used: R4 allows it to point only at procedures and medication events,
  and pressup stores none.

Numbers are rounded to 0.01 (degrees, seconds). Resources have readable, stable ids
(``<session id>-pain-1``, ``<session id>-peak-trunk-extension``, ...) and ``fullUrl``\\ s under
:data:`BASE_URL`, so the relative references ``Patient/<id>`` resolve inside the bundle.

FHIR version and validation
---------------------------
The content follows FHIR R4 (4.0.1). It is validated with the ``fhir.resources`` package (8.x,
pydantic 2, as pressup already uses): from version 7 on its default models are R5 and it
ships only ``R4B`` (4.3.0) and ``STU3`` besides; the last releases with R4 models (6.x) need
pydantic 1, which conflicts with pressup's pydantic 2. R4B is the closest: it is a technical
correction of R4 that changed only the medication-definition, evidence and subscription
resources, so ``Bundle``, ``Patient``, ``Observation`` and their data types are the same in
R4 and R4B and whatever validates against ``fhir.resources.R4B`` is valid R4 content. The
bundle is checked with :func:`validate_bundle` before :func:`write_bundle` writes it.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pressup.errors import InputError, PressupError
from pressup.safety.symptoms import LOCATION_WORDS, RESPONSE_WORDS
from pressup.sessions.outcome import SessionOutcome, outcome_of
from pressup.sessions.store import Store

#: FHIR release the bundles follow, and the fhir.resources models that validate them.
FHIR_VERSION = "4.0.1"
FHIR_MODELS = "fhir.resources.R4B"
#: Base of the resources' ``fullUrl`` (``<BASE_URL>/Observation/<id>``).
BASE_URL = "https://pressup.invalid/fhir"
#: pressup's own code system for the exercise measures.
MEASURES_SYSTEM = "https://pressup.invalid/fhir/CodeSystem/measures"
#: pressup's code systems for where symptoms are felt and how they responded over a set.
LOCATION_SYSTEM = "https://pressup.invalid/fhir/CodeSystem/symptom-location"
RESPONSE_SYSTEM = "https://pressup.invalid/fhir/CodeSystem/symptom-response"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
ABSENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

PAIN_CODE = "72514-3"
PAIN_DISPLAY = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
PEAK_TRUNK = "peak-trunk-extension"
HOLD = "hold-duration"
REPETITIONS = "repetitions"
SYMPTOM_LOCATION = "symptom-location"
SYMPTOM_RESPONSE = "symptom-response"
SET_STOPPED = "set-stopped"
PAIN_BEFORE = "pain-before-set"
PAIN_AFTER = "pain-after-set"
#: Display text of each code of :data:`MEASURES_SYSTEM`.
MEASURE_DISPLAY: dict[str, str] = {
    PEAK_TRUNK: "Peak trunk extension angle in the prone press-up",
    HOLD: "Time held at the top of the prone press-up",
    REPETITIONS: "Prone press-up repetitions completed",
    SYMPTOM_LOCATION: "Where the symptoms are felt, furthest from the spine",
    SYMPTOM_RESPONSE: "Symptom response to the set of prone press-ups",
    SET_STOPPED: "Set of prone press-ups stopped by a pain or symptom rule",
    PAIN_BEFORE: "Pain severity 0-10 before the set of prone press-ups",
    PAIN_AFTER: "Pain severity 0-10 after the set of prone press-ups",
}
#: UCUM unit (code, human unit) of each measure, and of the pain score.
UNITS: dict[str, tuple[str, str]] = {
    PEAK_TRUNK: ("deg", "deg"),
    HOLD: ("s", "s"),
    REPETITIONS: ("{count}", "repetitions"),
    PAIN_CODE: ("{score}", "score"),
}
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def check_id(value: str, what: str = "patient id") -> str:
    """``value`` if it is a valid FHIR resource id (1-64 of ``A-Z a-z 0-9 - .``).

    Raises:
        InputError: it is not.
    """
    if not isinstance(value, str) or not _ID.match(value):
        raise InputError(f"{what}: expected 1 to 64 letters, digits, '-' or '.', got {value!r}")
    return value


def _res_id(session_id: str, suffix: str) -> str:
    rid = f"{session_id}-{suffix}"
    if _ID.match(rid):
        return rid
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{BASE_URL}/{session_id}/{suffix}"))


def _when(value: datetime) -> str:
    """A FHIR dateTime (UTC, milliseconds)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": CATEGORY_SYSTEM, "code": code, "display": display}]}]


def _quantity(value: float, key: str) -> dict[str, Any]:
    code, unit = UNITS[key]
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _measure(
    rid: str,
    code: str,
    value: float,
    *,
    subject: dict[str, str],
    when: str,
    note: str | None = None,
    method: str | None = None,
    derived_from: Sequence[str] = (),
) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": _category("therapy", "Therapy"),
        "code": {
            "coding": [{"system": MEASURES_SYSTEM, "code": code, "display": MEASURE_DISPLAY[code]}],
            "text": MEASURE_DISPLAY[code],
        },
        "subject": subject,
        "effectiveDateTime": when,
        "valueQuantity": _quantity(value, code),
    }
    if method:
        obs["method"] = {"text": method}
    if note:
        obs["note"] = [{"text": note}]
    if derived_from:
        obs["derivedFrom"] = [{"reference": f"Observation/{d}"} for d in derived_from]
    return obs


def _pain(
    rid: str, rating: Mapping[str, Any], *, subject: dict[str, str], fallback: datetime
) -> dict[str, Any]:
    rep = int(rating.get("rep") or 0)
    created = rating.get("created_at")
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": _category("survey", "Survey"),
        "code": {
            "coding": [{"system": LOINC, "code": PAIN_CODE, "display": PAIN_DISPLAY}],
            "text": "Pain severity 0-10",
        },
        "subject": subject,
        "effectiveDateTime": _when(created if isinstance(created, datetime) else fallback),
        "note": [{"text": "before the set" if rep == 0 else f"after repetition {rep}"}],
    }
    score = rating.get("score")
    if rating.get("skipped") or score is None:
        obs["dataAbsentReason"] = {
            "coding": [
                {"system": ABSENT_SYSTEM, "code": "asked-declined", "display": "Asked But Declined"}
            ]
        }
    else:
        obs["valueQuantity"] = _quantity(int(score), PAIN_CODE)
    return obs


def _coded(
    rid: str,
    code: str,
    *,
    category: tuple[str, str],
    subject: dict[str, str],
    when: str,
    note: str | None = None,
) -> dict[str, Any]:
    """An Observation with one of :data:`MEASURE_DISPLAY`'s codes and no value yet."""
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "category": _category(*category),
        "code": {
            "coding": [{"system": MEASURES_SYSTEM, "code": code, "display": MEASURE_DISPLAY[code]}],
            "text": MEASURE_DISPLAY[code],
        },
        "subject": subject,
        "effectiveDateTime": when,
    }
    if note:
        obs["note"] = [{"text": note}]
    return obs


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _value(rep: Mapping[str, Any], key: str) -> float | None:
    v = rep.get(key)
    if v is None or isinstance(v, bool):
        return None
    f = float(v)
    return f if math.isfinite(f) else None


@dataclass(frozen=True)
class _Context:
    """What every Observation of one session's bundle shares."""

    sid: str
    subject: dict[str, str]
    start: str


def _rating_observations(ctx: _Context, o: SessionOutcome) -> list[dict[str, Any]]:
    """One pain Observation per stored rating, then one symptom-location per symptom report."""
    fallback = o.record.created_at
    out = [
        _pain(_res_id(ctx.sid, f"pain-{i}"), rating, subject=ctx.subject, fallback=fallback)
        for i, rating in enumerate(o.data.pain, start=1)
    ]
    for i, report in enumerate(o.reports, start=1):
        obs = _coded(
            _res_id(ctx.sid, f"{SYMPTOM_LOCATION}-{i}"),
            SYMPTOM_LOCATION,
            category=("survey", "Survey"),
            subject=ctx.subject,
            when=ctx.start,
            note="before the set" if report.rep == 0 else f"after repetition {report.rep}",
        )
        obs["valueCodeableConcept"] = _concept(
            LOCATION_SYSTEM, report.location, LOCATION_WORDS[report.location]
        )
        out.append(obs)
    return out


def _pain_around_set(ctx: _Context, o: SessionOutcome) -> list[dict[str, Any]]:
    """``pain-before-set`` and ``pain-after-set``: the session's pain before and after the set
    by the rule every reader uses (:func:`pressup.sessions.outcome.pain_scores`)."""
    out: list[dict[str, Any]] = []
    for code, value in ((PAIN_BEFORE, o.pain_before), (PAIN_AFTER, o.pain_after)):
        if value is None:
            continue
        obs = _coded(
            _res_id(ctx.sid, code),
            code,
            category=("survey", "Survey"),
            subject=ctx.subject,
            when=ctx.start,
        )
        obs["valueQuantity"] = _quantity(int(value), PAIN_CODE)
        out.append(obs)
    return out


def _session_symptoms(ctx: _Context, o: SessionOutcome) -> list[dict[str, Any]]:
    """``symptom-response`` (a place before and after the set) and ``set-stopped``."""
    out: list[dict[str, Any]] = []
    if o.response is not None:
        obs = _coded(
            _res_id(ctx.sid, SYMPTOM_RESPONSE),
            SYMPTOM_RESPONSE,
            category=("therapy", "Therapy"),
            subject=ctx.subject,
            when=ctx.start,
        )
        obs["valueCodeableConcept"] = _concept(
            RESPONSE_SYSTEM, o.response, RESPONSE_WORDS[o.response]
        )
        out.append(obs)
    stop = o.last_stop
    if stop is not None:
        rules = ", ".join(str(x) for x in stop.get("rules") or [])
        reason = str(stop.get("reason") or "")
        obs = _coded(
            _res_id(ctx.sid, SET_STOPPED),
            SET_STOPPED,
            category=("therapy", "Therapy"),
            subject=ctx.subject,
            when=ctx.start,
            note=f"{reason} (rules: {rules})" if rules else reason or None,
        )
        obs["valueBoolean"] = True
        out.append(obs)
    return out


def _measured(reps: Sequence[Mapping[str, Any]], key: str) -> list[tuple[int, float]]:
    """(repetition number, value) of the complete repetitions that measured ``key``."""
    out: list[tuple[int, float]] = []
    for r in reps:
        value = _value(r, key)
        if value is not None:
            out.append((int(r["index"]), value))
    return out


def _summary_measure(
    ctx: _Context, code: str, values: list[tuple[int, float]], *, per_rep: bool, mean: bool
) -> list[dict[str, Any]]:
    """Per-repetition Observations of ``code`` (with ``per_rep``) and the session's value:
    the mean (``mean``) or the maximum over the complete repetitions, rounded to 0.01."""
    if not values:
        return []
    out: list[dict[str, Any]] = []
    if per_rep:
        for n, value in values:
            rid = _res_id(ctx.sid, f"r{n}-{code}")
            out.append(
                _measure(
                    rid,
                    code,
                    round(value, 2),
                    subject=ctx.subject,
                    when=ctx.start,
                    note=f"repetition {n}",
                )
            )
    numbers = [v for _, v in values]
    total = sum(numbers) / len(numbers) if mean else max(numbers)
    how = "mean" if mean else "maximum"
    out.append(
        _measure(
            _res_id(ctx.sid, code),
            code,
            round(total, 2),
            subject=ctx.subject,
            when=ctx.start,
            method=f"{how} over {len(values)} complete repetitions",
            derived_from=[str(x["id"]) for x in out],
        )
    )
    return out


def _exercise_measures(ctx: _Context, o: SessionOutcome, *, per_rep: bool) -> list[dict[str, Any]]:
    """``repetitions``, then ``peak-trunk-extension`` and ``hold-duration`` (and, with
    ``per_rep``, one of each per complete repetition before them)."""
    session = o.record
    reps = _measure(
        _res_id(ctx.sid, REPETITIONS),
        REPETITIONS,
        int(session.reps_done),
        subject=ctx.subject,
        when=ctx.start,
        note=f"target {session.target_reps} repetitions",
    )
    complete = o.complete_reps
    peaks = _measured(complete, "peak_trunk_deg")
    holds = _measured(complete, "hold_s")
    peak_obs = _summary_measure(ctx, PEAK_TRUNK, peaks, per_rep=per_rep, mean=False)
    hold_obs = _summary_measure(ctx, HOLD, holds, per_rep=per_rep, mean=True)
    # per-repetition Observations first (peaks, then holds), then the two session values
    n_peak, n_hold = len(peak_obs) - bool(peaks), len(hold_obs) - bool(holds)
    return [reps, *peak_obs[:n_peak], *hold_obs[:n_hold], *peak_obs[n_peak:], *hold_obs[n_hold:]]


def build_bundle(
    outcome: SessionOutcome,
    patient_id: str,
    *,
    per_rep: bool = False,
    timestamp: datetime | None = None,
    base_url: str = BASE_URL,
) -> dict[str, Any]:
    """The FHIR R4 ``Bundle`` (as a JSON-ready dict) of one stored session.

    Args:
        outcome: the stored session and its rows (:func:`pressup.sessions.outcome.outcome_of`):
            repetitions (seconds, degrees), pain ratings (0..10 or skipped), symptom reports,
            the pain before/after the set and the ``set_stopped`` event, if any.
        patient_id: the pseudonymous ``Patient`` id to refer to (see :func:`check_id`).
        per_rep: also one trunk-extension and one hold Observation per complete repetition.
        timestamp: the bundle's ``timestamp`` (default: now, UTC).
        base_url: base of the resources' ``fullUrl``.

    Raises:
        InputError: ``patient_id`` is not a valid FHIR id.
    """
    pid = check_id(patient_id)
    sid = outcome.record.id
    ctx = _Context(
        sid=sid, subject={"reference": f"Patient/{pid}"}, start=_when(outcome.record.created_at)
    )
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": pid},
        *_rating_observations(ctx, outcome),
        *_pain_around_set(ctx, outcome),
        *_session_symptoms(ctx, outcome),
        *_exercise_measures(ctx, outcome, per_rep=per_rep),
    ]
    base = base_url.rstrip("/")
    return {
        "resourceType": "Bundle",
        "id": _res_id(sid, "bundle"),
        "type": "collection",
        "timestamp": _when(timestamp or datetime.now(timezone.utc)),
        "entry": [
            {"fullUrl": f"{base}/{res['resourceType']}/{res['id']}", "resource": res}
            for res in resources
        ],
    }


def session_bundle(
    store: Store,
    session_id: str,
    patient_id: str,
    *,
    per_rep: bool = False,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """:func:`build_bundle` for a stored session.

    Raises:
        StorageError: no session has this id.
        InputError: ``patient_id`` is not a valid FHIR id.
    """
    check_id(patient_id)
    return build_bundle(
        outcome_of(store, session_id), patient_id, per_rep=per_rep, timestamp=timestamp
    )


def validate_bundle(bundle: Mapping[str, Any]) -> None:
    """Check ``bundle`` against the FHIR models (``fhir.resources.R4B``; see module docs).

    Raises:
        PressupError: the bundle is not valid FHIR (names the first bad element).
    """
    from fhir.resources.R4B.bundle import Bundle
    from pydantic import ValidationError

    try:
        Bundle.model_validate(dict(bundle))
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": str(exc)}
        where = ".".join(str(x) for x in first["loc"])
        raise PressupError(
            f"the FHIR bundle is not valid R4 ({exc.error_count()} errors; first at {where}: "
            f"{first['msg']})"
        ) from exc


def write_bundle(bundle: Mapping[str, Any], path: str | Path) -> Path:
    """Validate ``bundle`` (:func:`validate_bundle`) and write it as JSON.

    Raises:
        PressupError: invalid bundle; InputError: the file cannot be written.
    """
    validate_bundle(bundle)
    p = Path(path)
    try:
        p.write_text(json.dumps(bundle, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{p}: cannot write the bundle: {exc}") from exc
    return p
