"""What live sessions did since the last write, stored in one transaction for many sessions.

The live coach (``pressup.web.hub``) collects, per session, the landmark frames, engine
events, cues sent, repetitions and the session row's stage and count, and hands them here a few
times a second (:func:`write_live`): one transaction for every session with something to write,
instead of one per chunk, per event batch, per cue batch and per repetition (each transaction
costs far more than its rows: SQLite's ``BEGIN IMMEDIATE`` and commit, the ORM's session and
the session row's lock).

The rows are exactly those of the single calls (:meth:`Store.append_frames
<pressup.storage.store.Store.append_frames>`, :meth:`~pressup.storage.store.Store.add_events`,
:func:`pressup.storage.cues.add_cues`, :meth:`~pressup.storage.store.Store.upsert_rep`,
:meth:`~pressup.storage.store.Store.update_session`, in that order per session). A malformed
part (an event, a cue, a repetition, a chunk that breaks the track's contract) is left out
alone and reported; an unknown session (deleted meanwhile) leaves out that session's part
alone. A database error that trying again may fix
(:class:`~pressup.errors.StorageUnavailableError`) writes nothing and is raised, so that the
caller keeps everything and tries again; any other database error makes each session's part be
tried again in its own transaction, so that one bad part cannot lose the others.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, insert, select
from sqlalchemy.orm import load_only

from pressup.errors import InputError, StorageError, StorageUnavailableError, TrackFormatError
from pressup.storage.cues import cue_row
from pressup.storage.models import STAGE_LEN, CueRow, EventRow, RepRow, SessionRow, TrackChunkRow
from pressup.storage.store import (
    Store,
    chunk_arrays,
    event_row,
    rep_values,
)
from pressup.storage.values import opt_int, req_bool, req_int, req_text, utc_now

T = TypeVar("T")


@dataclass
class SessionWrites:
    """One session's writes since the last time (each part optional).

    ``t_s``/``data``/``width``/``height``: a chunk of landmark frames (as
    :meth:`Store.append_frames <pressup.storage.store.Store.append_frames>`); ``events``,
    ``cues``, ``reps``: rows to add (repetitions replace the stored one with the same number and
    start); ``stage``/``reps_done``/``ended``: the session row's fields (``None`` or ``False``:
    unchanged).
    """

    session_id: str
    t_s: list[float] = field(default_factory=list)
    data: list[npt.NDArray[np.float64]] = field(default_factory=list)
    width: int | None = None
    height: int | None = None
    events: list[Mapping[str, Any]] = field(default_factory=list)
    cues: list[Mapping[str, Any]] = field(default_factory=list)
    reps: list[Any] = field(default_factory=list)
    stage: str | None = None
    reps_done: int | None = None
    ended: bool = False

    @property
    def n_frames(self) -> int:
        return len(self.t_s)

    def empty(self) -> bool:
        return not (
            self.t_s
            or self.events
            or self.cues
            or self.reps
            or self.stage is not None
            or self.reps_done is not None
            or self.ended
        )


@dataclass
class _Prepared:
    """A part's rows, checked before the transaction."""

    session_id: str
    chunk: tuple[Any, Any, int, int] | None = None
    events: list[EventRow] = field(default_factory=list)
    cues: list[Any] = field(default_factory=list)
    reps: dict[tuple[int, float], dict[str, Any]] = field(default_factory=dict)
    stage: str | None = None
    reps_done: int | None = None
    ended: bool = False

    def rows(self) -> bool:
        return bool(self.chunk or self.events or self.cues or self.reps)


def _checked(problems: list[str], what: str, build: Callable[[], T], empty: T) -> T:
    """``build()``, or ``empty`` with the reason in ``problems`` when it is malformed."""
    try:
        return build()
    except (InputError, TrackFormatError) as exc:
        problems.append(f"{what}: {exc}")
        return empty


def _chunk(w: SessionWrites) -> tuple[Any, Any, int, int]:
    t, d = chunk_arrays(np.asarray(w.t_s), np.stack(w.data))
    return t, d, req_int("width", w.width, minimum=1), req_int("height", w.height, minimum=1)


def _row_fields(w: SessionWrites) -> tuple[str | None, int | None, bool]:
    stage = req_text("stage", w.stage, max_len=STAGE_LEN) if w.stage is not None else None
    return stage, opt_int("reps_done", w.reps_done, minimum=0), req_bool("ended", w.ended)


def _prepare(w: SessionWrites, problems: list[str]) -> _Prepared:
    """Check and build a part's rows; what is malformed is left out and told in ``problems``."""
    sid = w.session_id
    p = _Prepared(sid)
    if w.t_s:
        p.chunk = _checked(
            problems, f"{len(w.t_s)} frames of session {sid}", lambda: _chunk(w), None
        )
    p.events = _checked(
        problems,
        f"events of session {sid}",
        lambda: [event_row(sid, i, ev) for i, ev in enumerate(w.events)],
        [],
    )
    p.cues = _checked(
        problems,
        f"cues of session {sid}",
        lambda: [cue_row(sid, i, c) for i, c in enumerate(w.cues)],
        [],
    )
    for rep in w.reps:
        values = _checked(
            problems, f"a press-up of session {sid}", functools.partial(rep_values, rep), None
        )
        if values is not None:
            # the same attempt again replaces its values in place (as upsert_rep would)
            p.reps[(values["number"], values["start_s"])] = values
    unchanged: tuple[str | None, int | None, bool] = (None, None, False)
    p.stage, p.reps_done, p.ended = _checked(
        problems, f"session {sid}'s stage and count", lambda: _row_fields(w), unchanged
    )
    return p


def write_live(store: Store, batch: Sequence[SessionWrites]) -> list[str]:
    """Store every part of ``batch`` in one transaction (see the module docstring).

    Returns:
        What was left out and why, one line each (``[]``: everything was stored).

    Raises:
        StorageUnavailableError: the database cannot be written now; nothing was stored.
    """
    problems: list[str] = []
    parts = [_prepare(w, problems) for w in batch if not w.empty()]
    if not parts:
        return problems
    try:
        _write(store, parts, problems)
    except StorageUnavailableError:
        raise
    except StorageError as exc:
        if len(parts) == 1:
            problems.append(f"session {parts[0].session_id}: {exc}")
            return problems
        for p in parts:  # one at a time, so that only the bad part is lost
            try:
                _write(store, [p], problems)
            except StorageUnavailableError:
                raise
            except StorageError as one:
                problems.append(f"session {p.session_id}: {one}")
    return problems


def _write(store: Store, parts: list[_Prepared], problems: list[str]) -> None:
    ids = sorted({p.session_id for p in parts})
    with store.transaction(write=True) as s:
        # the session rows, locked (PostgreSQL: SELECT ... FOR UPDATE), in one query, only
        # the columns written (not the dose's and protocol's JSON)
        stmt = (
            select(SessionRow)
            .options(load_only(*_ROW_FIELDS))
            .where(SessionRow.id.in_(ids))
            .with_for_update()
        )
        rows = {r.id: r for r in s.scalars(stmt)}
        last_seq = _last_seqs(
            s, [p.session_id for p in parts if p.chunk is not None and p.session_id in rows]
        )
        now = utc_now()
        bulk: dict[type[Any], list[dict[str, Any]]] = {TrackChunkRow: [], EventRow: [], CueRow: []}
        for p in parts:
            session = rows.get(p.session_id)
            if session is None:
                problems.append(f"no session with id {p.session_id!r} in the database")
                continue
            if p.chunk is not None:
                seq = last_seq[p.session_id] = last_seq.get(p.session_id, -1) + 1
                bulk[TrackChunkRow].append(_chunk_values(p.session_id, seq, p.chunk))
                if session.video_width is None or session.video_height is None:
                    session.video_width, session.video_height = p.chunk[2], p.chunk[3]
            bulk[EventRow].extend(_values(r) for r in p.events)
            bulk[CueRow].extend(_values(r) for r in p.cues)
            if p.reps:
                _upsert_reps(s, p)
            _update_row(session, p, now)
        # the rows in bulk (one statement per table; the ORM's unit of work costs more than
        # the rows), in the order given, so their ids keep it
        for model, values in bulk.items():
            if values:
                s.execute(insert(model), values)


_ROW_FIELDS = (
    SessionRow.stage,
    SessionRow.reps_done,
    SessionRow.ended_at,
    SessionRow.updated_at,
    SessionRow.video_width,
    SessionRow.video_height,
)


def _last_seqs(s: Any, session_ids: list[str]) -> dict[str, int]:
    """The last chunk number of each of these sessions that has chunks."""
    if not session_ids:
        return {}
    stmt = (
        select(TrackChunkRow.session_id, func.max(TrackChunkRow.seq))
        .where(TrackChunkRow.session_id.in_(session_ids))
        .group_by(TrackChunkRow.session_id)
    )
    return {sid: int(seq) for sid, seq in s.execute(stmt)}


def _chunk_values(session_id: str, seq: int, chunk: tuple[Any, Any, int, int]) -> dict[str, Any]:
    t, d, w, h = chunk
    return {
        "session_id": session_id,
        "seq": seq,
        "t0_s": float(t[0]),
        "n_frames": int(t.size),
        "width": w,
        "height": h,
        "t_s": t.astype("<f8").tobytes(),
        "data": d.astype("<f4").tobytes(),
    }


def _update_row(session: SessionRow, p: _Prepared, now: Any) -> None:
    """The session row's stage, count, end and ``updated_at``, as update_session sets them."""
    if p.stage is not None:
        session.stage = p.stage
    if p.reps_done is not None:
        session.reps_done = p.reps_done
    if p.ended:
        session.ended_at = now
    if p.rows() or p.stage is not None or p.reps_done is not None or p.ended:
        session.updated_at = now


def _values(row: Any) -> dict[str, Any]:
    """A row built (and checked) by the single calls' helpers, as an INSERT's values."""
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key != "id"}


def _upsert_reps(s: Any, p: _Prepared) -> None:
    numbers = sorted({n for n, _ in p.reps})
    stored = {
        (r.number, r.start_s): r
        for r in s.scalars(
            select(RepRow).where(RepRow.session_id == p.session_id, RepRow.number.in_(numbers))
        )
    }
    for (number, start), values in p.reps.items():
        row = stored.get((number, start))
        fields = {k: v for k, v in values.items() if k != "number"}
        if row is None:
            s.add(RepRow(session_id=p.session_id, number=number, **fields))
        else:
            for key, value in fields.items():
                setattr(row, key, value)


__all__ = ["SessionWrites", "write_live"]
