"""The progression decisions repository: the ``progression_decisions`` table (revision
``0002``; a decision's session is set NULL when the session is deleted).

Holds are in seconds, peaks in degrees.

Like every repository (see :mod:`pressup.storage`), each function is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import select

from pressup.errors import InputError
from pressup.storage.models import DecisionRow
from pressup.storage.store import Store
from pressup.storage.values import choice, opt_float, record_of, req_int, req_text, utc_now
from pressup.vocab import ACTIONS, LADDER_STEPS, SOURCES


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
        action=choice("action", action, ACTIONS),
        variant=choice("variant", variant, LADDER_STEPS),
        target_hold_s=hold,
        target_reps=req_int("target_reps", target_reps, minimum=1),
        target_peak_trunk_deg=opt_float("target_peak_trunk_deg", target_peak_trunk_deg),
        reason=req_text("reason", reason),
        source=choice("source", source, SOURCES),
    )
    with store.transaction(write=True) as s:
        if session_id is not None:
            store.session_row(s, session_id)
        s.add(row)
        s.flush()
        return record_of(DecisionRecord, row)


def list_decisions(store: Store, limit: int = 100) -> list[DecisionRecord]:
    """At most ``limit`` decisions, newest first."""
    n = req_int("limit", limit, minimum=1)
    stmt = (
        select(DecisionRow).order_by(DecisionRow.created_at.desc(), DecisionRow.id.desc()).limit(n)
    )
    with store.transaction(write=False) as s:
        return [record_of(DecisionRecord, r) for r in s.scalars(stmt)]


def latest_decision(store: Store) -> DecisionRecord | None:
    """The newest decision, or ``None``."""
    rows = list_decisions(store, limit=1)
    return rows[0] if rows else None


__all__ = ["DecisionRecord", "add_decision", "latest_decision", "list_decisions"]
