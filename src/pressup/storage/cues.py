"""The cues repository: the ``cues`` table (revision ``0006``), what the live coach sent
during a set.

Each row is one cue as the page got it in an ``update`` (its id, kind, priority, words and
whether it is spoken) and ``t_s``: the time, on the session's frame clock, of the frame (or
rating) whose reply carried it. Rows belong to a session and go with it (``ON DELETE
CASCADE``). Like every repository (see :mod:`pressup.storage`), each function is one
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import select

from pressup.errors import InputError
from pressup.storage.models import CUE_KIND_LEN, KIND_LEN, CueRow
from pressup.storage.store import Store
from pressup.storage.values import opt_float, record_of, req_bool, req_int, req_text, utc_now


@dataclass(frozen=True)
class CueRecord:
    """A stored cue (see the module docstring); ``t_s`` seconds or ``None``."""

    t_s: Optional[float]
    cue: str
    kind: str
    priority: int
    text: str
    speak: bool


def cue_row(session_id: str, i: int, cue: Any) -> CueRow:
    if not isinstance(cue, Mapping):
        raise InputError(f"cues[{i}]: expected a mapping, got {type(cue).__name__}")
    try:
        return CueRow(
            session_id=session_id,
            t_s=opt_float("t_s", cue.get("t_s")),
            cue=req_text("cue", cue.get("cue"), max_len=KIND_LEN),
            kind=req_text("kind", cue.get("kind"), max_len=CUE_KIND_LEN),
            priority=req_int("priority", cue.get("priority"), minimum=0),
            text=req_text("text", cue.get("text")),
            speak=req_bool("speak", cue.get("speak")),
        )
    except InputError as exc:
        raise InputError(f"cues[{i}]: {exc}") from exc


def add_cues(store: Store, session_id: str, cues: Sequence[Mapping[str, Any]]) -> None:
    """Store cues the coach sent in session ``session_id``, all or none: each a mapping with
    ``t_s`` (seconds or ``None``), ``cue`` (its id), ``kind``, ``priority``, ``text`` and
    ``speak``.

    Raises:
        InputError: a malformed cue (nothing is stored).
        StorageError: no such session.
    """
    rows = [cue_row(session_id, i, c) for i, c in enumerate(cues)]
    with store.transaction(write=True) as s:
        session = store.session_row(s, session_id, lock=bool(rows))
        if rows:
            s.add_all(rows)
            session.updated_at = utc_now()


def list_cues(store: Store, session_id: str) -> list[CueRecord]:
    """The session's stored cues in the order they were sent (``[]``: none stored).

    Raises:
        StorageError: no such session.
    """
    stmt = select(CueRow).where(CueRow.session_id == session_id).order_by(CueRow.id)
    with store.transaction(write=False) as s:
        store.session_row(s, session_id)
        return [record_of(CueRecord, r) for r in s.scalars(stmt)]


__all__ = ["CueRecord", "add_cues", "list_cues"]
