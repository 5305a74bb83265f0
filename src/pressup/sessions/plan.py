"""Safety and progression fed from the session store, and decisions recorded in it.

Glue between the pure rules (:mod:`~pressup.safety.screening`, :mod:`~pressup.safety.symptoms`,
:mod:`~pressup.safety.progression`) and :mod:`pressup.storage`:

* :func:`load_history` - stored sessions as :class:`~pressup.safety.progression.SessionSummary`
  (one set per session: its reps, holds, peak angles, faults and symptom reports);
* :func:`current_prescription` - the dose in force: the active clinician's prescription, else
  the latest decision (``since`` = when that dose began), else the bottom of the ladder;
* :func:`review` - decide, and store the decision when it is new;
* :func:`gate` - may the coach start a set (screened, not locked, not due again)?
* :func:`todays_dose` - the one answer to "what is this person's dose today, and why": a
  :class:`PlannedDose` made from :func:`review` (a clinician's prescription, else the
  progression, which starts at the bottom of the protocol's ladder). ``pressup progress``,
  the coach (through :func:`plan_session`), a recorded set and ``pressup analyze --plan`` use
  it; :meth:`PlannedDose.apply` sets it into the protocol the way the live coach does;
* :func:`plan_session` - the dose for a new live session (:func:`todays_dose`), as the
  protocol the coach runs and the dose JSON stored with the session; :func:`spec_from_dose`
  rebuilds that protocol from a stored session's dose and :func:`planned_from_dose` says
  which dose that was and why.

A session's rung is read from its dose JSON: ``ladder_variant`` if present, else ``variant``
(the engine's ``hands`` counts as ``hands_bent``); the posture each counted press-up was
done in is its stored ``variant`` (``SetSummary.postures_done``): a session done in another
posture than planned does not count toward moving up. A set counts as stopped when an event of
kind :data:`STOP_EVENT` was stored (its ``reason`` is the stop line) or its symptom reports
break the stop rules.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pressup.errors import InputError
from pressup.protocol.spec import ProtocolSpec
from pressup.safety.progression import (
    VARIANT_WORDS,
    Decision,
    Prescription,
    SessionSummary,
    Variant,
    apply_to_spec,
    decide,
    dose_words,
    parse_variant,
    set_problem,
    starting_prescription,
    summarise_set,
)
from pressup.safety.screening import Gate, coach_gate
from pressup.safety.symptoms import STOP_EVENT
from pressup.sessions.records import (
    DecisionRecord,
    ScreeningRecord,
    SessionData,
    SymptomRecord,
    active_prescription,
    latest_screening,
    list_decisions,
    list_symptoms,
    record_decision,
    session_data,
    set_prescription,
)
from pressup.sessions.store import SessionRecord, Store
from pressup.vocab import POSTURES, DoseSource, dose_source_of, step_of

#: How many past sessions and decisions are read.
HISTORY_LIMIT = 500


def _variant(dose: dict[str, Any], reps: list[dict[str, Any]]) -> Variant:
    for key in ("ladder_variant", "variant"):
        try:
            return parse_variant(dose.get(key), engine_names=True)
        except InputError:
            continue
    seen = Counter(r.get("variant") for r in reps)
    return step_of("hands" if seen.get("hands", 0) > seen.get("forearms", 0) else "forearms")


def _finite(values: list[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def _summary(
    record: SessionRecord,
    reps: list[dict[str, Any]],
    symptoms: list[SymptomRecord],
    stops: list[dict[str, Any]],
    spec: ProtocolSpec,
) -> SessionSummary:
    reps = [r for r in reps if r.get("complete", True)]
    hold = record.dose.get("target_hold_s", spec.dose.target_hold_s)
    if isinstance(hold, bool) or not isinstance(hold, (int, float)) or not hold > 0:
        hold = spec.dose.target_hold_s
    reason = stops[-1].get("reason") if stops else None
    summary = summarise_set(
        variant=_variant(record.dose, reps),
        target_reps=record.target_reps,
        target_hold_s=float(hold),
        reps_done=len(reps),
        holds_s=_finite([r.get("hold_s") for r in reps]),
        peak_trunk_deg=_finite([r.get("peak_trunk_deg") for r in reps]),
        fault_counts=[len(r.get("faults") or []) for r in reps],
        symptoms=[x.report() for x in symptoms],
        stopped=bool(stops),
        stop_reason=reason if isinstance(reason, str) else None,
        spec=spec,
        postures_done=[p for p in (r.get("variant") for r in reps) if p in POSTURES],
    )
    return SessionSummary(started_at=record.created_at, sets=(summary,), session_id=record.id)


def session_summary(store: Store, record: SessionRecord, spec: ProtocolSpec) -> SessionSummary:
    """One stored session as a :class:`SessionSummary` with one set."""
    stops = [e for e in store.list_events(record.id) if e.get("kind") == STOP_EVENT]
    return _summary(
        record, store.list_reps(record.id), list_symptoms(store, record.id), stops, spec
    )


def load_history(
    store: Store,
    spec: ProtocolSpec,
    *,
    since: datetime | None = None,
    limit: int = HISTORY_LIMIT,
) -> list[SessionSummary]:
    """Stored sessions (oldest first) that have reps or symptom reports.

    Reads the sessions' repetitions, symptom reports and stops in a few queries, not three per
    session.

    Args:
        since: only sessions created after this moment.
        limit: at most this many of the newest sessions are read.
    """
    records = [
        r
        for r in reversed(store.list_sessions(limit=limit))
        if since is None or r.created_at > since
    ]
    return history_of(records, session_data(store, [r.id for r in records]), spec)


def history_of(
    records: Sequence[SessionRecord], data: Mapping[str, SessionData], spec: ProtocolSpec
) -> list[SessionSummary]:
    """:func:`load_history` of sessions already read: ``records`` (oldest first) and their
    rows ``data`` (:func:`~pressup.sessions.records.session_data`)."""
    out: list[SessionSummary] = []
    for record in records:
        d = data[record.id]
        summary = _summary(record, d.reps, d.symptoms, d.stops, spec)
        s = summary.sets[0]
        if s.reps_done or s.symptoms or s.stopped:
            out.append(summary)
    return out


def _dose_key(d: DecisionRecord) -> tuple[str, float, int]:
    return d.variant, round(d.target_hold_s, 6), d.target_reps


def current_prescription(store: Store, spec: ProtocolSpec) -> Prescription:
    """The dose in force (see the module docstring)."""
    clinician = active_prescription(store)
    if clinician is not None:
        return Prescription(
            variant=parse_variant(clinician.variant),
            hold_s=clinician.hold_s,
            reps=clinician.reps,
            sessions_per_day=clinician.sessions_per_day,
            notes=clinician.notes,
            source="clinician",
            since=clinician.created_at,
        )
    decisions = list_decisions(store, limit=HISTORY_LIMIT)
    if not decisions:
        return starting_prescription(spec)
    latest = decisions[0]
    since = latest.created_at
    for d in decisions:
        if _dose_key(d) != _dose_key(latest):
            break
        since = d.created_at
    return Prescription(
        variant=parse_variant(latest.variant),
        hold_s=latest.target_hold_s,
        reps=latest.target_reps,
        target_peak_trunk_deg=latest.target_peak_trunk_deg,
        source="engine",
        since=since,
    )


@dataclass(frozen=True)
class Review:
    """A decision, the prescription it was made from, and its stored record (if new)."""

    decision: Decision
    current: Prescription
    record: DecisionRecord | None


def review(store: Store, spec: ProtocolSpec, *, save: bool = True) -> Review:
    """Decide the next dose from the stored history; store the decision if it is new.

    When no session was done since the latest stored decision and that decision's dose is
    the one in force, it is shown again (its reason; advice worked out afresh) and nothing is
    stored: asking twice neither steps the dose twice nor fills the table.
    """
    history = load_history(store, spec)
    current = current_prescription(store, spec)
    decision = decide(history, current, spec)
    session_id = history[-1].session_id if history else None
    last = list_decisions(store, limit=1)
    if last:
        d = last[0]
        same_dose = (d.variant, round(d.target_hold_s, 6), d.target_reps) == (
            current.variant,
            round(current.hold_s, 6),
            current.reps,
        )
        if d.session_id == session_id and same_dose and d.source == current.source:
            again = Decision(
                action=d.action,  # type: ignore[arg-type]
                variant=current.variant,
                target_hold_s=current.hold_s,
                target_reps=current.reps,
                target_peak_trunk_deg=d.target_peak_trunk_deg,
                reason=d.reason,
                source=current.source,
                advice=decision.advice,
                sessions_per_day=current.sessions_per_day,
                notes=current.notes,
            )
            return Review(again, current, None)
    if not save:
        return Review(decision, current, None)
    record = record_decision(store, decision, session_id=session_id)
    return Review(decision, current, record)


def prescribe(store: Store, spec: ProtocolSpec, rx: Prescription) -> Review:
    """Record a clinician's prescription as the active one and store the decision it makes,
    so that when it ends pressup's progression carries on from the clinician's dose."""
    set_prescription(
        store,
        variant=rx.variant,
        hold_s=rx.hold_s,
        reps=rx.reps,
        sessions_per_day=rx.sessions_per_day or 1,
        notes=rx.notes,
    )
    return review(store, spec)


def stopped_sets(history: Sequence[SessionSummary], spec: ProtocolSpec) -> int:
    """Sets stopped by the pain rules (or marked stopped) in ``history``."""
    return sum(1 for session in history for s in session.sets if set_problem(s, spec) is not None)


def stopped_sets_since(store: Store, spec: ProtocolSpec, since: datetime) -> int:
    """Sets stopped by the pain rules (or marked stopped) in sessions after ``since``."""
    return stopped_sets(load_history(store, spec, since=since), spec)


def gate(store: Store, spec: ProtocolSpec, now: datetime) -> Gate:
    """May the coach start a set now? (:func:`pressup.safety.screening.coach_gate`)."""
    latest = latest_screening(store)
    history = load_history(store, spec, since=latest.created_at) if latest is not None else []
    return gate_of(latest, history, spec, now)


def gate_of(
    latest: ScreeningRecord | None,
    history: Sequence[SessionSummary],
    spec: ProtocolSpec,
    now: datetime,
) -> Gate:
    """:func:`gate` from what was read already: the latest screening and :func:`load_history`
    since it (the newest :data:`HISTORY_LIMIT` sessions after it)."""
    stopped = stopped_sets(history, spec) if latest is not None else 0
    return coach_gate(latest, now, stopped, spec.screening)


@dataclass(frozen=True)
class PlannedDose:
    """Today's dose for the person, and why.

    Attributes:
        variant: the ladder step (``forearms``, ``hands_bent``, ``hands_straight``).
        reps: press-ups in the set.
        hold_s: target hold at the top, seconds.
        source: ``prescription`` (a clinician's) or ``progression`` (pressup's ladder,
            starting at the bottom of the protocol's ladder for a new person).
        reason: one line for the person (the decision's reason).
        prescription: the dose as a :class:`~pressup.safety.progression.Prescription`.
        review: the review it came from (``None`` for a stored session's dose).
    """

    variant: Variant
    reps: int
    hold_s: float
    source: DoseSource
    reason: str
    prescription: Prescription
    review: Review | None = None

    @property
    def advice(self) -> tuple[str, ...]:
        """Further lines to show with the dose (see a clinician, ...)."""
        return self.review.decision.advice if self.review is not None else ()

    def words(self) -> str:
        """The dose in plain words: ``"3 press-ups, 5 s hold, on your forearms"``."""
        return dose_words(self.variant, self.reps, self.hold_s)

    def apply(self, spec: ProtocolSpec) -> ProtocolSpec:
        """``spec`` with its ``[dose]`` set to this dose, as the live coach runs it
        (:func:`~pressup.safety.progression.apply_to_spec`)."""
        return apply_to_spec(spec, self.prescription)


def _planned(rx: Prescription, reason: str, rv: Review | None) -> PlannedDose:
    return PlannedDose(
        variant=rx.variant,
        reps=rx.reps,
        hold_s=rx.hold_s,
        source=dose_source_of(rx.source),
        reason=reason,
        prescription=rx,
        review=rv,
    )


def todays_dose(store: Store, spec: ProtocolSpec, *, save: bool = True) -> PlannedDose:
    """What this person's dose is today, and why: the decision of :func:`review` (a
    clinician's prescription, else the progression from the stored sessions, which starts at
    the bottom of the protocol's ladder).

    This is the dose ``pressup progress`` prints, the coach runs and ``pressup analyze
    --plan`` judges against. With ``save`` (as ``progress`` and the coach) a new decision is
    stored; without it nothing is, and the dose is the same one.
    """
    rv = review(store, spec, save=save)
    d = rv.decision
    cur = rv.current
    same = (d.variant, round(d.target_hold_s, 6), d.target_reps, d.source) == (
        cur.variant,
        round(cur.hold_s, 6),
        cur.reps,
        cur.source,
    )
    since = cur.since if same else (rv.record.created_at if rv.record is not None else None)
    return _planned(d.prescription(since), d.reason, rv)


@dataclass(frozen=True)
class SessionPlan:
    """What a new live session runs: the protocol with its dose, and that dose as stored."""

    spec: ProtocolSpec
    variant: Variant
    dose: dict[str, Any]
    review: Review
    planned: PlannedDose


def _dose_json(spec: ProtocolSpec, variant: Variant, rx: Prescription) -> dict[str, Any]:
    d = spec.dose
    return {
        "target_reps": d.target_reps,
        "target_hold_s": d.target_hold_s,
        "min_lowering_s": d.min_lowering_s,
        "variant": d.variant,
        "rest_between_reps_s": d.rest_between_reps_s,
        "ladder_variant": variant,
        "variant_words": VARIANT_WORDS[variant],
        "source": rx.source,
        "target_peak_trunk_deg": rx.target_peak_trunk_deg,
        "sessions_per_day": rx.sessions_per_day,
        "notes": rx.notes,
        "pain_stop_above": spec.pain.stop_above,
        "pain_stop_rise_points": spec.pain.stop_rise_points,
    }


def plan_session(store: Store, spec: ProtocolSpec) -> SessionPlan:
    """The dose of the next set: :func:`todays_dose` (storing a new decision if any), set
    into the protocol.

    The returned ``dose`` carries the engine's dose plus ``ladder_variant``, ``source``,
    ``reason`` (one line, for the person), ``advice``, ``words`` (the dose in plain words, as
    ``pressup progress`` prints it) and the pain stop limits.
    """
    today = todays_dose(store, spec)
    rv = today.review
    assert rv is not None  # todays_dose always reviews
    session_spec = today.apply(spec)
    dose = _dose_json(session_spec, today.variant, today.prescription)
    dose["reason"] = today.reason
    dose["advice"] = list(today.advice)
    dose["words"] = today.words()  # as ``pressup progress`` prints it
    return SessionPlan(session_spec, today.variant, dose, rv, today)


def spec_from_dose(spec: ProtocolSpec, dose: dict[str, Any]) -> tuple[ProtocolSpec, Variant | None]:
    """The protocol a stored session ran with: ``spec`` with its stored dose (reps, hold,
    rung). A dose without these keys (older sessions) leaves ``spec`` as it is."""
    try:
        variant = parse_variant(dose.get("ladder_variant"))
    except InputError:
        return spec, None
    reps = dose.get("target_reps")
    hold = dose.get("target_hold_s")
    try:
        rx = Prescription(
            variant=variant,
            hold_s=hold if isinstance(hold, (int, float)) else spec.dose.target_hold_s,
            reps=reps if isinstance(reps, int) else spec.dose.target_reps,
        )
    except InputError:
        return spec, variant
    return apply_to_spec(spec, rx), variant


def planned_from_dose(spec: ProtocolSpec, dose: dict[str, Any]) -> PlannedDose | None:
    """The planned dose a stored session ran with (its dose JSON, see :func:`plan_session`);
    ``None`` for a dose without a rung (older sessions: they ran the protocol file's dose)."""
    try:
        variant = parse_variant(dose.get("ladder_variant"))
    except InputError:
        return None
    session_spec, _ = spec_from_dose(spec, dose)
    source = dose.get("source")
    reason = dose.get("reason")
    try:
        rx = Prescription(
            variant=variant,
            hold_s=session_spec.dose.target_hold_s,
            reps=session_spec.dose.target_reps,
            source=source if source in ("engine", "clinician") else "engine",
        )
    except InputError:
        return None
    return _planned(rx, reason if isinstance(reason, str) else "", None)


__all__ = [
    "HISTORY_LIMIT",
    "STOP_EVENT",
    "PlannedDose",
    "Review",
    "SessionPlan",
    "current_prescription",
    "gate",
    "gate_of",
    "history_of",
    "load_history",
    "plan_session",
    "planned_from_dose",
    "prescribe",
    "review",
    "session_summary",
    "spec_from_dose",
    "stopped_sets",
    "stopped_sets_since",
    "todays_dose",
]
