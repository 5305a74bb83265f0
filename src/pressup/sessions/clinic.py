"""The clinic's application layer: accounts, one patient's view of the store, what a
physiotherapist sees at a glance, and the clinician's decisions (a screening reviewed, a dose
prescribed).

``pressup serve`` reaches storage only through this module (and the other modules of
:mod:`pressup.sessions`, given a :func:`patient_store`). Every function that touches health
data takes the patient's :class:`PatientStore`, so it can only ever read or change that
patient's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pressup.errors import InputError, StorageError
from pressup.protocol.spec import ProtocolSpec
from pressup.safety.progression import Prescription, parse_variant
from pressup.sessions.outcome import outcomes_of
from pressup.sessions.plan import Review, gate, prescribe
from pressup.sessions.records import approve_screening, list_screenings
from pressup.sessions.store import Store
from pressup.storage.accounts import (
    REVIEW_DECISIONS,
    ROLES,
    AccountRecord,
    AuditRecord,
    AuthSessionRecord,
    ReviewRecord,
    account_by_username,
    add_audit,
    add_review,
    auth_session,
    create_account,
    create_auth_session,
    create_invite,
    delete_account,
    end_auth_session,
    end_expired,
    failures_since,
    get_account,
    iter_audit,
    list_accounts,
    list_audit,
    note_failure,
    note_success,
    password_hash_of,
    patients_of,
    record_attempt,
    redeem_invite,
    reviews_of,
    set_password_hash,
)
from pressup.storage.scoped import PatientStore
from pressup.storage.store import current_revision, head_revision, safe_url, upgrade

#: Days without a session before the list raises an alert.
QUIET_DAYS = 7
#: The window of the list's counts and pain trend.
WINDOW_DAYS = 28


def patient_store(store: Store, patient: AccountRecord) -> PatientStore:
    """``store`` seen by ``patient`` only.

    Raises:
        InputError: ``patient`` is not a patient's account.
    """
    if patient.role != "patient":
        raise InputError(f"patient: expected a patient's account, got a {patient.role}'s")
    return PatientStore(store, patient.id)


def schema_state(url: str) -> tuple[str | None, str]:
    """The database's schema revision and the one this pressup needs.

    Raises:
        StorageError: the database cannot be reached.
    """
    return current_revision(url), head_revision()


@dataclass(frozen=True)
class Overview:
    """One patient's line in the physiotherapist's list.

    Attributes:
        patient: the account.
        last_session: when the newest session started (``None``: never).
        sessions_recent: sessions in the last :data:`WINDOW_DAYS` days.
        pain_before: the pain rated before each recent set, oldest first (0..10).
        pain_trend: ``better``, ``worse``, ``about the same``, ``one rating so far`` or
            ``not rated`` (the later half of the ratings against the earlier half).
        alerts: plain-language lines (a set stopped for safety, symptoms spreading, no
            session for :data:`QUIET_DAYS` days, screening due or waiting for review).
        locked_screening: the id of a screening waiting for a clinician, if any.
    """

    patient: AccountRecord
    last_session: datetime | None
    sessions_recent: int
    pain_before: tuple[int, ...]
    pain_trend: str
    alerts: tuple[str, ...]
    locked_screening: int | None


def _trend(pains: tuple[int, ...]) -> str:
    if len(pains) < 2:
        return "not rated" if not pains else "one rating so far"
    half = len(pains) // 2
    first = sum(pains[:half]) / half
    last = sum(pains[half:]) / (len(pains) - half)
    if last <= first - 1:
        return "better"
    if last >= first + 1:
        return "worse"
    return "about the same"


def overview(
    store: PatientStore, patient: AccountRecord, spec: ProtocolSpec, now: datetime
) -> Overview:
    """What the physiotherapist's list shows for ``patient`` (``store``: theirs)."""
    since = now - timedelta(days=WINDOW_DAYS)
    records = store.list_sessions(limit=500)
    recent = [r for r in records if r.created_at >= since]
    outcomes = outcomes_of(store, list(reversed(recent)))
    pains = tuple(o.before[0].pain for o in outcomes if o.before)
    alerts: list[str] = []
    stopped = [o for o in outcomes if o.stopped or o.stop_event]
    if stopped:
        day = stopped[-1].record.created_at.date().isoformat()
        alerts.append(f"A set was stopped for safety ({len(stopped)} in 4 weeks, last {day}).")
    spreading = [o for o in outcomes if o.response == "peripheralising"]
    if spreading:
        alerts.append(f"Symptoms spread down the leg in {len(spreading)} set(s) in 4 weeks.")
    last = records[0].created_at if records else None
    if last is None:
        alerts.append("No session yet.")
    elif now - last >= timedelta(days=QUIET_DAYS):
        alerts.append(f"No session for {(now - last).days} days.")
    screenings = list_screenings(store, limit=1)
    locked = screenings[0].id if screenings and screenings[0].locked else None
    if locked is not None:
        alerts.append("A screening is waiting for your review.")
    else:
        g = gate(store, spec, now)
        if not g.allowed:
            alerts.append(f"Screening due: {g.reason}")
    return Overview(patient, last, len(recent), pains, _trend(pains), tuple(alerts), locked)


def review_screening(
    store: PatientStore,
    *,
    clinician: AccountRecord,
    screening_id: int,
    decision: str,
    note: str,
    now: datetime,
) -> ReviewRecord:
    """A clinician approves (unlocks the coach) or declines (it stays locked) a screening of
    the patient of ``store``, with a note for the patient.

    Raises:
        InputError: not a clinician, an unknown decision, or an empty note on a refusal.
        StorageError: no such screening for this patient.
    """
    if not clinician.can_treat:
        raise InputError(f"clinician: expected a clinician's account, got a {clinician.role}'s")
    if decision not in REVIEW_DECISIONS:
        raise InputError(f"decision: expected one of {REVIEW_DECISIONS}, got {decision!r}")
    if decision == "declined" and not note.strip():
        raise InputError("note: expected a few words for the patient when declining, got none")
    mine = {s.id for s in list_screenings(store, limit=100)}
    if screening_id not in mine:
        raise StorageError(f"no screening with id {screening_id} for this patient")
    if decision == "approved":
        approve_screening(store, screening_id, approved_by=clinician.display_name, approved_at=now)
    return add_review(
        store,
        screening_id=screening_id,
        clinician_id=clinician.id,
        decision=decision,
        note=note,
    )


def prescribe_dose(
    store: PatientStore,
    spec: ProtocolSpec,
    *,
    clinician: AccountRecord,
    variant: str,
    hold_s: float,
    reps: int,
    sessions_per_day: int,
    notes: str,
) -> Review:
    """Store a clinician's prescription for the patient of ``store`` (the dose
    :func:`~pressup.sessions.plan.todays_dose` reads from then on).

    Raises:
        InputError: not a clinician, or a dose outside the protocol's limits.
    """
    if not clinician.can_treat:
        raise InputError(f"clinician: expected a clinician's account, got a {clinician.role}'s")
    rx = Prescription(
        variant=parse_variant(variant),
        hold_s=hold_s,
        reps=reps,
        sessions_per_day=sessions_per_day,
        notes=notes,
        source="clinician",
    )
    return prescribe(store, spec, rx)


__all__ = [
    "QUIET_DAYS",
    "REVIEW_DECISIONS",
    "ROLES",
    "WINDOW_DAYS",
    "AccountRecord",
    "AuditRecord",
    "AuthSessionRecord",
    "Overview",
    "PatientStore",
    "ReviewRecord",
    "account_by_username",
    "add_audit",
    "auth_session",
    "create_account",
    "create_auth_session",
    "create_invite",
    "delete_account",
    "end_auth_session",
    "end_expired",
    "failures_since",
    "get_account",
    "iter_audit",
    "list_accounts",
    "list_audit",
    "note_failure",
    "note_success",
    "overview",
    "password_hash_of",
    "patient_store",
    "patients_of",
    "prescribe_dose",
    "record_attempt",
    "redeem_invite",
    "review_screening",
    "reviews_of",
    "safe_url",
    "schema_state",
    "set_password_hash",
    "upgrade",
]
