"""Store functions for safety data: screenings, symptom reports, decisions, prescriptions.

Functions take a :class:`~pressup.storage.store.Store` and, like its methods, run as one
transaction each (stored whole or not at all). Malformed arguments raise
:class:`~pressup.errors.InputError` before anything is written; an unknown session id raises
:class:`~pressup.errors.StorageError`. Timestamps are timezone-aware UTC; ``*_s`` are seconds,
``*_deg`` degrees, pain 0..10. Tables: ``screenings``, ``symptom_reports``,
``progression_decisions``, ``prescriptions`` (revision ``0002``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any, Optional, Union

from sqlalchemy import select, update

from pressup.errors import InputError, StorageError
from pressup.storage.models import (
    DecisionRow,
    PainRow,
    PrescriptionRow,
    ScreeningRow,
    SessionRow,
    SymptomRow,
)
from pressup.storage.store import Store
from pressup.storage.values import (
    as_utc,
    id_chunks,
    opt_float,
    opt_int,
    req_bool,
    req_int,
    req_text,
    utc_now,
)
from pressup.vocab import (
    ACTIONS,
    ANSWERS,
    LADDER_STEPS,
    OUTCOMES,
    PRESCRIPTION_LIMITS,
    QUESTION_IDS,
    SOURCES,
    STOP_EVENT,
    SymptomReport,
)

# -- records ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreeningRecord:
    """A stored screening. ``approved_at`` is the approval day at 00:00 UTC."""

    id: int
    created_at: datetime
    answers: dict[str, str]
    outcome: str
    locked: bool
    approved_by: Optional[str]
    approved_at: Optional[datetime]


@dataclass(frozen=True)
class SymptomRecord:
    """A stored symptom report (``rep`` 0 = before the set; pain 0..10)."""

    id: int
    session_id: Optional[str]
    rep: int
    pain: int
    location: str
    created_at: datetime

    def report(self) -> SymptomReport:
        """As a :class:`~pressup.safety.symptoms.SymptomReport`."""
        return SymptomReport(rep=self.rep, pain=self.pain, location=self.location)  # type: ignore[arg-type]


@dataclass(frozen=True)
class DecisionRecord:
    """A stored progression decision (hold in seconds, peak in degrees)."""

    id: int
    created_at: datetime
    session_id: Optional[str]
    action: str
    variant: str
    target_hold_s: float
    target_reps: int
    target_peak_trunk_deg: Optional[float]
    reason: str
    source: str


@dataclass(frozen=True)
class PrescriptionRecord:
    """A stored clinician's prescription (hold in seconds)."""

    id: int
    created_at: datetime
    variant: str
    hold_s: float
    reps: int
    sessions_per_day: int
    notes: str
    active: bool


def _opt_utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _screening(r: ScreeningRow) -> ScreeningRecord:
    return ScreeningRecord(
        id=r.id,
        created_at=as_utc(r.created_at),
        answers=dict(r.answers),
        outcome=r.outcome,
        locked=r.locked,
        approved_by=r.approved_by,
        approved_at=_opt_utc(r.approved_at),
    )


def _symptom(r: SymptomRow) -> SymptomRecord:
    return SymptomRecord(
        id=r.id,
        session_id=r.session_id,
        rep=r.rep,
        pain=r.pain,
        location=r.location,
        created_at=as_utc(r.created_at),
    )


def _decision(r: DecisionRow) -> DecisionRecord:
    return DecisionRecord(
        id=r.id,
        created_at=as_utc(r.created_at),
        session_id=r.session_id,
        action=r.action,
        variant=r.variant,
        target_hold_s=r.target_hold_s,
        target_reps=r.target_reps,
        target_peak_trunk_deg=r.target_peak_trunk_deg,
        reason=r.reason,
        source=r.source,
    )


def _prescription(r: PrescriptionRow) -> PrescriptionRecord:
    return PrescriptionRecord(
        id=r.id,
        created_at=as_utc(r.created_at),
        variant=r.variant,
        hold_s=r.hold_s,
        reps=r.reps,
        sessions_per_day=r.sessions_per_day,
        notes=r.notes,
        active=r.active,
    )


def _choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def _approval_time(value: Union[date, datetime, None]) -> datetime | None:
    """A date becomes 00:00 UTC that day; a naive datetime is taken as UTC."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=timezone.utc)
    raise InputError(f"approved_at: expected a date, got {value!r}")


def _approver(value: Any) -> str:
    text = req_text("approved_by", value)
    if not text.strip():
        raise InputError("approved_by: expected a name, got an empty string")
    return text.strip()


# -- screenings -------------------------------------------------------------------------------


def add_screening(
    store: Store,
    *,
    answers: Mapping[str, str],
    outcome: str,
    locked: bool,
    approved_by: str | None = None,
    approved_at: Union[date, datetime, None] = None,
) -> ScreeningRecord:
    """Store a screening (see :func:`pressup.safety.screening.evaluate`) and return it.

    Args:
        answers: every question id -> ``yes``/``no``/``unsure``.
        outcome: one of :data:`pressup.safety.screening.OUTCOMES`.
        locked: the coach stays locked until a clinician's approval is recorded.
        approved_by, approved_at: a clinician's approval given with the answers (both or
            neither; a date is stored as 00:00 UTC that day).
    """
    clean: dict[str, str] = {}
    if not isinstance(answers, Mapping):
        raise InputError(f"answers: expected a mapping, got {type(answers).__name__}")
    for key, value in answers.items():
        _choice("answers key", key, QUESTION_IDS)
        clean[key] = _choice(f"answers.{key}", value, ANSWERS)
    row = ScreeningRow(
        created_at=utc_now(),
        answers=clean,
        outcome=_choice("outcome", outcome, OUTCOMES),
        locked=req_bool("locked", locked),
        approved_by=_approver(approved_by) if approved_by is not None else None,
        approved_at=_approval_time(approved_at),
    )
    if (row.approved_by is None) != (row.approved_at is None):
        raise InputError("approval: give both approved_by and approved_at, or neither")
    with store.transaction(write=True) as s:
        s.add(row)
        s.flush()
        return _screening(row)


def approve_screening(
    store: Store,
    screening_id: int,
    *,
    approved_by: str,
    approved_at: Union[date, datetime],
) -> ScreeningRecord:
    """Record a clinician's approval on a screening; it unlocks the coach.

    Raises:
        StorageError: no screening with this id.
    """
    sid = req_int("screening_id", screening_id, minimum=1)
    who = _approver(approved_by)
    when = _approval_time(approved_at)
    with store.transaction(write=True) as s:
        row = s.get(ScreeningRow, sid, with_for_update=True)
        if row is None:
            raise StorageError(f"no screening with id {sid} in the database")
        row.approved_by = who
        row.approved_at = when
        row.locked = False
        s.flush()
        return _screening(row)


def list_screenings(store: Store, limit: int = 100) -> list[ScreeningRecord]:
    """At most ``limit`` screenings, newest first."""
    n = req_int("limit", limit, minimum=1)
    stmt = (
        select(ScreeningRow)
        .order_by(ScreeningRow.created_at.desc(), ScreeningRow.id.desc())
        .limit(n)
    )
    with store.transaction(write=False) as s:
        return [_screening(r) for r in s.scalars(stmt)]


def latest_screening(store: Store) -> ScreeningRecord | None:
    """The newest screening, or ``None``."""
    rows = list_screenings(store, limit=1)
    return rows[0] if rows else None


# -- symptom reports --------------------------------------------------------------------------


def add_symptoms(
    store: Store,
    session_id: str | None,
    reports: Sequence[Union[SymptomReport, Mapping[str, Any]]],
) -> list[SymptomRecord]:
    """Store symptom reports (all or none) for a session, or outside one (``None``).

    Each report is a :class:`~pressup.safety.symptoms.SymptomReport` or a mapping with
    ``rep`` (0 = before the set), ``pain`` (0..10) and ``location``.
    """
    clean: list[SymptomReport] = []
    for i, r in enumerate(reports):
        if isinstance(r, SymptomReport):
            clean.append(r)
            continue
        if not isinstance(r, Mapping):
            raise InputError(f"reports[{i}]: expected a mapping, got {type(r).__name__}")
        for key in ("rep", "pain", "location"):
            if key not in r:
                raise InputError(f"reports[{i}]: missing key {key!r}")
        try:
            clean.append(SymptomReport(rep=r["rep"], pain=r["pain"], location=r["location"]))
        except InputError as exc:
            raise InputError(f"reports[{i}]: {exc}") from exc
    with store.transaction(write=True) as s:
        session: SessionRow | None = None
        if session_id is not None:
            session = store.session_row(s, session_id, lock=True)
        now = utc_now()
        rows = [
            SymptomRow(
                session_id=session_id,
                rep=r.rep,
                pain=r.pain,
                location=r.location,
                created_at=now,
            )
            for r in clean
        ]
        s.add_all(rows)
        if session is not None and rows:
            session.updated_at = now
        s.flush()
        return [_symptom(r) for r in rows]


def add_rating(
    store: Store,
    session_id: str,
    *,
    rep: int,
    pain: int | None,
    location: str | None,
    t_s: float | None,
) -> SymptomRecord | None:
    """Store one rating from the live coach, in one transaction.

    The pain score always goes to the session's pain ratings (``pain`` ``None`` = skipped);
    when both the score and the place were given it is also stored as a symptom report.

    Args:
        rep: 0 = before the set, else the press-up it follows (1-based).
        pain: 0..10, or ``None`` when the person skipped the question.
        location: a :data:`~pressup.safety.symptoms.Location` (name or plain words), or
            ``None`` when not said.
        t_s: session time in seconds, if known.

    Returns:
        The symptom report stored, or ``None`` when there was none to store.
    """
    rep_n = req_int("rep", rep, minimum=0)
    score = opt_int("pain", pain, minimum=0)
    report = (
        SymptomReport(rep=rep_n, pain=score, location=location)  # type: ignore[arg-type]
        if score is not None and location is not None
        else None
    )
    if score is not None and score > 10:
        raise InputError(f"pain: expected an integer 0..10, got {score}")
    when = opt_float("t_s", t_s)
    with store.transaction(write=True) as s:
        session = store.session_row(s, session_id, lock=True)
        now = utc_now()
        s.add(
            PainRow(
                session_id=session_id,
                rep=rep_n,
                score=score,
                skipped=score is None,
                t_s=when,
                created_at=now,
            )
        )
        row = None
        if report is not None:
            row = SymptomRow(
                session_id=session_id,
                rep=report.rep,
                pain=report.pain,
                location=report.location,
                created_at=now,
            )
            s.add(row)
        session.updated_at = now
        s.flush()
        return _symptom(row) if row is not None else None


def list_symptoms(store: Store, session_id: str | None) -> list[SymptomRecord]:
    """A session's symptom reports in the order stored (``None``: those outside sessions)."""
    if session_id is None:
        stmt = select(SymptomRow).where(SymptomRow.session_id.is_(None)).order_by(SymptomRow.id)
    else:
        stmt = select(SymptomRow).where(SymptomRow.session_id == session_id).order_by(SymptomRow.id)
    with store.transaction(write=False) as s:
        if session_id is not None:
            store.session_row(s, session_id)
        return [_symptom(r) for r in s.scalars(stmt)]


def symptoms_of(store: Store, session_ids: Sequence[str]) -> dict[str, list[SymptomRecord]]:
    """:func:`list_symptoms` of many sessions in a few queries (an id with none maps to
    ``[]``)."""
    out: dict[str, list[SymptomRecord]] = {sid: [] for sid in session_ids}
    with store.transaction(write=False) as s:
        for chunk in id_chunks(list(out)):
            stmt = (
                select(SymptomRow).where(SymptomRow.session_id.in_(chunk)).order_by(SymptomRow.id)
            )
            for r in s.scalars(stmt):
                if r.session_id is not None:
                    out[r.session_id].append(_symptom(r))
    return out


@dataclass(frozen=True)
class SessionData:
    """What the history, the progression and the exports read of one stored session:
    repetitions (:meth:`Store.list_reps`), pain ratings (:meth:`Store.list_pain`), symptom
    reports and the ``set_stopped`` events, each in the order stored."""

    reps: list[dict[str, Any]]
    pain: list[dict[str, Any]]
    symptoms: list[SymptomRecord]
    stops: list[dict[str, Any]]


def session_data(store: Store, session_ids: Sequence[str]) -> dict[str, SessionData]:
    """:class:`SessionData` of many sessions in a few queries, whatever their number."""
    reps = store.reps_of(session_ids)
    pain = store.pain_of(session_ids)
    symptoms = symptoms_of(store, session_ids)
    stops = store.events_of(session_ids, STOP_EVENT)
    return {
        sid: SessionData(reps[sid], pain[sid], symptoms[sid], stops[sid]) for sid in session_ids
    }


# -- progression decisions --------------------------------------------------------------------


def add_decision(
    store: Store,
    *,
    session_id: str | None,
    action: str,
    variant: str,
    target_hold_s: float,
    target_reps: int,
    target_peak_trunk_deg: float | None,
    reason: str,
    source: str,
) -> DecisionRecord:
    """Store a progression decision (hold in seconds, peak in degrees) and return it.

    ``session_id`` is the latest session it judged, or ``None``.
    """
    hold = opt_float("target_hold_s", target_hold_s)
    if hold is None or hold <= 0:
        raise InputError(f"target_hold_s: expected positive seconds, got {target_hold_s!r}")
    row = DecisionRow(
        created_at=utc_now(),
        session_id=session_id,
        action=_choice("action", action, ACTIONS),
        variant=_choice("variant", variant, LADDER_STEPS),
        target_hold_s=hold,
        target_reps=req_int("target_reps", target_reps, minimum=1),
        target_peak_trunk_deg=opt_float("target_peak_trunk_deg", target_peak_trunk_deg),
        reason=req_text("reason", reason),
        source=_choice("source", source, SOURCES),
    )
    with store.transaction(write=True) as s:
        if session_id is not None:
            store.session_row(s, session_id)
        s.add(row)
        s.flush()
        return _decision(row)


def list_decisions(store: Store, limit: int = 100) -> list[DecisionRecord]:
    """At most ``limit`` decisions, newest first."""
    n = req_int("limit", limit, minimum=1)
    stmt = (
        select(DecisionRow).order_by(DecisionRow.created_at.desc(), DecisionRow.id.desc()).limit(n)
    )
    with store.transaction(write=False) as s:
        return [_decision(r) for r in s.scalars(stmt)]


def latest_decision(store: Store) -> DecisionRecord | None:
    """The newest decision, or ``None``."""
    rows = list_decisions(store, limit=1)
    return rows[0] if rows else None


# -- clinicians' prescriptions ----------------------------------------------------------------


def set_prescription(
    store: Store,
    *,
    variant: str,
    hold_s: float,
    reps: int,
    sessions_per_day: int,
    notes: str = "",
) -> PrescriptionRecord:
    """Store a clinician's prescription as the active one (any earlier one is deactivated).

    Args:
        variant: ``forearms``, ``hands_bent`` or ``hands_straight``.
        hold_s: seconds at the top (1..120).
        reps: press-ups per set (1..20).
        sessions_per_day: 1..10.
        notes: free text.
    """
    hold = opt_float("hold_s", hold_s)
    lo, hi = PRESCRIPTION_LIMITS["hold_s"]
    if hold is None or not lo <= hold <= hi:
        raise InputError(f"hold_s: expected seconds from {lo:g} to {hi:g}, got {hold_s!r}")
    n_reps = req_int("reps", reps, minimum=1)
    per_day = req_int("sessions_per_day", sessions_per_day, minimum=1)
    for key, value in (("reps", n_reps), ("sessions_per_day", per_day)):
        lo, hi = PRESCRIPTION_LIMITS[key]
        if value > hi:
            raise InputError(f"{key}: expected at most {hi:g}, got {value}")
    row = PrescriptionRow(
        created_at=utc_now(),
        variant=_choice("variant", variant, LADDER_STEPS),
        hold_s=hold,
        reps=n_reps,
        sessions_per_day=per_day,
        notes=req_text("notes", notes),
        active=True,
    )
    with store.transaction(write=True) as s:
        s.execute(
            update(PrescriptionRow).where(PrescriptionRow.active.is_(True)).values(active=False)
        )
        s.add(row)
        s.flush()
        return _prescription(row)


def clear_prescription(store: Store) -> int:
    """Deactivate the clinician's prescription (the engine takes over); how many were active."""
    with store.transaction(write=True) as s:
        active = list(s.scalars(select(PrescriptionRow).where(PrescriptionRow.active.is_(True))))
        for r in active:
            r.active = False
        return len(active)


def active_prescription(store: Store) -> PrescriptionRecord | None:
    """The active clinician's prescription, or ``None``."""
    stmt = (
        select(PrescriptionRow)
        .where(PrescriptionRow.active.is_(True))
        .order_by(PrescriptionRow.id.desc())
        .limit(1)
    )
    with store.transaction(write=False) as s:
        row = s.scalars(stmt).first()
        return _prescription(row) if row is not None else None


__all__ = [
    "ACTIONS",
    "DecisionRecord",
    "PrescriptionRecord",
    "ScreeningRecord",
    "SessionData",
    "SymptomRecord",
    "active_prescription",
    "add_decision",
    "add_rating",
    "add_screening",
    "add_symptoms",
    "approve_screening",
    "clear_prescription",
    "latest_decision",
    "latest_screening",
    "list_decisions",
    "list_screenings",
    "list_symptoms",
    "session_data",
    "set_prescription",
    "symptoms_of",
]
