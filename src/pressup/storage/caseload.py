"""A clinician's caseload read at once: what the patient list needs of many patients, in a
fixed number of queries however many patients and sessions there are (seven per
:data:`~pressup.storage.values.IN_CHUNK` patients).

:func:`caseload` reads, for the patient ids given (the clinician's own, from
:func:`~pressup.storage.accounts.patients_of`), each patient's newest session time, their
latest screening and the sessions the list judges: those since a moment (the list's window)
and those after the latest screening (the coach gate's count of stopped sets), with their
repetitions, pain ratings, symptom reports and stops (each read by a subquery of those
sessions, not a list of their ids).

It takes the whole store (or a :class:`~pressup.storage.scoped.PatientStore`, which narrows it
to one patient) and reads only the rows of the ids given. One transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from pressup.errors import StorageError
from pressup.storage.models import (
    EventRow,
    PainRow,
    RepRow,
    ScreeningRow,
    SessionRow,
    SymptomRow,
)
from pressup.storage.screenings import ScreeningRecord
from pressup.storage.store import (
    SessionRecord,
    Store,
    event_dict,
    pain_dict,
    rep_dict,
    session_record,
)
from pressup.storage.symptoms import SymptomRecord
from pressup.storage.values import IN_CHUNK, as_utc, record_of, req_int
from pressup.vocab import STOP_EVENT


@dataclass
class SessionRows:
    """What the list reads of one session: repetitions (:meth:`Store.list_reps`), pain
    ratings (:meth:`Store.list_pain`), symptom reports and ``set_stopped`` events, each in the
    order stored."""

    reps: list[dict[str, Any]] = field(default_factory=list)
    pain: list[dict[str, Any]] = field(default_factory=list)
    symptoms: list[SymptomRecord] = field(default_factory=list)
    stops: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CaseloadRows:
    """One patient's part of the caseload.

    Attributes:
        last_session: when their newest session was created (``None``: never).
        screening: their latest screening (newest ``created_at``, then ``id``), or ``None``.
        sessions: newest first, the sessions created at or after ``since`` or after the latest
            screening's time.
        rows: the rows of each of ``sessions``, by session id.
    """

    last_session: datetime | None = None
    screening: ScreeningRecord | None = None
    sessions: list[SessionRecord] = field(default_factory=list)
    rows: dict[str, SessionRows] = field(default_factory=dict)


def caseload(store: Store, patient_ids: Sequence[int], since: datetime) -> dict[int, CaseloadRows]:
    """The :class:`CaseloadRows` of each patient id, in one transaction of seven queries per
    :data:`~pressup.storage.values.IN_CHUNK` patients, however many sessions they have (an id
    with nothing maps to empty rows)."""
    ids = [req_int("patient_id", i, minimum=1) for i in patient_ids]
    out = {i: CaseloadRows() for i in ids}
    with store.transaction(write=False) as s:
        for i in range(0, len(ids), IN_CHUNK):
            _read_chunk(s, ids[i : i + IN_CHUNK], since, out)
    return out


def _read_chunk(
    s: Session, chunk: list[int], since: datetime, out: dict[int, CaseloadRows]
) -> None:
    newest = select(SessionRow.patient_id, func.max(SessionRow.created_at)).where(
        SessionRow.patient_id.in_(chunk)
    )
    for pid, when in s.execute(newest.group_by(SessionRow.patient_id)):
        out[_owner(pid)].last_session = as_utc(when)
    for screening in s.scalars(_latest_screenings(chunk)):
        out[_owner(screening.patient_id)].screening = record_of(ScreeningRecord, screening)
    rows: dict[str, SessionRows] = {}
    for session in s.scalars(
        select(SessionRow)
        .where(_judged(chunk, since))
        .order_by(SessionRow.created_at.desc(), SessionRow.id.desc())
    ):
        owner = out[_owner(session.patient_id)]
        owner.sessions.append(session_record(session))
        owner.rows[session.id] = rows[session.id] = SessionRows()
    judged = select(SessionRow.id).where(_judged(chunk, since))
    for rep in s.scalars(
        select(RepRow)
        .where(RepRow.session_id.in_(judged))
        .order_by(RepRow.session_id, RepRow.number)
    ):
        rows[rep.session_id].reps.append(rep_dict(rep))
    for pain in s.scalars(
        select(PainRow).where(PainRow.session_id.in_(judged)).order_by(PainRow.id)
    ):
        rows[pain.session_id].pain.append(pain_dict(pain))
    for report in s.scalars(
        select(SymptomRow).where(SymptomRow.session_id.in_(judged)).order_by(SymptomRow.id)
    ):
        rows[str(report.session_id)].symptoms.append(record_of(SymptomRecord, report))
    stops = select(EventRow).where(EventRow.session_id.in_(judged), EventRow.kind == STOP_EVENT)
    for stop in s.scalars(stops.order_by(EventRow.id)):
        rows[stop.session_id].stops.append(event_dict(stop))


def _owner(patient_id: int | None) -> int:
    """The patient of a row read by ``patient_id IN (...)`` (so never ``None``)."""
    if patient_id is None:
        raise StorageError("expected a row of one of the patients asked for, got one of none")
    return int(patient_id)


def _latest_screenings(chunk: list[int]) -> Select[ScreeningRow]:
    """The latest screening of each patient in ``chunk`` (``ROW_NUMBER()`` over each patient's
    screenings, newest first)."""
    ranked = (
        select(
            ScreeningRow.id,
            func.row_number()
            .over(
                partition_by=ScreeningRow.patient_id,
                order_by=(ScreeningRow.created_at.desc(), ScreeningRow.id.desc()),
            )
            .label("n"),
        )
        .where(ScreeningRow.patient_id.in_(chunk))
        .subquery()
    )
    return select(ScreeningRow).join(ranked, ranked.c.id == ScreeningRow.id).where(ranked.c.n == 1)


def _judged(chunk: list[int], since: datetime) -> ColumnElement[bool]:
    """The sessions of ``chunk`` created at or after ``since`` or after their patient's latest
    screening."""
    screened = (
        select(func.max(ScreeningRow.created_at))
        .where(ScreeningRow.patient_id == SessionRow.patient_id)
        .correlate(SessionRow)
        .scalar_subquery()
    )
    return and_(
        SessionRow.patient_id.in_(chunk),
        or_(SessionRow.created_at >= since, SessionRow.created_at > screened),
    )


__all__ = ["CaseloadRows", "SessionRows", "caseload"]
