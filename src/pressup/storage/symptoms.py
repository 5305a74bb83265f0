"""The symptoms repository: symptom reports (``symptom_reports``, revision ``0002``) and the
live coach's ratings (a pain rating in ``pain_ratings`` and, when a place was said, a symptom
report, stored together by :func:`add_rating`).

Pain is 0..10; ``rep`` 0 is before the set, ``n`` after press-up ``n``; ``t_s`` seconds.
Like every repository (see :mod:`pressup.storage`), each function is one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional, Union

from sqlalchemy import select

from pressup.errors import InputError
from pressup.storage.models import PainRow, SessionRow, SymptomRow
from pressup.storage.store import Store
from pressup.storage.values import (
    id_chunks,
    opt_float,
    opt_int,
    record_of,
    req_int,
    utc_now,
)
from pressup.vocab import SymptomReport


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
        return [record_of(SymptomRecord, r) for r in rows]


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
        return record_of(SymptomRecord, row) if row is not None else None


def list_symptoms(store: Store, session_id: str | None) -> list[SymptomRecord]:
    """A session's symptom reports in the order stored (``None``: those outside sessions)."""
    if session_id is None:
        stmt = select(SymptomRow).where(SymptomRow.session_id.is_(None)).order_by(SymptomRow.id)
    else:
        stmt = select(SymptomRow).where(SymptomRow.session_id == session_id).order_by(SymptomRow.id)
    with store.transaction(write=False) as s:
        if session_id is not None:
            store.session_row(s, session_id)
        return [record_of(SymptomRecord, r) for r in s.scalars(stmt)]


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
                    out[r.session_id].append(record_of(SymptomRecord, r))
    return out


__all__ = [
    "SymptomRecord",
    "add_rating",
    "add_symptoms",
    "list_symptoms",
    "symptoms_of",
]
