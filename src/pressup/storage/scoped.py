"""One patient's view of the store: :class:`PatientStore`.

The clinic (``pressup serve``) keeps many patients in one database. Every health row either
carries the patient it belongs to (``patient_id`` on the tables of
:data:`~pressup.storage.models.PATIENT_OWNED`) or belongs to a session that does (the tables
of :data:`~pressup.storage.models.SESSION_CHILDREN`). A :class:`PatientStore` is a
:class:`~pressup.storage.store.Store` whose every transaction

* reads, updates and deletes only that patient's rows: each ORM statement (``select``,
  ``Session.get``, ``update``, ``delete``) gets a ``WHERE patient_id = :id`` on the owned
  tables and a ``WHERE session_id IN (that patient's sessions)`` on the child tables
  (SQLAlchemy's ``with_loader_criteria`` in a ``do_orm_execute`` hook), and
* writes new owned rows with that ``patient_id`` (a ``before_flush`` hook).

So the application layer (:mod:`pressup.sessions`: the plan, the records, the exports, the
live hub) runs unchanged on one patient's data; a row of another patient is simply not
there (an unknown id). The personal coach keeps using the plain :class:`Store` (its rows
have no patient).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from pressup.errors import InputError
from pressup.storage.models import PATIENT_OWNED, SESSION_CHILDREN, SessionRow
from pressup.storage.store import Store


class PatientStore(Store):
    """``base``'s database (its engine and pool, not a copy) seen by one patient.

    Closing a :class:`PatientStore` does nothing: the engine belongs to ``base``.

    Raises:
        InputError: ``patient_id`` is not a positive integer.
    """

    def __init__(self, base: Store, patient_id: int) -> None:  # shares base, no super()
        if isinstance(patient_id, bool) or not isinstance(patient_id, int) or patient_id < 1:
            raise InputError(f"patient_id: expected a positive integer, got {patient_id!r}")
        self.__dict__.update(base.__dict__)
        self._base = base
        self.patient_id = patient_id

    def close(self) -> None:
        """Nothing to close: the base store owns the engine."""

    def __repr__(self) -> str:
        return f"PatientStore({self._safe_url!r}, patient_id={self.patient_id})"

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Session]:
        """As :meth:`Store.transaction`, limited to this patient's rows."""
        self._closed = self._base._closed  # closed with the base store
        with super().transaction(write=write) as s:
            _scope(s, self.patient_id)
            yield s


def _criteria(patient_id: int) -> list[Any]:
    owned = [
        with_loader_criteria(cls, lambda c: c.patient_id == patient_id, include_aliases=True)
        for cls in PATIENT_OWNED
    ]
    mine = select(SessionRow.id).where(SessionRow.patient_id == patient_id)
    children = [
        with_loader_criteria(
            cls, lambda c: c.session_id.in_(mine.scalar_subquery()), include_aliases=True
        )
        for cls in SESSION_CHILDREN
    ]
    return owned + children


def _scope(s: Session, patient_id: int) -> None:
    criteria = _criteria(patient_id)

    def on_execute(state: ORMExecuteState) -> None:
        if state.is_select or state.is_update or state.is_delete:
            state.statement = state.statement.options(*criteria)

    def on_flush(session: Session, _ctx: Any, _instances: Any) -> None:
        for obj in session.new:
            if isinstance(obj, PATIENT_OWNED):
                current = obj.patient_id  # type: ignore[attr-defined]
                if current is None:
                    obj.patient_id = patient_id  # type: ignore[attr-defined]
                elif current != patient_id:
                    raise InputError(
                        f"patient_id: expected {patient_id} (this store's patient), "
                        f"got {current} on a new {type(obj).__name__}"
                    )

    event.listen(s, "do_orm_execute", on_execute)
    event.listen(s, "before_flush", on_flush)


__all__ = ["PatientStore"]
