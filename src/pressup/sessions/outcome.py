"""What one stored session came to, read once from its stored rows.

:class:`SessionOutcome` holds a session's record and rows (:func:`outcome_of`,
:func:`outcomes_of`) and the facts the history page and the exports both derive from them: the
complete repetitions, the symptom reports before and after the set, the symptom response, the
pain before and after the set (:func:`pain_scores`, the one rule every reader uses: the
history page, the CSV/JSON tables, the FHIR bundle and the web API), and the stored stop and
its reason. Each reader keeps only its own presentation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from pressup.safety.symptoms import Response, classify
from pressup.sessions.records import SessionData, session_data
from pressup.sessions.store import SessionRecord, Store, require_session
from pressup.vocab import SymptomReport


@dataclass(frozen=True)
class PainScores:
    """Pain 0..10 around one set (``None``: not rated).

    Attributes:
        before: the last rating given before the set (``rep`` 0), in the order stored.
        after: the rating after the highest-numbered press-up that was rated (of several
            ratings after that press-up, the last stored).
        worst: the highest rating of the session.
    """

    before: Optional[int] = None
    after: Optional[int] = None
    worst: Optional[int] = None


def pain_scores(
    pain: Iterable[Mapping[str, Any]], reports: Iterable[SymptomReport] = ()
) -> PainScores:
    """Pain before and after the set, and the worst, from a session's ratings.

    The ratings are the pain ratings given (``{"rep", "score", "skipped"}`` as stored; skipped
    ones and ones without a score are ignored); a session with none falls back to the pain of
    its symptom reports (``rep``, ``pain``). See :class:`PainScores` for which rating is
    ``before`` and ``after``. ``rep`` 0 is before the set, ``n`` after press-up ``n``.
    """
    rated = [
        (int(p.get("rep") or 0), int(p["score"]))
        for p in pain
        if not p.get("skipped") and p.get("score") is not None
    ]
    if not rated:
        rated = [(int(r.rep), int(r.pain)) for r in reports]
    before = [score for rep, score in rated if rep == 0]
    after = sorted(((rep, i, score) for i, (rep, score) in enumerate(rated) if rep > 0))
    return PainScores(
        before=before[-1] if before else None,
        after=after[-1][2] if after else None,
        worst=max(score for _, score in rated) if rated else None,
    )


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
        pain: pain 0..10 before and after the set and the worst (:func:`pain_scores`).
    """

    record: SessionRecord
    data: SessionData
    reports: tuple[SymptomReport, ...]
    before: tuple[SymptomReport, ...]
    after: tuple[SymptomReport, ...]
    response: Response | None
    stop_event: bool
    stop_reason: Any
    pain: PainScores

    @property
    def pain_before(self) -> int | None:
        """Pain 0..10 before the set (:attr:`PainScores.before`), ``None`` if not rated."""
        return self.pain.before

    @property
    def pain_after(self) -> int | None:
        """Pain 0..10 after the set (:attr:`PainScores.after`), ``None`` if not rated."""
        return self.pain.after

    @property
    def last_stop(self) -> dict[str, Any] | None:
        """The latest stored ``set_stopped`` event (``reason``, ``rules``), or ``None``."""
        return self.data.stops[-1] if self.data.stops else None

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
        pain=pain_scores(data.pain, reports),
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
    return outcomes_of(store, [require_session(store, session_id)])[0]


__all__ = [
    "PainScores",
    "SessionOutcome",
    "build_outcome",
    "outcome_of",
    "outcomes_of",
    "pain_scores",
]
