"""What one stored session came to, read once from its stored rows.

:class:`SessionOutcome` holds a session's record and rows (:func:`outcome_of`,
:func:`outcomes_of`) and the facts the history page and the exports both derive from them: the
complete repetitions, the symptom reports before and after the set, the symptom response, and
the stored stop and its reason. Each reader keeps its own presentation (the history page's
pain before/after from the pain ratings, the exports' table row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pressup.errors import StorageError
from pressup.safety.symptoms import Response, classify
from pressup.sessions.records import SessionData, session_data
from pressup.sessions.store import SessionRecord, Store
from pressup.vocab import SymptomReport


@dataclass(frozen=True)
class SessionOutcome:
    """One stored session: its record, its rows, and what they say.

    Attributes:
        record: the stored session (dose planned: ``record.dose``).
        data: its repetitions, pain ratings, symptom reports and stop events as stored.
        reports: the symptom reports, in the order stored.
        before: the reports given before the set (``rep`` 0), in the order stored.
        after: the reports after press-ups, by press-up number.
        response: centralising / peripheralising / unchanged, when rated before and after.
        stop_event: a ``set_stopped`` event was stored.
        stop_reason: the latest stored stop's reason (one line), if any.
    """

    record: SessionRecord
    data: SessionData
    reports: tuple[SymptomReport, ...]
    before: tuple[SymptomReport, ...]
    after: tuple[SymptomReport, ...]
    response: Response | None
    stop_event: bool
    stop_reason: Any

    @property
    def complete_reps(self) -> list[dict[str, Any]]:
        """The repetitions that count (``complete``), in order."""
        return [r for r in self.data.reps if r.get("complete", True)]

    @property
    def stopped(self) -> bool:
        """The set was stopped with a stored reason."""
        return self.stop_reason is not None


def build_outcome(record: SessionRecord, data: SessionData) -> SessionOutcome:
    """The :class:`SessionOutcome` of ``record`` from its rows ``data``."""
    reports = tuple(r.report() for r in data.symptoms)
    before = tuple(r for r in reports if r.rep == 0)
    after = tuple(sorted((r for r in reports if r.rep > 0), key=lambda r: r.rep))
    return SessionOutcome(
        record=record,
        data=data,
        reports=reports,
        before=before,
        after=after,
        response=classify(list(reports)) if before and after else None,
        stop_event=bool(data.stops),
        stop_reason=data.stops[-1].get("reason") if data.stops else None,
    )


def outcomes_of(store: Store, records: Sequence[SessionRecord]) -> list[SessionOutcome]:
    """The outcomes of ``records`` (in their order), read in a few queries."""
    data = session_data(store, [r.id for r in records])
    return [build_outcome(r, data[r.id]) for r in records]


def outcome_of(store: Store, session_id: str) -> SessionOutcome:
    """The outcome of one stored session.

    Raises:
        StorageError: no session has this id.
    """
    record = store.get_session(session_id)
    if record is None:
        raise StorageError(f"no session with id {session_id!r} in the database")
    return outcomes_of(store, [record])[0]


__all__ = ["SessionOutcome", "build_outcome", "outcome_of", "outcomes_of"]
