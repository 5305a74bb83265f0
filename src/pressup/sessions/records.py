"""What is stored beside the sessions, as the CLI, the web, the history page and the exports
use it: screenings, symptom reports and pain ratings, the cues the live coach sent,
progression decisions and clinicians' prescriptions, and the rows of many sessions at once
(:func:`session_data`).

This module is the application's API to the storage repositories
(:mod:`pressup.storage.screenings`, :mod:`~pressup.storage.symptoms`,
:mod:`~pressup.storage.decisions`, :mod:`~pressup.storage.prescriptions`,
:mod:`~pressup.storage.cues`): the shells call
these functions, never storage itself. Each function is one transaction on the store (stored
whole or not at all); malformed arguments raise :class:`~pressup.errors.InputError` before
anything is written, an unknown session id :class:`~pressup.errors.StorageError`.

Units: pain 0..10 (``rep`` 0 = before the set, ``n`` = after press-up ``n``); holds in seconds,
peaks in degrees; timestamps timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Union

from pressup.safety.progression import Decision
from pressup.storage import cues as cues_repo
from pressup.storage import decisions, prescriptions, screenings, symptoms
from pressup.storage.cues import CueRecord
from pressup.storage.decisions import DecisionRecord
from pressup.storage.live import SessionWrites
from pressup.storage.live import write_live as _write_live
from pressup.storage.prescriptions import PrescriptionRecord
from pressup.storage.screenings import ScreeningRecord
from pressup.storage.store import Store
from pressup.storage.symptoms import SymptomRecord
from pressup.vocab import STOP_EVENT, SymptomReport

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
    """Record the person's screening (:func:`pressup.safety.screening.evaluate`'s answers and
    outcome); ``locked`` keeps the coach locked until a clinician approves. An approval given
    with the answers needs both ``approved_by`` and ``approved_at`` (a date: 00:00 UTC)."""
    return screenings.add_screening(
        store,
        answers=answers,
        outcome=outcome,
        locked=locked,
        approved_by=approved_by,
        approved_at=approved_at,
    )


def approve_screening(
    store: Store, screening_id: int, *, approved_by: str, approved_at: Union[date, datetime]
) -> ScreeningRecord:
    """Record a clinician's approval of a screening; it unlocks the coach.

    Raises:
        StorageError: no screening with this id.
    """
    return screenings.approve_screening(
        store, screening_id, approved_by=approved_by, approved_at=approved_at
    )


def list_screenings(store: Store, limit: int = 100) -> list[ScreeningRecord]:
    """At most ``limit`` screenings, newest first."""
    return screenings.list_screenings(store, limit)


def latest_screening(store: Store) -> ScreeningRecord | None:
    """The newest screening (the one the coach gate reads), or ``None``."""
    return screenings.latest_screening(store)


# -- symptom reports and ratings --------------------------------------------------------------


def add_symptoms(
    store: Store,
    session_id: str | None,
    reports: Sequence[Union[SymptomReport, Mapping[str, Any]]],
) -> list[SymptomRecord]:
    """Record symptom reports (all or none) for a session, or outside one (``None``); each a
    :class:`~pressup.vocab.SymptomReport` or a mapping with ``rep``, ``pain`` and
    ``location``."""
    return symptoms.add_symptoms(store, session_id, reports)


def add_rating(
    store: Store,
    session_id: str,
    *,
    rep: int,
    pain: int | None,
    location: str | None,
    t_s: float | None,
) -> SymptomRecord | None:
    """Record one rating from the coach (live or a recorded set): the pain score (``None`` =
    skipped) always, and a symptom report too when the place was said; ``t_s`` is the session
    time in seconds, if known. Returns the symptom report stored, if any."""
    return symptoms.add_rating(store, session_id, rep=rep, pain=pain, location=location, t_s=t_s)


def list_symptoms(store: Store, session_id: str | None) -> list[SymptomRecord]:
    """A session's symptom reports in the order stored (``None``: those outside sessions)."""
    return symptoms.list_symptoms(store, session_id)


# -- the cues the live coach sent ------------------------------------------------------------


def add_cues(store: Store, session_id: str, cues: Sequence[Mapping[str, Any]]) -> None:
    """Record cues the live coach sent during a set (all or none): each ``{t_s, cue, kind,
    priority, text, speak}``, ``t_s`` the time of the frame (or rating) whose reply carried it,
    seconds on the session's frame clock, or ``None``."""
    cues_repo.add_cues(store, session_id, cues)


def write_live(store: Store, batch: Sequence[SessionWrites]) -> list[str]:
    """Store what live sessions did since the last time (frames, events, cues, repetitions,
    the session row's stage and count), every session of ``batch`` in one transaction; a
    malformed part or an unknown session is left out alone. Returns what was left out and why
    (``[]``: all stored); raises :class:`~pressup.errors.StorageUnavailableError`, having stored
    nothing, when the database cannot be written now (see :mod:`pressup.storage.live`)."""
    return _write_live(store, batch)


def list_cues(store: Store, session_id: str) -> list[CueRecord]:
    """The cues the coach sent in a session, in order (``[]``: none stored)."""
    return cues_repo.list_cues(store, session_id)


# -- progression decisions and prescriptions -------------------------------------------------


def record_decision(store: Store, decision: Decision, *, session_id: str | None) -> DecisionRecord:
    """Record a progression decision: the dose it set (hold in seconds, peak in degrees), why,
    and the latest session it judged (``session_id``, or ``None``)."""
    return decisions.add_decision(
        store,
        session_id=session_id,
        action=decision.action,
        variant=decision.variant,
        target_hold_s=decision.target_hold_s,
        target_reps=decision.target_reps,
        target_peak_trunk_deg=decision.target_peak_trunk_deg,
        reason=decision.reason,
        source=decision.source,
    )


def list_decisions(store: Store, limit: int = 100) -> list[DecisionRecord]:
    """At most ``limit`` progression decisions, newest first."""
    return decisions.list_decisions(store, limit)


def latest_decision(store: Store) -> DecisionRecord | None:
    """The newest progression decision, or ``None``."""
    return decisions.latest_decision(store)


def set_prescription(
    store: Store,
    *,
    variant: str,
    hold_s: float,
    reps: int,
    sessions_per_day: int,
    notes: str = "",
) -> PrescriptionRecord:
    """Record a clinician's prescription as the one in force (the earlier one is set aside):
    ``hold_s`` seconds at the top (1..120), ``reps`` press-ups (1..20), 1..10 sessions a
    day."""
    return prescriptions.set_prescription(
        store,
        variant=variant,
        hold_s=hold_s,
        reps=reps,
        sessions_per_day=sessions_per_day,
        notes=notes,
    )


def clear_prescription(store: Store) -> int:
    """Set the clinician's prescription aside (the progression engine takes over); returns how
    many were in force."""
    return prescriptions.clear_prescription(store)


def active_prescription(store: Store) -> PrescriptionRecord | None:
    """The clinician's prescription in force, or ``None``."""
    return prescriptions.active_prescription(store)


# -- the rows of many sessions ----------------------------------------------------------------


@dataclass(frozen=True)
class SessionData:
    """What the history, the progression and the exports read of one stored session:
    repetitions (:meth:`Store.list_reps`: seconds, degrees), pain ratings
    (:meth:`Store.list_pain`), symptom reports and the ``set_stopped`` events, each in the
    order stored."""

    reps: list[dict[str, Any]]
    pain: list[dict[str, Any]]
    symptoms: list[SymptomRecord]
    stops: list[dict[str, Any]]


def session_data(store: Store, session_ids: Sequence[str]) -> dict[str, SessionData]:
    """:class:`SessionData` of many sessions in a few queries, whatever their number (an id
    with no rows maps to empty lists)."""
    reps = store.reps_of(session_ids)
    pain = store.pain_of(session_ids)
    reports = symptoms.symptoms_of(store, session_ids)
    stops = store.events_of(session_ids, STOP_EVENT)
    return {sid: SessionData(reps[sid], pain[sid], reports[sid], stops[sid]) for sid in session_ids}


__all__ = [
    "CueRecord",
    "DecisionRecord",
    "PrescriptionRecord",
    "ScreeningRecord",
    "SessionData",
    "SessionWrites",
    "SymptomRecord",
    "active_prescription",
    "add_cues",
    "add_rating",
    "add_screening",
    "add_symptoms",
    "approve_screening",
    "clear_prescription",
    "latest_decision",
    "latest_screening",
    "list_cues",
    "list_decisions",
    "list_screenings",
    "list_symptoms",
    "record_decision",
    "session_data",
    "set_prescription",
    "write_live",
]
