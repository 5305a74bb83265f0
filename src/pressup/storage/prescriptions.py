"""The prescriptions repository: clinicians' prescriptions (the ``prescriptions`` table,
revision ``0002``); at most one is active, and it overrides the progression engine.

Holds are in seconds.

Like every repository (see :mod:`pressup.storage`), each function is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from pressup.errors import InputError
from pressup.storage.models import PrescriptionRow
from pressup.storage.store import Store
from pressup.storage.values import choice, opt_float, record_of, req_int, req_text, utc_now
from pressup.vocab import LADDER_STEPS, PRESCRIPTION_LIMITS


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
        variant=choice("variant", variant, LADDER_STEPS),
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
        return record_of(PrescriptionRecord, row)


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
        return record_of(PrescriptionRecord, row) if row is not None else None


__all__ = ["PrescriptionRecord", "active_prescription", "clear_prescription", "set_prescription"]
