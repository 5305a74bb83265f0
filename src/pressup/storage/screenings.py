"""The screenings repository: the ``screenings`` table (revision ``0002``).

A screening is the person's answers to the red-flag questions, its outcome, and whether the
coach stays locked until a clinician's approval is recorded.

Like every repository (see :mod:`pressup.storage`), each function is one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any, Optional, Union

from sqlalchemy import select

from pressup.errors import InputError, RecordNotFoundError
from pressup.storage.models import ScreeningRow
from pressup.storage.store import Store
from pressup.storage.values import (
    choice,
    record_of,
    req_bool,
    req_int,
    req_text,
    utc_now,
)
from pressup.vocab import ANSWERS, OUTCOMES, QUESTION_IDS


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
        choice("answers key", key, QUESTION_IDS)
        clean[key] = choice(f"answers.{key}", value, ANSWERS)
    row = ScreeningRow(
        created_at=utc_now(),
        answers=clean,
        outcome=choice("outcome", outcome, OUTCOMES),
        locked=req_bool("locked", locked),
        approved_by=_approver(approved_by) if approved_by is not None else None,
        approved_at=_approval_time(approved_at),
    )
    if (row.approved_by is None) != (row.approved_at is None):
        raise InputError("approval: give both approved_by and approved_at, or neither")
    with store.transaction(write=True) as s:
        s.add(row)
        s.flush()
        return record_of(ScreeningRecord, row)


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
    approval = Approval.of(approved_by, approved_at)
    with store.transaction(write=True) as s:
        row = s.get(ScreeningRow, sid, with_for_update=True)
        if row is None:
            raise RecordNotFoundError(f"no screening with id {sid} in the database")
        approval.apply(row)
        s.flush()
        return record_of(ScreeningRecord, row)


@dataclass(frozen=True)
class Approval:
    """A clinician's approval, checked, ready to be set on a screening row in a transaction
    (:func:`approve_screening`, and with a review in the same transaction,
    :func:`pressup.storage.accounts.add_review`)."""

    by: str
    at: datetime | None

    @classmethod
    def of(cls, approved_by: Any, approved_at: Union[date, datetime, None]) -> Approval:
        """Raises InputError: an empty name or a time that is not a date."""
        return cls(_approver(approved_by), _approval_time(approved_at))

    def apply(self, row: ScreeningRow) -> None:
        """Approve ``row`` (it unlocks the coach)."""
        row.approved_by = self.by
        row.approved_at = self.at
        row.locked = False


def list_screenings(store: Store, limit: int = 100) -> list[ScreeningRecord]:
    """At most ``limit`` screenings, newest first."""
    n = req_int("limit", limit, minimum=1)
    stmt = (
        select(ScreeningRow)
        .order_by(ScreeningRow.created_at.desc(), ScreeningRow.id.desc())
        .limit(n)
    )
    with store.transaction(write=False) as s:
        return [record_of(ScreeningRecord, r) for r in s.scalars(stmt)]


def latest_screening(store: Store) -> ScreeningRecord | None:
    """The newest screening, or ``None``."""
    rows = list_screenings(store, limit=1)
    return rows[0] if rows else None


__all__ = [
    "ScreeningRecord",
    "add_screening",
    "approve_screening",
    "latest_screening",
    "list_screenings",
]
